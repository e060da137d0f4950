"""The ``symbol`` claim: a class or function exists (optionally with given bases or
decorators)."""

from __future__ import annotations

from nanochat_explain.claims.base import Outcome, _kind
from nanochat_explain.claims.common import _canon, _nearest
from nanochat_explain.facts.model import Class
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "symbol",
    "A class or function exists (optionally with given bases or decorators).",
    keys={"type": (str,), "bases": (list,), "decorators": (list,)},
)
def _check_symbol(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    assert claim.symbol is not None
    sym = facts.symbol(claim.symbol)
    want_type = claim.get("type")
    label = f"{want_type or 'symbol'} {claim.symbol}"
    if sym is None:
        near = _nearest(claim.symbol, facts.symbol_names())
        return Outcome(Status.FAIL, None, f"expected {label}; not found in {facts.path}{near}")
    if want_type is not None and sym.kind != want_type:
        return Outcome(Status.FAIL, sym.line, f"expected {label}; found a {sym.kind}")
    bases = claim.get("bases")
    if bases is not None and isinstance(sym, Class):
        want = [_canon(b) for b in bases]
        if list(sym.bases) != want:
            return Outcome(Status.FAIL, sym.line, f"expected {claim.symbol}({', '.join(want)}); "
                           f"found {claim.symbol}({', '.join(sym.bases)})")
    decorators = claim.get("decorators")
    if decorators is not None:
        want = [_canon(d) for d in decorators]
        missing = [d for d in want if d not in sym.decorators]
        if missing:
            have = ", ".join("@" + d for d in sym.decorators) or "none"
            return Outcome(Status.FAIL, sym.line,
                           f"expected @{missing[0]} on {claim.symbol}; decorators: {have}")
    return Outcome(Status.PASS, sym.line, f"{sym.kind} {claim.symbol} defined")
