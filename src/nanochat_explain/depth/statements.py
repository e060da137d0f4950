"""Statements: running a module leniently, executing blocks, binding names and
unpacking assignments."""

from __future__ import annotations

import ast
from collections.abc import Callable

from nanochat_explain.depth.library import _DATACLASS
from nanochat_explain.depth.machine import Machine
from nanochat_explain.depth.values import (
    MAX_NESTING,
    MISSING,
    Builtin,
    BuiltinClass,
    ClassValue,
    Function,
    Opaque,
    Scope,
    Stuck,
    Symbol,
    Wrapped,
    _Break,
    _c3,
    _Continue,
    _Return,
    describe,
)
from nanochat_explain.facts.canon import unparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.depth.values import Value


class Statements(Machine):
    """Runs module bodies, blocks and statements, and binds what they assign."""

    # -- modules -------------------------------------------------------------------------------

    def run_module(self, body: list[ast.stmt], scope: Scope, file: str,
                   stop: Callable[[ast.stmt], bool] | None = None,
                   ) -> tuple[ast.stmt | None, list[Stuck]]:
        """Run a module body leniently: a statement that cannot be followed is skipped and the
        names it would set become opaque. Top-level ``while`` loops are not run. Stops before
        the first statement ``stop`` accepts (descending into ``if``/``with``) and returns it."""
        self.file = file
        failures: list[Stuck] = []
        return self._run_lenient(body, scope, stop, failures), failures

    def _run_lenient(self, body: list[ast.stmt], scope: Scope,
                     stop: Callable[[ast.stmt], bool] | None,
                     failures: list[Stuck]) -> ast.stmt | None:
        for stmt in body:
            hit = stop is not None and stop(stmt)
            try:
                if isinstance(stmt, ast.If):
                    test = self.truth_or_opaque(self.eval(stmt.test, scope), stmt)
                    if isinstance(test, Opaque):
                        if hit:
                            return stmt
                        self._taint(stmt.body + stmt.orelse, scope, test.describe())
                        continue
                    found = self._run_lenient(stmt.body if test else stmt.orelse, scope, stop,
                                              failures)
                    if found is not None:
                        return found
                    continue
                if isinstance(stmt, ast.With):
                    for item in stmt.items:
                        self.eval(item.context_expr, scope)
                        if item.optional_vars is not None:
                            self.assign(item.optional_vars,
                                        self.opaque("the value of a with statement", stmt), scope,
                                        stmt)
                    found = self._run_lenient(stmt.body, scope, stop, failures)
                    if found is not None:
                        return found
                    continue
                if hit:
                    return stmt
                if isinstance(stmt, ast.While):
                    self._taint([stmt], scope, "a top-level loop, not run")
                elif isinstance(stmt, ast.Try):
                    found = self._run_lenient(stmt.body, scope, stop, failures)
                    if found is not None:
                        return found
                    self._taint(list(stmt.handlers), scope, "an exception handler, not run")
                    for block in (stmt.orelse, stmt.finalbody):
                        found = self._run_lenient(block, scope, stop, failures)
                        if found is not None:
                            return found
                else:
                    self.exec_stmt(stmt, scope)
            except Stuck as exc:
                if exc.fatal:
                    raise
                failures.append(exc)
                self._taint([stmt], scope, exc.reason, exc.where)
            except (_Return, _Break, _Continue):
                failures.append(Stuck("return, break or continue outside a function or loop",
                                      self.where(stmt)))
        return None

    def _taint(self, stmts: list[Any], scope: Scope, reason: str, where: str = "") -> None:
        for name in assigned_names(stmts):
            if name not in scope.pinned:
                at = where or self.where(stmts[0] if stmts else None)
                scope.vars[name] = Opaque(f"set where the code could not be followed: {reason}",
                                          at)

    # -- statements ----------------------------------------------------------------------------

    def exec_block(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, node: ast.stmt, scope: Scope) -> None:
        self.tick(node)
        self.nesting += 1
        try:
            if self.nesting > MAX_NESTING:
                raise Stuck("nested too deeply to follow", self.where(node))
            handler = _EXEC.get(type(node))
            if handler is None:
                raise Stuck(f"{type(node).__name__} statements are not modelled", self.where(node))
            handler(self, node, scope)
        finally:
            self.nesting -= 1

    def _exec_Expr(self, node: ast.Expr, scope: Scope) -> None:
        self.eval(node.value, scope)

    def _exec_Pass(self, node: ast.Pass, scope: Scope) -> None:
        pass

    def _exec_Break(self, node: ast.Break, scope: Scope) -> None:
        raise _Break

    def _exec_Continue(self, node: ast.Continue, scope: Scope) -> None:
        raise _Continue

    def _exec_Return(self, node: ast.Return, scope: Scope) -> None:
        raise _Return(None if node.value is None else self.eval(node.value, scope))

    def _exec_Assign(self, node: ast.Assign, scope: Scope) -> None:
        value = self.eval(node.value, scope)
        for target in node.targets:
            self.assign(target, value, scope, node)

    def _exec_AnnAssign(self, node: ast.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self.assign(node.target, self.eval(node.value, scope), scope, node)

    def _exec_AugAssign(self, node: ast.AugAssign, scope: Scope) -> None:
        value = self.eval(node.value, scope)
        target = node.target
        if isinstance(target, ast.Name):
            current = self.lookup(target.id, scope, node)
            self.assign(target, self.inplace(node.op, current, value, node), scope, node)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            current = self.getattr_(obj, target.attr, node)
            self.setattr_(obj, target.attr, self.inplace(node.op, current, value, node), node)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, scope)
            index = self.eval_index(target.slice, scope)
            current = self.getitem(container, index, node)
            self.setitem(container, index, self.inplace(node.op, current, value, node), node)
        else:
            raise Stuck("augmented assignment to this target is not modelled", self.where(node))

    def _exec_If(self, node: ast.If, scope: Scope) -> None:
        test = self.truth(self.eval(node.test, scope), node, f"if {unparse(node.test)}")
        self.exec_block(node.body if test else node.orelse, scope)

    def _exec_For(self, node: ast.For, scope: Scope) -> None:
        iterable = self.eval(node.iter, scope)
        for item in self.iterate(iterable, node):
            self.assign(node.target, item, scope, node)
            try:
                self.exec_block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.exec_block(node.orelse, scope)

    def _exec_While(self, node: ast.While, scope: Scope) -> None:
        while True:
            self.tick(node)
            if not self.truth(self.eval(node.test, scope), node,
                              f"while {unparse(node.test)}"):
                break
            try:
                self.exec_block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.exec_block(node.orelse, scope)

    def _exec_Assert(self, node: ast.Assert, scope: Scope) -> None:
        test = self.truth_or_opaque(self.eval(node.test, scope), node)
        if test is False:
            message = unparse(node.test)
            if node.msg is not None:
                msg = self.eval(node.msg, scope)
                if isinstance(msg, str):
                    message = msg
            raise Stuck(f"assertion failed: {message}", self.where(node))

    def _exec_With(self, node: ast.With, scope: Scope) -> None:
        for item in node.items:
            self.eval(item.context_expr, scope)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, self.opaque("the value of a with statement", node),
                            scope, node)
        self.exec_block(node.body, scope)

    def _exec_Raise(self, node: ast.Raise, scope: Scope) -> None:
        what = unparse(node.exc) if node.exc is not None else "re-raise"
        raise Stuck(f"the code raises here ({what})", self.where(node))

    def _exec_Delete(self, node: ast.Delete, scope: Scope) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in scope.vars:
                del scope.vars[target.id]
            else:
                raise Stuck(f"del {unparse(target)} is not modelled", self.where(node))

    def _exec_Import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind(scope, alias.asname, self.symbol(alias.name, node))
            else:
                top = alias.name.split(".")[0]
                self.bind(scope, top, self.symbol(top, node))

    def _exec_ImportFrom(self, node: ast.ImportFrom, scope: Scope) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                raise Stuck(f"from {module} import * is not modelled", self.where(node))
            self.bind(scope, alias.asname or alias.name,
                      self.symbol(f"{module}.{alias.name}", node))

    def _exec_FunctionDef(self, node: ast.FunctionDef, scope: Scope) -> None:
        defaults = tuple(self.eval(d, scope) for d in node.args.defaults)
        kw_defaults = {a.arg: self.eval(d, scope)
                       for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                       if d is not None}
        owner = self.class_stack[-1] if scope.is_class and self.class_stack else None
        defining = scope
        while defining.is_class and defining.parent is not None:
            defining = defining.parent
        qualname = f"{owner.qualname}.{node.name}" if owner else node.name
        func: Value = Function(node.name, qualname, node, defining, defaults, kw_defaults,
                               self.file, owner, _is_generator(node))
        for decorator in reversed(node.decorator_list):
            func = self._decorate(decorator, func, scope)
        self.bind(scope, node.name, func)

    def _exec_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, scope: Scope) -> None:
        self.bind(scope, node.name, self.opaque("an async function", node))

    def _decorate(self, decorator: ast.expr, func: Value, scope: Scope) -> Value:
        try:
            value = self.eval(decorator, scope)
        except Stuck as exc:
            if exc.fatal:
                raise
            return func
        if isinstance(value, Builtin) and value.name in ("staticmethod", "classmethod",
                                                         "property"):
            return Wrapped(value.name, func)
        if isinstance(value, Function):
            return self.call(value, [func], {}, decorator)
        return func  # other decorators (torch.no_grad(), ...) are taken as the identity

    def _exec_ClassDef(self, node: ast.ClassDef, scope: Scope) -> None:
        bases = tuple(self.eval(b, scope) for b in node.bases)
        for base in bases:
            if not isinstance(base, (ClassValue, BuiltinClass, Symbol, Opaque)):
                raise Stuck(f"class {node.name}: base {describe(base)} is not a class",
                            self.where(node))
        outer = self.class_stack[-1].qualname + "." if self.class_stack and scope.is_class else ""
        cls = ClassValue(node.name, outer + node.name, bases, self.file, node.lineno)
        cls.mro = _c3(cls, bases, self.where(node))
        body_scope = Scope(parent=scope, is_class=True)
        self.class_stack.append(cls)
        try:
            self.exec_block(node.body, body_scope)
        finally:
            self.class_stack.pop()
        cls.attrs = dict(body_scope.vars)
        for stmt in node.body:
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and "ClassVar" not in unparse(stmt.annotation)):
                cls.fields.append((stmt.target.id, cls.attrs.get(stmt.target.id, MISSING)))
        result: Value = cls
        for decorator in reversed(node.decorator_list):
            try:
                value = self.eval(decorator, scope)
            except Stuck as exc:
                if exc.fatal:
                    raise
                continue
            if value is _DATACLASS:
                cls.is_dataclass = True
            elif isinstance(value, Function):
                result = self.call(value, [result], {}, decorator)
        self.bind(scope, node.name, result)

    # -- assignment ----------------------------------------------------------------------------

    def bind(self, scope: Scope, name: str, value: Value) -> None:
        if name not in scope.pinned:
            scope.vars[name] = value

    def assign(self, target: ast.expr, value: Value, scope: Scope, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.bind(scope, target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target.elts, value, scope, node)
        elif isinstance(target, ast.Attribute):
            self.setattr_(self.eval(target.value, scope), target.attr, value, node)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, scope)
            self.setitem(container, self.eval_index(target.slice, scope), value, node)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope, node)
        else:
            raise Stuck(f"assignment to {unparse(target)} is not modelled", self.where(node))

    def _unpack(self, targets: list[ast.expr], value: Value, scope: Scope, node: ast.AST) -> None:
        if isinstance(value, Opaque):
            for t in targets:
                self.assign(t, value, scope, node)
            return
        items = list(self.iterate(value, node))
        starred = [i for i, t in enumerate(targets) if isinstance(t, ast.Starred)]
        if starred:
            s = starred[0]
            after = len(targets) - s - 1
            if len(items) < len(targets) - 1:
                raise Stuck(f"not enough values to unpack (expected at least {len(targets) - 1},"
                            f" got {len(items)})", self.where(node))
            for t, v in zip(targets[:s], items[:s], strict=True):
                self.assign(t, v, scope, node)
            self.assign(targets[s], items[s:len(items) - after], scope, node)
            for t, v in zip(targets[s + 1:], items[len(items) - after:], strict=True):
                self.assign(t, v, scope, node)
            return
        if len(items) != len(targets):
            raise Stuck(f"cannot unpack {len(items)} values into {len(targets)} names",
                        self.where(node))
        for t, v in zip(targets, items, strict=True):
            self.assign(t, v, scope, node)


def _is_generator(node: ast.FunctionDef) -> bool:
    stack: list[ast.AST] = list(node.body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


def assigned_names(stmts: list[Any]) -> list[str]:
    """Names a list of statements binds in its own scope (not inside nested functions)."""
    names: list[str] = []

    def target(t: ast.AST) -> None:
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for elt in t.elts:
                target(elt)
        elif isinstance(t, ast.Starred):
            target(t.value)

    stack: list[ast.AST] = list(stmts)
    while stack:
        s = stack.pop()
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(s.name)
            continue
        if isinstance(s, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(s, ast.Assign):
            for t in s.targets:
                target(t)
        elif isinstance(s, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
            target(s.target)
        elif isinstance(s, ast.withitem) and s.optional_vars is not None:
            target(s.optional_vars)
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            for alias in s.names:
                names.append(alias.asname or alias.name.split(".")[0])
        elif isinstance(s, ast.ExceptHandler) and s.name:
            names.append(s.name)
        stack.extend(ast.iter_child_nodes(s))
    return names


_EXEC: dict[type[ast.AST], Callable[[Statements, Any, Scope], None]] = {
    getattr(ast, name[len("_exec_"):]): getattr(Statements, name)
    for name in dir(Statements) if name.startswith("_exec_")
}
