"""The ``count`` claim: how many calls to a callee a scope makes, or how many items a literal
list, tuple, dict or set holds."""

from __future__ import annotations

import ast

from nanochat_explain.claims.base import Outcome, _kind, _Unevaluable
from nanochat_explain.claims.common import (
    _INSIDE,
    _SELECTOR_KEYS,
    _calls_in,
    _canon,
    _scope,
    _select,
)
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "count",
    "How many calls to a callee a scope makes, or how many items a literal list, "
    "tuple, dict or set holds.",
    keys={**_SELECTOR_KEYS, "callee": (str,), "expect": (int,), **_INSIDE},
    required=("expect",),
    one_of=(("callee", "param", "field", "constant", "assign", "call", "return_nth"),),
    symbol="optional",
    supplies_value=True,
)
def _check_count(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    expect = claim.get("expect")
    if claim.get("callee") is not None:
        sym = _scope(claim, facts)
        callee = _canon(claim.get("callee"))
        calls = [c for c in _calls_in(sym, facts) if c.callee == callee]
        n = len(calls)
        line = calls[0].line if calls else sym.line
        what = f"calls to {callee} in {sym.qualname}"
    else:
        source, line, what = _select(claim, facts)
        try:
            node = ast.parse(source, mode="eval").body
        except SyntaxError:
            raise _Unevaluable(f"{what} is {source}, not a collection", line) from None
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            n = len(node.elts)
        elif isinstance(node, ast.Dict):
            n = len(node.keys)
        else:
            raise _Unevaluable(f"{what} is {source}, not a literal collection", line)
        what = f"items in {what}"
    if n == expect:
        return Outcome(Status.PASS, line, f"{n} {what}", n)
    return Outcome(Status.FAIL, line, f"expected {expect} {what}; found {n}", n)
