"""The ``condition`` claim: a function (or, without symbol, the module body) tests the given
expression in an if, elif, while, assert or conditional expression."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanochat_explain.claims.base import _SCALAR, Outcome, _kind
from nanochat_explain.claims.common import _canon, _closest, _function
from nanochat_explain.model import Status

if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "condition",
    "A function (or, without symbol, the module body) tests the given expression in an "
    "if, elif, while, assert or conditional expression.",
    keys={"test": _SCALAR},
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
    for test, at in conditions:
        if test == want:
            return Outcome(Status.PASS, at, f"{where} tests {test}")
    have = _closest(want, list(conditions)) or "no conditions"
    return Outcome(Status.FAIL, conditions[0][1] if conditions else line,
                   f"expected {where} to test {want}; found {have}")
