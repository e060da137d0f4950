"""The ``call`` claim: a call inside a function or a class's methods (or, without symbol, in
the module body), optionally with its positional arguments and exact keywords."""

from __future__ import annotations

from nanochat_explain.claims.base import _SKIPPED, BRIEF, Outcome, _kind
from nanochat_explain.claims.common import (
    _INSIDE,
    _args_match,
    _calls_in,
    _canon,
    _close_matches,
    _closest,
    _expected_call_text,
    _kwargs_match,
    _scope,
)
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "call",
    "A call inside a function or a class's methods (or, without symbol, in the module "
    "body), optionally with its positional arguments and exact keywords.",
    keys={"callee": (str,), "args": (list,), "kwargs": (dict,), **_INSIDE},
    required=("callee",),
    symbol="optional",
)
def _check_call(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    sym = _scope(claim, facts) if claim.symbol else None
    callee = _canon(claim.get("callee"))
    calls = _calls_in(sym, facts) if sym else list(facts.calls)
    same = [c for c in calls if c.callee == callee]
    args, kwargs = claim.get("args"), claim.get("kwargs")
    for c in same:
        if _args_match(args, c.args) and _kwargs_match(kwargs, dict(c.kwargs)):
            return Outcome(Status.PASS, c.line, c.text)
    expected = _expected_call_text(callee, args, kwargs)
    if same:
        have = _closest(expected, [(c.text, c.line) for c in same])
        return Outcome(Status.FAIL, same[0].line, f"expected {expected}; found {have}")
    names = _nearest_names(callee, sorted({c.callee for c in calls}))
    where = sym.qualname if sym else f"the module body of {facts.path}"
    return Outcome(Status.FAIL, sym.line if sym else 1, f"expected a call {expected} in "
                   f"{where}; calls there: {names}")


def _nearest_names(name: str, names: list[str], limit: int = 5) -> str:
    """A short list of what is there instead: the names nearest to ``name`` first."""
    if not names:
        return "none"
    if BRIEF.get():
        return _SKIPPED
    near = _close_matches(name, tuple(names), limit, 0.0)
    more = len(names) - len(near)
    return ", ".join(near) + (f" and {more} more" if more > 0 else "")
