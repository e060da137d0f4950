"""The ``returns`` claim: a function returns the given expression (one of its return statements
does)."""

from __future__ import annotations

from nanochat_explain.claims.base import _SCALAR, Outcome, _kind
from nanochat_explain.claims.common import _INSIDE, _canon, _closest, _function
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "returns",
    "A function returns the given expression (one of its return statements does).",
    keys={"value": _SCALAR, **_INSIDE},
    required=("value",),
)
def _check_returns(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    fn = _function(claim, facts)
    want = _canon(claim.get("value"))
    for value, line, _ in fn.returns:
        if value == want:
            return Outcome(Status.PASS, line, f"{fn.qualname} returns {value}")
    have = _closest(want, [(v, line) for v, line, _ in fn.returns]) or "no return statement"
    return Outcome(Status.FAIL, fn.returns[0][1] if fn.returns else fn.line,
                   f"expected {fn.qualname} to return {want}; found {have}")
