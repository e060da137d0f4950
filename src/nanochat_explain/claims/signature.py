"""The ``signature`` claim: a function's parameters, in order, and their defaults."""

from __future__ import annotations

from nanochat_explain.claims.base import Outcome, _kind
from nanochat_explain.claims.common import _canon, _function, _same, literal_value, show
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "signature",
    "A function's parameters, in order, and their defaults.",
    keys={"params": (list,), "defaults": (dict,)},
)
def _check_signature(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    fn = _function(claim, facts)
    names = [p.star + p.name for p in fn.params]
    want = claim.get("params")
    if want is not None and names != [str(n) for n in want]:
        return Outcome(Status.FAIL, fn.line,
                       f"expected {fn.qualname}({', '.join(map(str, want))}); "
                       f"found {fn.qualname}({', '.join(names)})")
    by_name = {p.name: p for p in fn.params}
    for name, value in (claim.get("defaults") or {}).items():
        p = by_name.get(name)
        if p is None:
            return Outcome(Status.FAIL, fn.line, f"expected parameter {name}; "
                           f"found {fn.qualname}({', '.join(names)})")
        if p.default is None:
            return Outcome(Status.FAIL, p.line, f"expected {name}={show(value)}; found no default")
        try:
            found: Any = literal_value(p.default)
            same = _same(value, found)
        except ValueError:
            found, same = p.default, p.default == _canon(value)
        if not same:
            return Outcome(Status.FAIL, p.line, f"expected {name}={show(value)}; "
                           f"found {name}={p.default}")
    return Outcome(Status.PASS, fn.line, f"{fn.qualname}({', '.join(names)})")
