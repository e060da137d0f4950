"""Expressions: names, literals, containers, comprehensions, f-strings, lambdas."""

from __future__ import annotations

import ast
import builtins
import operator
import re
from collections.abc import Callable

from nanochat_explain.depth.builtin import BUILTINS
from nanochat_explain.depth.machine import Machine
from nanochat_explain.depth.values import (
    _PRIMITIVES,
    MAX_NESTING,
    Dtype,
    Function,
    Opaque,
    Scope,
    Stuck,
    Tensor,
    _hashable,
    _OpaqueResult,
    deep_concrete,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.depth.values import Value


_FORMAT_SPEC = re.compile(r"(.?[<>=^])?[+\- ]?z?#?0?\d{0,3}[,_]?(\.\d{1,3})?[bcdeEfFgGnosxX%]?")


class Expressions(Machine):
    """Evaluates expressions, dispatching on the node's type."""

    def eval(self, node: ast.expr, scope: Scope) -> Value:
        self.tick(node)
        self.nesting += 1
        try:
            if self.nesting > MAX_NESTING:
                raise Stuck("nested too deeply to follow", self.where(node))
            handler = _EVAL.get(type(node))
            if handler is None:
                raise Stuck(f"{type(node).__name__} expressions are not modelled",
                            self.where(node))
            return handler(self, node, scope)
        except _OpaqueResult as unknown:  # a part (a key, a starred item) is unknown: the whole
            return unknown.value
        finally:
            self.nesting -= 1

    def lookup(self, name: str, scope: Scope, node: ast.AST) -> Value:
        s: Scope | None = scope
        while s is not None:
            if name in s.vars:
                return s.vars[name]
            s = s.parent
        if name in BUILTINS:
            return BUILTINS[name]
        if hasattr(builtins, name):
            return self.opaque(f"the builtin {name} is not modelled", node)
        raise Stuck(f"name {name!r} is not defined", self.where(node))

    def _eval_Constant(self, node: ast.Constant, scope: Scope) -> Value:
        return node.value

    def _eval_Name(self, node: ast.Name, scope: Scope) -> Value:
        return self.lookup(node.id, scope, node)

    def _eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Value:
        return self.getattr_(self.eval(node.value, scope), node.attr, node)

    def eval_index(self, node: ast.expr, scope: Scope) -> Value:
        return self.eval(node, scope)

    def _eval_Slice(self, node: ast.Slice, scope: Scope) -> Value:
        parts = [None if p is None else self.eval(p, scope)
                 for p in (node.lower, node.upper, node.step)]
        for p in parts:
            if isinstance(p, Opaque):
                return p
            if p is not None and not isinstance(p, int):
                return self.opaque("a slice of non-integers", node)
        return slice(*parts)

    def _eval_Subscript(self, node: ast.Subscript, scope: Scope) -> Value:
        container = self.eval(node.value, scope)
        return self.getitem(container, self.eval_index(node.slice, scope), node)

    def _eval_BinOp(self, node: ast.BinOp, scope: Scope) -> Value:
        return self.binop(node.op, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def _eval_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Value:
        value = self.eval(node.operand, scope)
        if isinstance(node.op, ast.Not):
            test = self.truth_or_opaque(value, node)
            return test if isinstance(test, Opaque) else not test
        if isinstance(value, Opaque):
            return value
        if isinstance(value, Tensor):
            return Tensor(value.shape)
        if isinstance(value, (bool, int, float, complex)) and not (
                isinstance(node.op, ast.Invert) and isinstance(value, (float, complex))):
            ops: dict[type[ast.unaryop], Callable[[Any], Any]] = {
                ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
            return ops[type(node.op)](value)
        return self.opaque(f"unary operator on {describe(value)}", node)

    def _eval_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Value:
        value: Value = None
        for operand in node.values:
            value = self.eval(operand, scope)
            test = self.truth_or_opaque(value, operand)
            if isinstance(test, Opaque):
                return test
            if isinstance(node.op, ast.And) and not test:
                return value
            if isinstance(node.op, ast.Or) and test:
                return value
        return value

    def _eval_Compare(self, node: ast.Compare, scope: Scope) -> Value:
        left = self.eval(node.left, scope)
        result: Value = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator, scope)
            result = self.compare(op, left, right, node)
            if isinstance(result, Opaque):
                return result
            test = self.truth_or_opaque(result, node)
            if isinstance(test, Opaque):
                return test
            if not test:
                return result
            left = right
        return result

    def _eval_IfExp(self, node: ast.IfExp, scope: Scope) -> Value:
        test = self.truth_or_opaque(self.eval(node.test, scope), node)
        if isinstance(test, Opaque):
            return test
        return self.eval(node.body if test else node.orelse, scope)

    def _eval_Call(self, node: ast.Call, scope: Scope) -> Value:
        func = self.eval(node.func, scope)
        args: list[Value] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                value = self.eval(arg.value, scope)
                if isinstance(value, Opaque):
                    return value
                args.extend(self.iterate(value, node))
            else:
                args.append(self.eval(arg, scope))
        kwargs: dict[str, Value] = {}
        for kw in node.keywords:
            value = self.eval(kw.value, scope)
            if kw.arg is not None:
                kwargs[kw.arg] = value
            elif isinstance(value, Opaque):
                return value
            elif isinstance(value, dict) and all(isinstance(k, str) for k in value):
                kwargs.update(value)
            else:
                raise Stuck("** of something other than a dict of names", self.where(node))
        return self.call(func, args, kwargs, node)

    def _eval_Tuple(self, node: ast.Tuple, scope: Scope) -> Value:
        return tuple(self._elements(node.elts, scope, node))

    def _eval_List(self, node: ast.List, scope: Scope) -> Value:
        return self._elements(node.elts, scope, node)

    def _eval_Set(self, node: ast.Set, scope: Scope) -> Value:
        return self.make_set(self._elements(node.elts, scope, node), node)

    def _elements(self, elts: list[ast.expr], scope: Scope, node: ast.AST) -> list[Value]:
        out: list[Value] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                value = self.eval(elt.value, scope)
                if isinstance(value, Opaque):
                    raise _OpaqueResult(value)
                out.extend(self.iterate(value, node))
            else:
                out.append(self.eval(elt, scope))
        self.charge(len(out), node)
        return out

    def _eval_Dict(self, node: ast.Dict, scope: Scope) -> Value:
        out: dict[Value, Value] = {}
        for key, value_node in zip(node.keys, node.values, strict=True):
            value = self.eval(value_node, scope)
            if key is None:
                if isinstance(value, Opaque):
                    return value
                if not isinstance(value, dict):
                    raise Stuck("** of something other than a dict", self.where(node))
                out.update(value)
                continue
            k = self.eval(key, scope)
            self.set_key(out, k, value, node)
        self.charge(len(out), node)
        return out

    def set_key(self, d: dict[Value, Value], key: Value, value: Value, node: ast.AST) -> None:
        status = _hashable(key)
        if status is None:
            raise _OpaqueResult(self.opaque(f"a dict key that is {describe(key)}", node))
        if status is False:
            raise Stuck(f"unhashable dict key: {describe(key)}", self.where(node))
        d[key] = value

    def make_set(self, items: list[Value], node: ast.AST) -> Value:
        for item in items:
            status = _hashable(item)
            if status is None:
                return self.opaque(f"a set of {describe(item)}", node)
            if status is False:
                raise Stuck(f"unhashable set element: {describe(item)}", self.where(node))
        return set(items)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                       scope: Scope, emit: Callable[[Scope], None]) -> None:
        inner = Scope(parent=scope)

        def loop(i: int) -> None:
            if i == len(node.generators):
                emit(inner)
                return
            gen = node.generators[i]
            iterable = self.eval(gen.iter, scope if i == 0 else inner)
            if isinstance(iterable, Opaque):
                raise _OpaqueResult(iterable)
            for item in self.iterate(iterable, node):
                self.assign(gen.target, item, inner, node)
                keep = True
                for cond in gen.ifs:
                    test = self.truth_or_opaque(self.eval(cond, inner), cond)
                    if isinstance(test, Opaque):
                        raise _OpaqueResult(test)
                    if not test:
                        keep = False
                        break
                if keep:
                    loop(i + 1)

        loop(0)

    def _eval_ListComp(self, node: ast.ListComp, scope: Scope) -> Value:
        out: list[Value] = []
        try:
            self._comprehension(node, scope, lambda s: out.append(self.eval(node.elt, s)))
        except _OpaqueResult as opaque:
            return opaque.value
        self.charge(len(out), node)
        return out

    _eval_GeneratorExp = _eval_ListComp  # consumed eagerly: sum(), list(), all() take them whole

    def _eval_SetComp(self, node: ast.SetComp, scope: Scope) -> Value:
        out: list[Value] = []
        try:
            self._comprehension(node, scope, lambda s: out.append(self.eval(node.elt, s)))
        except _OpaqueResult as opaque:
            return opaque.value
        self.charge(len(out), node)
        return self.make_set(out, node)

    def _eval_DictComp(self, node: ast.DictComp, scope: Scope) -> Value:
        out: dict[Value, Value] = {}

        def emit(s: Scope) -> None:
            key = self.eval(node.key, s)
            self.set_key(out, key, self.eval(node.value, s), node)

        try:
            self._comprehension(node, scope, emit)
        except _OpaqueResult as opaque:
            return opaque.value
        self.charge(len(out), node)
        return out

    def _eval_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Value:
        parts: list[str] = []
        for value in node.values:
            part = self.eval(value, scope)
            if isinstance(part, Opaque):
                return part
            if not isinstance(part, str):
                return self.opaque("an f-string part that is not a string", node)
            parts.append(part)
        text = "".join(parts)
        self.charge(len(text), node)
        return text

    def _eval_FormattedValue(self, node: ast.FormattedValue, scope: Scope) -> Value:
        value = self.eval(node.value, scope)
        spec = "" if node.format_spec is None else self.eval(node.format_spec, scope)
        if isinstance(value, Opaque):
            return value
        if isinstance(spec, Opaque):
            return spec
        if not isinstance(spec, str) or not _FORMAT_SPEC.fullmatch(spec):
            return self.opaque(f"the format spec {spec!r} is not modelled", node)
        if isinstance(value, Dtype):
            value = f"torch.{value.name}"
        if not deep_concrete(value):
            return self.opaque(f"formatting {describe(value)}", node)
        try:
            if node.conversion == ord("r"):
                value = repr(value)
            elif node.conversion == ord("a"):
                value = ascii(value)
            elif node.conversion == ord("s") or not isinstance(value, _PRIMITIVES):
                value = str(value)
            return format(value, spec)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise Stuck(f"cannot format: {exc}", self.where(node)) from None

    def _eval_Lambda(self, node: ast.Lambda, scope: Scope) -> Value:
        defaults = tuple(self.eval(d, scope) for d in node.args.defaults)
        kw_defaults = {a.arg: self.eval(d, scope)
                       for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                       if d is not None}
        defining = scope
        while defining.is_class and defining.parent is not None:
            defining = defining.parent
        return Function("<lambda>", "<lambda>", node, defining, defaults, kw_defaults, self.file)

    def _eval_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> Value:
        value = self.eval(node.value, scope)
        self.assign(node.target, value, scope, node)
        return value


_EVAL: dict[type[ast.AST], Callable[[Expressions, Any, Scope], Value]] = {
    getattr(ast, name[len("_eval_"):]): getattr(Expressions, name)
    for name in dir(Expressions) if name.startswith("_eval_")
}
