"""The ``condition`` claim: a function (or, without symbol, the module body) tests the given
expression in an if, elif, while, assert or conditional expression; with count, exactly that
many times."""

from __future__ import annotations

from nanochat_explain.claims.base import _SCALAR, Outcome, _kind
from nanochat_explain.claims.common import _INSIDE, _canon, _closest, _function
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "condition",
    "A function (or, without symbol, the module body) tests the given expression in an "
    "if, elif, while, assert or conditional expression; with count, exactly that many "
    "times.",
    keys={"test": _SCALAR, "count": (int,), **_INSIDE},
    required=("test",),
    symbol="optional",
)
def _check_condition(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    if claim.symbol:
        fn = _function(claim, facts)
        conditions, where, line = fn.conditions, fn.qualname, fn.line
    else:
        conditions, where, line = facts.conditions, f"the module body of {facts.path}", 1
    want = _canon(claim.get("test"))
    same = [at for test, at, _ in conditions if test == want]
    count = claim.get("count")
    if same and count is not None and len(same) != count:
        lines = ", ".join(str(at) for at in same)
        n = "once" if len(same) == 1 else f"{len(same)} times"
        return Outcome(Status.FAIL, same[0], f"expected {where} to test {want} {count} "
                       f"times; found it {n} (line{'s' if len(same) > 1 else ''} {lines})")
    if same:
        times = f" ({len(same)} times)" if count is not None and count != 1 else ""
        return Outcome(Status.PASS, same[0], f"{where} tests {want}{times}")
    have = _closest(want, [(t, at) for t, at, _ in conditions]) or "no conditions"
    return Outcome(Status.FAIL, conditions[0][1] if conditions else line,
                   f"expected {where} to test {want}; found {have}")
