"""The ``literal`` claim: the literal value of a parameter default, class field, module
constant, assignment, call argument or return statement; ``index`` picks the n-th number
inside an expression."""

from __future__ import annotations

import ast

from nanochat_explain.claims.base import _ANY, Outcome, _kind, _Unevaluable
from nanochat_explain.claims.common import (
    _INSIDE,
    _OPS,
    _SELECTOR_KEYS,
    _function,
    _same,
    _select,
    literal_value,
    show,
)
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.facts.model import Call, FileFacts
    from nanochat_explain.model import ClaimSpec


def _numbers(source: str) -> list[int | float]:
    """The numbers written in an expression, in source order; ``-1`` counts as one number."""
    tree = ast.parse(source, mode="eval")
    nums: list[tuple[int, int, int | float]] = []
    negated: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                and _is_number(node.operand)):
            negated.add(id(node.operand))
            nums.append((node.lineno, node.col_offset, -node.operand.value))  # type: ignore[attr-defined]
        elif _is_number(node) and id(node) not in negated:
            nums.append((node.lineno, node.col_offset, node.value))  # type: ignore[attr-defined]
    return [n for _, _, n in sorted(nums)]


def _is_number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and not isinstance(node.value, bool))


@_kind(
    "literal",
    "The literal value of a parameter default, class field, module constant, assignment, "
    "call argument or return statement; ``index`` picks the n-th number inside an "
    "expression.",
    keys={**_SELECTOR_KEYS, "index": (int,), "expect": _ANY, "op": (str,),
          "follow_calls": (bool,), **_INSIDE},
    required=("expect",),
    one_of=(("param", "field", "constant", "assign", "call", "return_nth"),),
    symbol="optional",
    supplies_value=True,
)
def _check_literal(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    source, line, what = _select(claim, facts)
    index = claim.get("index")
    if index is not None:
        nums = _numbers(source)
        if index >= len(nums) or index < -len(nums):
            raise _Unevaluable(f"{what} is {source}: no number {index} in it", line)
        found: Any = nums[index]
        shown = f"{found} in {source}"
        op = claim.get("op")
        if op is not None:
            ops = _number_ops(source)
            have = ops[index] if -len(ops) <= index < len(ops) else None
            if have != op:
                return Outcome(Status.FAIL, line, f"expected {what}: the number {index} "
                               f"taken with {op}; found it taken with {have or 'nothing'} in "
                               f"{source}", found)
    else:
        try:
            found = literal_value(source)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise _Unevaluable(f"{what} is {source}, not a literal", line) from None
        shown = show(found)
    expect = claim.get("expect")
    if not _same(expect, found):
        return Outcome(Status.FAIL, line, f"expected {what} = {show(expect)}; found {shown}",
                       found)
    if claim.get("follow_calls") and claim.get("param") is not None:
        for call, passed in _overrides(claim, facts):
            try:
                value = literal_value(passed)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                value = passed
            if not _same(expect, value):
                return Outcome(Status.FAIL, call.line, f"expected {what} = {show(expect)} "
                               f"where it is called; found {call.text}", found)
    return Outcome(Status.PASS, line, f"{what} = {shown}", found)


def _overrides(claim: ClaimSpec, facts: FileFacts) -> list[tuple[Call, str]]:
    """The calls in the file that pass the claimed parameter, with the value passed."""
    fn = _function(claim, facts)
    name = claim.get("param")
    params = [p.name for p in fn.params if not p.star]
    short = fn.qualname.rsplit(".", 1)[-1]
    if short == "__init__":  # a class is called by its own name
        short = fn.qualname.rsplit(".", 2)[-2] if "." in fn.qualname else short
    offset = 1 if params[:1] in (["self"], ["cls"]) else 0
    out = []
    calls = [*facts.calls, *(c for f in facts.functions for c in f.calls)]
    for call in sorted(calls, key=lambda c: (c.line, c.column)):
        if call.callee.rsplit(".", 1)[-1] != short:
            continue
        if call.kwarg(name) is not None:
            out.append((call, call.kwarg(name)))
        elif name in params and params.index(name) - offset < len(call.args) and not any(
                a.startswith("*") for a in call.args):
            out.append((call, call.args[params.index(name) - offset]))
    return out


def _number_ops(source: str) -> list[str | None]:
    """For each number in ``source`` (in the order ``_numbers`` finds them), the binary
    operator it is an operand of, or None."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return []
    parent: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parent[id(child)] = node
    out: list[str | None] = []
    for node in sorted((n for n in ast.walk(tree) if _is_number(n)),
                       key=lambda n: (n.lineno, n.col_offset)):  # type: ignore[attr-defined]
        up = parent.get(id(node))
        if isinstance(up, ast.UnaryOp):  # -1 is the number; its operator is the parent's
            up = parent.get(id(up))
        out.append(_OPS.get(type(up.op)) if isinstance(up, ast.BinOp) else None)
    return out
