"""The ``order`` claim: within a function (or, without symbol, the module body), one step runs
before another. A step is a call (first / then: the callee, or a whole call with its
arguments) or an assignment (first_assign / then_assign: the target, or a whole assignment),
a test (first_test / then_test: of an if, elif, while, assert or conditional expression) or
a return (first_return / then_return: its value); the first of each unless first_nth or
then_nth pick another (-1 is the last). Calls are compared in evaluation order, anything
else by line (a call runs before the assignment, test or return on its line)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nanochat_explain.claims.base import Outcome, _kind, _Unevaluable
from nanochat_explain.claims.common import _INSIDE, _OPS, _canon, _function
from nanochat_explain.claims.texts import of_text
from nanochat_explain.facts.canon import unparse
from nanochat_explain.facts.model import Call, Function
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.facts.model import Assign, FileFacts
    from nanochat_explain.model import ClaimSpec


@_kind(
    "order",
    "Within a function (or, without symbol, the module body), one step runs before "
    "another. A step is a call (first / then: the callee, or a whole call with its "
    "arguments) or an assignment (first_assign / then_assign: the target, or a whole "
    "assignment), a test (first_test / then_test: of an if, elif, while, assert or "
    "conditional expression) or a return (first_return / then_return: its value); the "
    "first of each unless first_nth or then_nth pick another (-1 is the last). Calls are "
    "compared in evaluation order, anything else by line (a call runs before the "
    "assignment, test or return on its line).",
    keys={"first": (str,), "then": (str,), "first_assign": (str,), "then_assign": (str,),
          "first_test": (str,), "then_test": (str,), "first_return": (str,),
          "then_return": (str,), "first_nth": (int,), "then_nth": (int,), **_INSIDE},
    one_of=(("first", "first_assign", "first_test", "first_return"),
            ("then", "then_assign", "then_test", "then_return")),
    symbol="optional",
)
def _check_order(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    scope: Function | FileFacts = _function(claim, facts) if claim.symbol else facts
    where = scope.qualname if isinstance(scope, Function) else f"the module body of {facts.path}"
    scope_line = scope.line if isinstance(scope, Function) else 1

    def step(side: str) -> tuple[str, Call | Assign | _Line | None]:
        nth = claim.get(f"{side}_nth", 0)
        if claim.get(f"{side}_test") is not None or claim.get(f"{side}_return") is not None:
            test = claim.get(f"{side}_test") is not None
            text = _canon(claim.get(f"{side}_test" if test else f"{side}_return"))
            if test:
                found = scope.conditions
            elif isinstance(scope, Function):
                found = scope.returns
            else:
                raise _Unevaluable("a return step needs a function: give symbol")
            items: list[Any] = [_Line(line) for value, line, _ in found if value == text]
            label = f"the test {text}" if test else f"return {text}"
        elif claim.get(side) is not None:
            callee = _canon(claim.get(side))
            whole = _whole_call(callee)  # print0('...'): that call, not any print0
            calls = sorted((c for c in scope.calls
                            if (c.spelled(callee) if whole else c.callee == callee)),
                           key=lambda c: c.order)
            items = calls
            label = callee
        else:
            text = str(claim.get(f"{side}_assign"))
            assignment = _whole_assign(text)  # cos, sin = cos.to(dtype): that one, not any
            if assignment is not None:
                target, op, value = assignment
                items = [a for a in scope.assigns if a.target == target and a.value == value
                         and (a.op == op or (op == "=" and a.op == ":"))]
                label = f"{target} {op} {value}"
            else:
                target = _canon(text, bare_tuple=True)
                items = [a for a in scope.assigns if a.target == target]
                label = f"{target} = ..."
        try:
            return label, items[nth]
        except IndexError:
            return label, None

    (first, a), (then, b) = step("first"), step("then")
    if a is None or b is None:
        missing = first if a is None else then
        return Outcome(Status.FAIL, scope_line, f"expected {first} before {then} in "
                       f"{where}; no such step {missing}")
    both_calls = isinstance(a, Call) and isinstance(b, Call)
    if both_calls:
        before = a.order < b.order  # type: ignore[union-attr]
    elif isinstance(a, Call):  # y = f(x), return f(x): the call runs first
        before = a.line <= b.line
    else:
        before = a.line < b.line
    if before:
        return Outcome(Status.PASS, b.line,
                       f"{first} (line {a.line}) runs before {then} (line {b.line})")
    return Outcome(Status.FAIL, a.line, f"expected {first} before {then}; found {then} "
                   f"(line {b.line}) runs before {first} (line {a.line})")


@dataclass(frozen=True)
class _Line:
    """An order step known by its line only: a test or a return."""

    line: int


@of_text(("order", "first_assign"), ("order", "then_assign"))
def _whole_assign(text: str) -> tuple[str, str, str] | None:
    """(target, operator, value) when an order step names a whole assignment."""
    try:
        body = ast.parse(text.strip()).body
    except SyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Assign | ast.AugAssign):
        return None
    stmt = body[0]
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    if len(targets) != 1:
        return None
    op = "=" if isinstance(stmt, ast.Assign) else _OPS[type(stmt.op)] + "="
    return (_canon(unparse(targets[0]), bare_tuple=True), op,
            _canon(unparse(stmt.value), bare_tuple=True))


@of_text(("order", "first"), ("order", "then"), text=_canon)
def _whole_call(text: str) -> bool:
    """Whether an order step names a whole call (``print0('x')``), not a callee
    (``F.relu(...).square``)."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, ast.Call) and not any(
        isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(node))
