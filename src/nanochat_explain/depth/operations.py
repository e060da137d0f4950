"""Operators: arithmetic with guards on size, comparisons, membership and truth."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from nanochat_explain.depth.machine import Machine
from nanochat_explain.depth.torchnn import MODULEDICT, MODULELIST, SEQUENTIAL
from nanochat_explain.depth.values import (
    _CONTAINERS,
    _IDENTITY_TYPES,
    _PRIMITIVES,
    MAX_INT_BITS,
    BoundMethod,
    Builtin,
    BuiltinClass,
    ClassValue,
    Function,
    Obj,
    Opaque,
    Stuck,
    Symbol,
    Tensor,
    deep_concrete,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.depth.values import Value


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.BitXor: operator.xor,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}


class Operations(Machine):
    """Applies operators to values, refusing what would grow beyond the limits."""

    def binop(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        if isinstance(left, Opaque):
            return left
        if isinstance(right, Opaque):
            return right
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return self._tensor_binop(op, left, right, node)
        plain = (*_PRIMITIVES, *_CONTAINERS)
        fn = _BINOPS.get(type(op))
        if fn is None or not isinstance(left, plain) or not isinstance(right, plain):
            return self.opaque(f"{type(op).__name__} of {describe(left)} and {describe(right)}"
                               " is not modelled", node)
        if isinstance(op, ast.Mod) and isinstance(left, (str, bytes)):
            return self.opaque("%-formatting is not modelled", node)
        self._guard(op, left, right, node)
        try:
            result = fn(left, right)
        except (ArithmeticError, TypeError, ValueError, MemoryError, RecursionError) as exc:
            raise Stuck(f"{type(exc).__name__}: {exc}", self.where(node)) from None
        return self._checked(result, node)

    def _guard(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> None:
        where = self.where(node)
        if isinstance(op, ast.Mult):
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
                    self.charge(max(0, n) * len(seq), node)
        elif isinstance(op, ast.Add) and isinstance(left, (str, bytes, list, tuple)):
            if isinstance(right, (str, bytes, list, tuple)):
                self.charge(len(left) + len(right), node)
        elif isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and right * abs(left).bit_length() > MAX_INT_BITS:
                raise Stuck("an integer too large to follow", where)
        elif isinstance(op, ast.LShift) and isinstance(right, int) and right > MAX_INT_BITS:
            raise Stuck("an integer too large to follow", where)

    def _checked(self, result: Value, node: ast.AST) -> Value:
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise Stuck("an integer too large to follow", self.where(node))
        if isinstance(result, (str, bytes, list, tuple)):
            self.charge(len(result), node)
        return result

    def inplace(self, op: ast.operator, current: Value, value: Value, node: ast.AST) -> Value:
        if isinstance(current, list) and isinstance(op, ast.Add) and not isinstance(value, Opaque):
            current.extend(self.iterate(value, node))
            self.charge(len(current), node)
            return current
        if isinstance(current, dict) and isinstance(op, ast.BitOr) and isinstance(value, dict):
            current.update(value)
            return current
        return self.binop(op, current, value, node)

    def _tensor_binop(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        numbers = (bool, int, float)
        if isinstance(op, ast.MatMult):
            return self.opaque("a matrix product of tensors is not modelled", node)
        if isinstance(left, Tensor) and isinstance(right, numbers):
            return Tensor(left.shape)
        if isinstance(right, Tensor) and isinstance(left, numbers):
            return Tensor(right.shape)
        if (isinstance(left, Tensor) and isinstance(right, Tensor)
                and isinstance(left.shape, tuple) and left.shape == right.shape):
            return Tensor(left.shape)
        return self.opaque("tensor arithmetic with broadcasting is not modelled", node)

    def compare(self, op: ast.cmpop, left: Value, right: Value, node: ast.AST) -> Value:
        if isinstance(op, (ast.Is, ast.IsNot)):
            if left is right:
                same = True
            elif isinstance(left, (Opaque, Symbol)) or isinstance(right, (Opaque, Symbol)):
                return self.opaque(f"whether {describe(left)} is {describe(right)}", node)
            else:
                same = False
            return same if isinstance(op, ast.Is) else not same
        if isinstance(op, (ast.In, ast.NotIn)):
            found = self.contains(right, left, node)
            if isinstance(found, Opaque):
                return found
            return found if isinstance(op, ast.In) else not found
        for v in (left, right):
            if isinstance(v, Opaque):
                return v
        fn = _COMPARE[type(op)]
        if deep_concrete(left) and deep_concrete(right):
            try:
                return fn(left, right)
            except (TypeError, RecursionError) as exc:
                raise Stuck(f"cannot compare: {exc}", self.where(node)) from None
        if isinstance(op, (ast.Eq, ast.NotEq)):
            identity = (Obj, Function, ClassValue, BuiltinClass, Builtin, BoundMethod)
            dataclass_obj = any(isinstance(v, Obj) and isinstance(v.cls, ClassValue)
                                and v.cls.is_dataclass for v in (left, right))
            if not dataclass_obj and (isinstance(left, identity) or isinstance(right, identity)) \
                    and not isinstance(left, (Symbol, Tensor)) \
                    and not isinstance(right, (Symbol, Tensor)):
                return (left is right) == isinstance(op, ast.Eq)
        return self.opaque(f"comparing {describe(left)} with {describe(right)}", node)

    def contains(self, container: Value, item: Value, node: ast.AST) -> bool | Opaque:
        if isinstance(container, Opaque):
            return container
        if isinstance(item, Opaque):
            return item
        if isinstance(container, str):
            if not isinstance(item, str):
                raise Stuck("'in <string>' requires a string", self.where(node))
            return item in container
        if isinstance(container, Obj) and container.cls is MODULEDICT:
            return item in container.modules if isinstance(item, str) else False
        if isinstance(container, Obj) and container.cls in (MODULELIST, SEQUENTIAL):
            return any(m is item for m in container.modules.values())
        if isinstance(container, (list, tuple, set, frozenset, dict, range)):
            elements = list(container)
            self.charge(len(elements), node)
            if any(e is item for e in elements):
                return True
            if deep_concrete(item) and all(deep_concrete(e) for e in elements):
                return item in elements
            if isinstance(item, _IDENTITY_TYPES) and not isinstance(item, Tensor) and all(
                    isinstance(e, (*_PRIMITIVES, *_IDENTITY_TYPES)) for e in elements):
                return False
            return self.opaque(f"whether {describe(item)} is in a collection", node)
        return self.opaque(f"membership in {describe(container)}", node)

    def truth_or_opaque(self, v: Value, node: ast.AST) -> bool | Opaque:
        if isinstance(v, (*_PRIMITIVES, *_CONTAINERS, range)):
            return bool(v)
        if isinstance(v, Opaque):
            return v
        if isinstance(v, Symbol):
            return self.opaque(f"the truth value of {v.path}", node)
        if isinstance(v, Tensor):
            return self.opaque("the truth value of a tensor", node)
        if isinstance(v, Obj):
            if v.cls in (MODULEDICT, MODULELIST, SEQUENTIAL):
                return bool(v.modules)
            for c in v.mro:
                if isinstance(c, ClassValue) and ("__bool__" in c.attrs or "__len__" in c.attrs):
                    return self.opaque(f"the truth value of {describe(v)}", node)
                if not isinstance(c, (ClassValue, BuiltinClass)):
                    return self.opaque(f"the truth value of {describe(v)}", node)
        return True

    def truth(self, v: Value, node: ast.AST, what: str) -> bool:
        test = self.truth_or_opaque(v, node)
        if isinstance(test, Opaque):
            raise Stuck(f"cannot decide `{what}`: it depends on {test.describe()}",
                        self.where(node))
        return test
