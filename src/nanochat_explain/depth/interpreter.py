"""A small restricted interpreter over Python's ``ast``, for reading nanochat's own formulas.

It never compiles, imports or runs the code it reads: it walks the syntax tree and evaluates a
subset of Python (arithmetic, comparisons, containers, comprehensions, f-strings, functions,
classes, dataclasses) over plain values, plus a shape-only model of the few torch objects
nanochat's model is built from (``nn.Module`` and its ``Linear``, ``Embedding``, ``ModuleDict``,
``ModuleList``; ``nn.Parameter``; ``torch.ones``/``zeros``), ``argparse`` defaults and the
param-group list an optimizer is constructed from.

Anything else (a call into a library it does not model, an attribute of such a value) becomes
an :class:`Opaque` value carrying the reason and ``file:line``; it is harmless until something
needs it. Where the code cannot be followed (an ``if`` on an opaque test, a missing name, a
failed assertion, the step budget or the nesting limit) the interpreter raises :class:`Stuck`.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nanochat_explain.facts.canon import unparse

MAX_STEPS = 1_000_000  # evaluated nodes (and loop iterations) per phase
MAX_NESTING = 150  # nested expression/statement evaluations
MAX_CALLS = 40  # nested function calls
MAX_ITEMS = 1_000_000  # elements of one list, tuple, string...
MAX_INT_BITS = 4096  # no integer grows beyond this

Value = Any


class Stuck(Exception):
    """The interpreter cannot follow the code at ``where`` (``file:line``).

    ``fatal`` errors (the step budget) stop a whole run, not just a statement.
    """

    def __init__(self, reason: str, where: str, *, fatal: bool = False) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.where = where
        self.fatal = fatal


class _Return(Exception):
    def __init__(self, value: Value) -> None:
        super().__init__()
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _OpaqueResult(Exception):
    def __init__(self, value: Opaque) -> None:
        super().__init__()
        self.value = value


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, eq=False)
class Opaque:
    """A value the interpreter does not model, with the reason and where it came from."""

    reason: str
    where: str
    maybe_module: bool = False  # the result of calling a class-like name: could hold parameters

    def describe(self) -> str:
        return f"{self.reason} ({self.where})" if self.where else self.reason


@dataclass(frozen=True, eq=False)
class Symbol:
    """A name from a module that is not interpreted (``torch``, ``nanochat.common.print0``)."""

    path: str


@dataclass(frozen=True)
class Dtype:
    name: str
    itemsize: int
    assumed: str = field(default="", compare=False)  # the name taken to be this dtype


@dataclass(frozen=True, eq=False)
class Tensor:
    """A tensor of which only the shape is known (or not)."""

    shape: tuple[int, ...] | Opaque


@dataclass(frozen=True, eq=False)
class Param(Tensor):
    """An ``nn.Parameter``: compared and hashed by identity, as torch does."""


@dataclass(eq=False)
class Scope:
    vars: dict[str, Value] = field(default_factory=dict)
    parent: Scope | None = None
    is_class: bool = False
    pinned: frozenset[str] = frozenset()  # names whose assignments are ignored


@dataclass(eq=False)
class Function:
    name: str
    qualname: str
    node: ast.FunctionDef | ast.Lambda
    scope: Scope
    defaults: tuple[Value, ...]
    kw_defaults: dict[str, Value]
    file: str
    owner: ClassValue | None = None
    is_generator: bool = False


@dataclass(eq=False)
class ClassValue:
    name: str
    qualname: str
    bases: tuple[Value, ...]
    file: str
    line: int
    attrs: dict[str, Value] = field(default_factory=dict)
    fields: list[tuple[str, Value]] = field(default_factory=list)
    is_dataclass: bool = False
    mro: tuple[Value, ...] = ()


BuiltinInit = Callable[["Interpreter", "Obj", list[Value], dict[str, Value], ast.AST], None]
BuiltinMethod = Callable[["Interpreter", "Obj", list[Value], dict[str, Value], ast.AST], Value]


class BuiltinClass:
    """A class the interpreter models itself (``nn.Linear``, ``argparse.ArgumentParser``...)."""

    def __init__(self, name: str, bases: tuple[BuiltinClass, ...] = (), *,
                 init: BuiltinInit | None = None, is_module: bool = False,
                 methods: dict[str, BuiltinMethod] | None = None) -> None:
        self.name = name
        self.bases = bases
        self.init = init
        self.is_module = is_module
        self.methods = methods or {}
        mro: list[BuiltinClass] = [self]
        for base in bases:
            mro.extend(c for c in base.mro if c not in mro)
        self.mro: tuple[BuiltinClass, ...] = tuple(mro)

    def __repr__(self) -> str:
        return f"<class {self.name}>"


@dataclass(eq=False)
class Obj:
    """An instance: of a class of the source, or of a modelled class.

    For modules, attributes are kept as torch keeps them: parameters, buffers and submodules
    apart from plain attributes; ``order`` is the order in which they were first registered.
    """

    cls: ClassValue | BuiltinClass
    plain: dict[str, Value] = field(default_factory=dict)
    params: dict[str, Param | None] = field(default_factory=dict)
    buffers: dict[str, Value] = field(default_factory=dict)
    modules: dict[str, Value] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    ready: bool = False  # nn.Module.__init__ has run

    @property
    def mro(self) -> tuple[Value, ...]:
        return self.cls.mro

    @property
    def is_module(self) -> bool:
        return any(isinstance(c, BuiltinClass) and c.is_module for c in self.mro)

    @property
    def unknown_base(self) -> Value | None:
        for c in self.mro:
            if not isinstance(c, (ClassValue, BuiltinClass)):
                return c
        return None

    def register(self, name: str) -> None:
        if name not in self.order:
            self.order.append(name)


@dataclass(frozen=True, eq=False)
class BoundMethod:
    func: Value
    self_obj: Value


@dataclass(frozen=True, eq=False)
class Builtin:
    name: str
    impl: Callable[[Interpreter, list[Value], dict[str, Value], ast.AST], Value]
    pytype: type | None = None  # for isinstance(x, int) and the like


@dataclass(frozen=True, eq=False)
class Super:
    obj: Value
    start: ClassValue


@dataclass(frozen=True, eq=False)
class Wrapped:
    kind: str  # staticmethod, classmethod, property
    func: Value


@dataclass(frozen=True, eq=False)
class FieldSpec:
    default: Value
    factory: Value


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

_PRIMITIVES = (type(None), bool, int, float, complex, str, bytes)
_CONTAINERS = (tuple, list, dict, set, frozenset)


def class_mro(cls: Value) -> tuple[Value, ...]:
    if isinstance(cls, (ClassValue, BuiltinClass)):
        return cls.mro
    return (cls,)


def _c3(cls: ClassValue, bases: tuple[Value, ...], where: str) -> tuple[Value, ...]:
    seqs = [list(class_mro(b)) for b in bases] + [list(bases)]
    result: list[Value] = [cls]
    while True:
        seqs = [s for s in seqs if s]
        if not seqs:
            return tuple(result)
        for seq in seqs:
            head = seq[0]
            if not any(any(head is x for x in s[1:]) for s in seqs):
                break
        else:
            raise Stuck(f"class {cls.name}: no consistent method resolution order", where)
        result.append(head)
        for seq in seqs:
            if seq[0] is head:
                seq.pop(0)


def describe(v: Value) -> str:
    if isinstance(v, Opaque):
        return "an unknown value"
    if isinstance(v, Symbol):
        return v.path
    if isinstance(v, Obj):
        return f"a {v.cls.name} object"
    if isinstance(v, Param):
        return "a parameter"
    if isinstance(v, Tensor):
        return "a tensor"
    if isinstance(v, (Function, BoundMethod, Builtin)):
        return "a function"
    if isinstance(v, (ClassValue, BuiltinClass)):
        return f"class {v.name}"
    if isinstance(v, Dtype):
        return f"torch.{v.name}"
    return type(v).__name__


def deep_concrete(v: Value, depth: int = 0) -> bool:
    """Only plain Python data: safe to compare, sort, hash or print natively."""
    if isinstance(v, (*_PRIMITIVES, Dtype, range)):
        return True
    if depth > 20:
        return False
    if isinstance(v, dict):
        return all(deep_concrete(k, depth + 1) and deep_concrete(x, depth + 1)
                   for k, x in v.items())
    if isinstance(v, _CONTAINERS):
        return all(deep_concrete(x, depth + 1) for x in v)
    return False


_IDENTITY_TYPES = (Obj, Param, Tensor, Function, ClassValue, BuiltinClass, Builtin, BoundMethod)


def _hashable(v: Value, depth: int = 0) -> bool | None:
    """True if v hashes as Python would, False if unhashable, None if it is unknown."""
    if isinstance(v, (*_PRIMITIVES, Dtype, range)):
        return True
    if isinstance(v, (list, dict, set)):
        return False
    if isinstance(v, (tuple, frozenset)):
        if depth > 20:
            return None
        parts = [_hashable(x, depth + 1) for x in v]
        if False in parts:
            return False
        return None if None in parts else True
    if isinstance(v, Obj) and isinstance(v.cls, ClassValue) and v.cls.is_dataclass:
        return None
    if isinstance(v, _IDENTITY_TYPES):
        return True
    return None


def _prod(shape: tuple[int, ...]) -> int:
    out = 1
    for n in shape:
        out *= n
    return out


# --------------------------------------------------------------------------------------------
# The interpreter


_FORMAT_SPEC = re.compile(r"(.?[<>=^])?[+\- ]?z?#?0?\d{0,3}[,_]?(\.\d{1,3})?[bcdeEfFgGnosxX%]?")

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


class Interpreter:
    """Evaluates statements and expressions of parsed source; see the module docstring."""

    def __init__(self, *, max_steps: int = MAX_STEPS,
                 argv: dict[str, Value] | None = None) -> None:
        self.max_steps = max_steps
        self.steps = 0
        self.nesting = 0
        self.file = "<source>"
        self.frames: list[tuple[Function, Value]] = []
        self.class_stack: list[ClassValue] = []
        self.modules: dict[str, Scope] = {}  # interpreted modules, by dotted name
        self.argv: dict[str, Value] = dict(argv or {})  # parse_args() overrides, by dest
        self.captured: dict[str, dict[str, Value]] = {}  # last locals of each function
        self.optimizers: list[Obj] = []
        self.assumptions: set[str] = set()
        self.namespace_reads: list[str] = []

    # -- bookkeeping ---------------------------------------------------------------------------

    def where(self, node: ast.AST | None) -> str:
        line = getattr(node, "lineno", None)
        return f"{self.file}:{line}" if line else self.file

    def tick(self, node: ast.AST | None, n: int = 1) -> None:
        self.steps += n
        if self.steps > self.max_steps:
            raise Stuck(f"stopped by the step budget ({self.max_steps:,} evaluation steps)",
                        self.where(node), fatal=True)

    def charge(self, size: int, node: ast.AST | None) -> None:
        if size > MAX_ITEMS:
            raise Stuck(f"a value of {size:,} items is too large to follow", self.where(node))
        self.tick(node, size // 8)

    def opaque(self, reason: str, node: ast.AST | None, *, maybe_module: bool = False) -> Opaque:
        return Opaque(reason, self.where(node), maybe_module)

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

    # -- expressions ---------------------------------------------------------------------------

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

    # -- operators -----------------------------------------------------------------------------

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

    # -- attributes, items, iteration ----------------------------------------------------------

    def symbol(self, path: str, node: ast.AST | None) -> Value:
        """What a dotted name from an import (or an attribute of one) stands for."""
        module, _, name = path.rpartition(".")
        if module in self.modules:
            scope = self.modules[module]
            if name not in scope.vars:
                raise Stuck(f"{module} has no name {name!r}", self.where(node))
            return scope.vars[name]
        if path in EXTERNALS:
            return EXTERNALS[path]
        if name == "COMPUTE_DTYPE":  # nanochat's runtime-chosen compute dtype
            return Dtype("bfloat16", 2, assumed=path)
        return Symbol(path)

    def getattr_(self, v: Value, name: str, node: ast.AST) -> Value:
        if isinstance(v, Opaque):
            return v
        if isinstance(v, Symbol):
            return self.symbol(f"{v.path}.{name}", node)
        if isinstance(v, Obj):
            return self._obj_getattr(v, name, node)
        if isinstance(v, Super):
            return self._super_getattr(v, name, node)
        if isinstance(v, ClassValue):
            if name == "__name__":
                return v.name
            for c in v.mro:
                if isinstance(c, ClassValue) and name in c.attrs:
                    attr = c.attrs[name]
                    if isinstance(attr, Wrapped):
                        return BoundMethod(attr.func, v) if attr.kind == "classmethod" else \
                            attr.func
                    return attr
                if not isinstance(c, (ClassValue, BuiltinClass)):
                    return self.opaque(f"{v.name}.{name} may come from {describe(c)}", node)
            raise Stuck(f"class {v.name} has no attribute {name!r}", self.where(node))
        if isinstance(v, Tensor):
            return self._tensor_getattr(v, name, node)
        if isinstance(v, Dtype):
            if name == "itemsize":
                if v.assumed:
                    self.assumptions.add(v.assumed)
                return v.itemsize
            if name == "is_floating_point":
                return v.name.startswith(("float", "bfloat"))
            return self.opaque(f"dtype attribute {name} is not modelled", node)
        if isinstance(v, (Function, ClassValue, BuiltinClass)) and name == "__name__":
            return v.name
        method = native_method(v, name)
        if method is not None:
            return method
        if isinstance(v, (*_PRIMITIVES, *_CONTAINERS, range)):
            raise Stuck(f"{type(v).__name__} has no modelled attribute {name!r}",
                        self.where(node))
        return self.opaque(f"attribute {name} of {describe(v)} is not modelled", node)

    def _bind_attr(self, attr: Value, obj: Value, node: ast.AST) -> Value:
        if isinstance(attr, Function):
            return BoundMethod(attr, obj)
        if isinstance(attr, Wrapped):
            if attr.kind == "staticmethod":
                return attr.func
            if attr.kind == "classmethod":
                return BoundMethod(attr.func, obj.cls if isinstance(obj, Obj) else obj)
            return self.call(attr.func, [obj], {}, node)
        return attr

    def _obj_getattr(self, obj: Obj, name: str, node: ast.AST) -> Value:
        if obj.cls is NAMESPACE:
            self.namespace_reads.append(name)
        for store in (obj.plain, obj.params, obj.buffers, obj.modules):
            if name in store:
                return store[name]
        for c in obj.mro:
            if isinstance(c, ClassValue):
                if name in c.attrs:
                    return self._bind_attr(c.attrs[name], obj, node)
            elif isinstance(c, BuiltinClass):
                if name in c.methods:
                    return _bound_builtin(c, name, obj)
            else:
                return self.opaque(f"{obj.cls.name}.{name} may come from {describe(c)}, which is"
                                   " not modelled", node)
        if obj.is_module and name in _MODULE_API:
            return self.opaque(f"nn.Module.{name} is not modelled", node)
        raise Stuck(f"{obj.cls.name} object has no attribute {name!r}", self.where(node))

    def _super_getattr(self, sup: Super, name: str, node: ast.AST) -> Value:
        obj = sup.obj
        mro = class_mro(obj.cls) if isinstance(obj, Obj) else class_mro(obj)
        index = next((i for i, c in enumerate(mro) if c is sup.start), None)
        if index is None:
            raise Stuck("super(): the object is not an instance of the class", self.where(node))
        for c in mro[index + 1:]:
            if isinstance(c, ClassValue):
                if name in c.attrs:
                    return self._bind_attr(c.attrs[name], obj, node)
                if name == "__init__" and c.is_dataclass and isinstance(obj, Obj):
                    return Builtin("__init__", _dataclass_init_of(c, obj))
            elif isinstance(c, BuiltinClass):
                if name == "__init__" and isinstance(obj, Obj):
                    init = c.init
                    if init is None:
                        return Builtin("__init__", _no_init)
                    return Builtin("__init__", _init_of(init, obj))
                if name in c.methods and isinstance(obj, Obj):
                    return _bound_builtin(c, name, obj)
            else:
                return self.opaque(f"super().{name} comes from {describe(c)}, which is not"
                                   " modelled", node)
        if name == "__init__":
            return Builtin("__init__", _no_init)
        raise Stuck(f"super() has no attribute {name!r}", self.where(node))

    def _tensor_getattr(self, t: Tensor, name: str, node: ast.AST) -> Value:
        shape = t.shape
        if name == "shape":
            return shape
        if name == "data":
            return Tensor(shape)
        if name == "requires_grad":
            return isinstance(t, Param)
        if isinstance(shape, Opaque):
            if name in ("ndim", "numel", "size", "dim"):
                return shape if name == "ndim" else Builtin(name, lambda i, a, k, n: shape)
            return self.opaque(f"tensor attribute {name} is not modelled", node)
        if name == "ndim":
            return len(shape)
        if name == "numel":
            return Builtin("numel", lambda i, a, k, n: _prod(shape))
        if name == "dim":
            return Builtin("dim", lambda i, a, k, n: len(shape))
        if name == "size":
            def size(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
                dim = a[0] if a else k.get("dim")
                if dim is None:
                    return shape
                if not isinstance(dim, int) or not -len(shape) <= dim < len(shape):
                    raise Stuck(f"size({dim!r}) of a {len(shape)}-d tensor", i.where(n))
                return shape[dim]
            return Builtin("size", size)
        return self.opaque(f"tensor attribute {name} is not modelled", node)

    def setattr_(self, obj: Value, name: str, value: Value, node: ast.AST) -> None:
        if isinstance(obj, (Opaque, Symbol, Tensor)):
            return  # a change to something unmodelled changes nothing modelled
        if not isinstance(obj, Obj):
            raise Stuck(f"cannot set attribute {name} of {describe(obj)}", self.where(node))
        if not obj.is_module:
            obj.plain[name] = value
            return
        stores: tuple[dict[str, Any], ...] = (obj.plain, obj.params, obj.buffers, obj.modules)
        is_child = (isinstance(value, Obj) and (value.is_module or value.unknown_base is not None)
                    ) or (isinstance(value, Opaque) and value.maybe_module)
        if (isinstance(value, Param) or is_child) and not obj.ready \
                and obj.unknown_base is None:
            what = "parameters" if isinstance(value, Param) else "module"
            raise Stuck(f"cannot assign {what} before Module.__init__() call", self.where(node))
        if isinstance(value, Param):
            for store in stores:
                store.pop(name, None)
            obj.params[name] = value
        elif is_child:
            for store in stores:
                store.pop(name, None)
            obj.modules[name] = value
        elif name in obj.params:
            if value is not None:
                raise Stuck(f"cannot assign {describe(value)} to parameter {name}",
                            self.where(node))
            obj.params[name] = None
        elif name in obj.modules:
            if value is not None:
                raise Stuck(f"cannot assign {describe(value)} to submodule {name}",
                            self.where(node))
            obj.modules[name] = None
        elif name in obj.buffers:
            obj.buffers[name] = value
        else:
            obj.plain[name] = value
        obj.register(name)

    def getitem(self, v: Value, index: Value, node: ast.AST) -> Value:
        if isinstance(v, Opaque):
            return v
        if isinstance(index, Opaque):
            return index
        if isinstance(v, (list, tuple, str, bytes, range)):
            if not isinstance(index, (int, slice)):
                raise Stuck(f"indices must be integers, not {describe(index)}", self.where(node))
            try:
                result = v[index]
            except IndexError:
                raise Stuck(f"index {index} out of range", self.where(node)) from None
            if isinstance(result, (list, tuple, str, bytes)):
                self.charge(len(result), node)
            return result
        if isinstance(v, dict):
            status = _hashable(index)
            if status is None:
                return self.opaque(f"a dict lookup by {describe(index)}", node)
            if status is False:
                raise Stuck(f"unhashable key {describe(index)}", self.where(node))
            if index not in v:
                raise Stuck(f"key {index!r} not found", self.where(node))
            return v[index]
        if isinstance(v, Obj):
            return self._container_item(v, index, node)
        if isinstance(v, (Tensor, Symbol)):
            return self.opaque(f"indexing {describe(v)} is not modelled", node)
        raise Stuck(f"{describe(v)} is not subscriptable", self.where(node))

    def _container_item(self, obj: Obj, index: Value, node: ast.AST) -> Value:
        if obj.cls is MODULEDICT and isinstance(index, str):
            if index not in obj.modules:
                raise Stuck(f"ModuleDict has no key {index!r}", self.where(node))
            return obj.modules[index]
        if obj.cls in (MODULELIST, SEQUENTIAL) and isinstance(index, int):
            values = list(obj.modules.values())
            if not -len(values) <= index < len(values):
                raise Stuck(f"index {index} out of range", self.where(node))
            return values[index]
        getitem = self._find_method(obj, "__getitem__")
        if getitem is not None:
            return self.call(BoundMethod(getitem, obj), [index], {}, node)
        return self.opaque(f"indexing {describe(obj)} is not modelled", node)

    def _find_method(self, obj: Obj, name: str) -> Function | None:
        for c in obj.mro:
            if isinstance(c, ClassValue) and isinstance(c.attrs.get(name), Function):
                found: Function = c.attrs[name]
                return found
        return None

    def setitem(self, v: Value, index: Value, value: Value, node: ast.AST) -> None:
        if isinstance(v, (Opaque, Symbol, Tensor)):
            return  # writing into something unmodelled (or a tensor's values) changes no shape
        if isinstance(index, Opaque):
            raise Stuck(f"cannot tell which item is set: {index.describe()}", self.where(node))
        if isinstance(v, list):
            if not isinstance(index, (int, slice)):
                raise Stuck("list indices must be integers", self.where(node))
            try:
                if isinstance(index, slice):
                    v[index] = list(self.iterate(value, node))
                else:
                    v[index] = value
            except (IndexError, ValueError) as exc:
                raise Stuck(f"{type(exc).__name__}: {exc}", self.where(node)) from None
            return
        if isinstance(v, Obj) and v.cls is MODULEDICT and isinstance(index, str):
            v.modules.pop(index, None)
            _add_child(self, v, index, value, node)
            return
        if isinstance(v, dict):
            try:
                self.set_key(v, index, value, node)
            except _OpaqueResult as opaque:
                raise Stuck(f"cannot tell which key is set: {opaque.value.describe()}",
                            self.where(node)) from None
            return
        raise Stuck(f"cannot set an item of {describe(v)}", self.where(node))

    def iterate(self, v: Value, node: ast.AST) -> Iterator[Value]:
        if isinstance(v, Opaque):
            raise Stuck(f"cannot iterate over {v.describe()}", self.where(node))
        items: Any
        if isinstance(v, (list, tuple, str, bytes, range)):
            items = v
        elif isinstance(v, (dict, set, frozenset)):
            items = list(v)
        elif isinstance(v, Obj) and v.cls in (MODULELIST, SEQUENTIAL):
            items = list(v.modules.values())
        elif isinstance(v, Obj) and v.cls is MODULEDICT:
            items = list(v.modules)
        else:
            raise Stuck(f"cannot iterate over {describe(v)}", self.where(node))
        for item in items:
            self.tick(node)
            yield item

    def materialize(self, v: Value, node: ast.AST) -> list[Value]:
        out = list(self.iterate(v, node))
        self.charge(len(out), node)
        return out

    # -- calls ---------------------------------------------------------------------------------

    def call(self, func: Value, args: list[Value], kwargs: dict[str, Value],
             node: ast.AST) -> Value:
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs, node)
        if isinstance(func, BoundMethod):
            return self.call(func.func, [func.self_obj, *args], kwargs, node)
        if isinstance(func, Builtin):
            return func.impl(self, args, kwargs, node)
        if isinstance(func, ClassValue):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, BuiltinClass):
            obj = Obj(func)
            if func.init is not None:
                func.init(self, obj, args, kwargs, node)
            elif args or kwargs:
                raise Stuck(f"{func.name}() takes no arguments", self.where(node))
            return obj
        if isinstance(func, Symbol):
            return self._call_external(func, args, kwargs, node)
        if isinstance(func, Opaque):
            return func
        if isinstance(func, Wrapped):
            return self.call(func.func, args, kwargs, node)
        if isinstance(func, Obj):
            method = self._find_method(func, "__call__")
            if method is not None:
                return self.call(BoundMethod(method, func), args, kwargs, node)
            return self.opaque(f"calling {describe(func)} is not modelled", node)
        raise Stuck(f"{describe(func)} is not callable", self.where(node))

    def _call_external(self, sym: Symbol, args: list[Value], kwargs: dict[str, Value],
                       node: ast.AST) -> Value:
        first = args[0] if args else kwargs.get("params", kwargs.get("param_groups"))
        if isinstance(first, list) and first:
            if all(isinstance(g, dict) and "params" in g for g in first):
                return self._optimizer(first, kwargs, node)
            if all(isinstance(p, Tensor) for p in first):
                return self._optimizer([{"params": first}], kwargs, node)
        last = sym.path.rpartition(".")[2]
        return self.opaque(f"{sym.path}(...) is not modelled", node,
                           maybe_module=last[:1].isupper())

    def _optimizer(self, groups: list[Value], kwargs: dict[str, Value], node: ast.AST) -> Obj:
        """As torch.optim.Optimizer does: keep the group dicts, with the params listed."""
        optimizer = Obj(OPTIMIZER)
        for group in groups:
            params = group["params"]
            group["params"] = [params] if isinstance(params, Tensor) else \
                self.materialize(params, node)
            for key, value in kwargs.items():
                if key not in ("params", "param_groups"):
                    group.setdefault(key, value)
        optimizer.plain["param_groups"] = list(groups)
        self.optimizers.append(optimizer)
        return optimizer

    def instantiate(self, cls: ClassValue, args: list[Value], kwargs: dict[str, Value],
                    node: ast.AST) -> Obj:
        obj = Obj(cls)
        for c in cls.mro:
            if isinstance(c, ClassValue):
                if "__init__" in c.attrs:
                    self.call(self._bind_attr(c.attrs["__init__"], obj, node), args, kwargs, node)
                    return obj
                if c.is_dataclass:
                    self.dataclass_init(c, obj, args, kwargs, node)
                    return obj
            elif isinstance(c, BuiltinClass):
                if c.init is not None:
                    c.init(self, obj, args, kwargs, node)
                return obj
            else:
                return obj  # an unmodelled base: its __init__ is unknown, obj.unknown_base says so
        if args or kwargs:
            raise Stuck(f"{cls.name}() takes no arguments", self.where(node))
        return obj

    def dataclass_init(self, cls: ClassValue, obj: Obj, args: list[Value],
                       kwargs: dict[str, Value], node: ast.AST) -> None:
        fields: dict[str, Value] = {}
        for c in reversed(cls.mro):
            if isinstance(c, ClassValue) and c.is_dataclass:
                fields.update(c.fields)
        names = list(fields)
        if len(args) > len(names):
            raise Stuck(f"{cls.name}() takes {len(names)} arguments, {len(args)} given",
                        self.where(node))
        values = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in fields:
                raise Stuck(f"{cls.name}() got an unexpected keyword argument {key!r}",
                            self.where(node))
            if key in values:
                raise Stuck(f"{cls.name}() got multiple values for {key!r}", self.where(node))
            values[key] = value
        for name in names:
            if name not in values:
                default = fields[name]
                if default is MISSING:
                    raise Stuck(f"{cls.name}() missing argument {name!r}", self.where(node))
                if isinstance(default, FieldSpec):
                    if default.factory is not MISSING:
                        default = self.call(default.factory, [], {}, node)
                    else:
                        default = default.default
                values[name] = default
            obj.plain[name] = values[name]
        post_init = self._find_method(obj, "__post_init__")
        if post_init is not None:
            self.call(BoundMethod(post_init, obj), [], {}, node)

    def call_function(self, func: Function, args: list[Value], kwargs: dict[str, Value],
                      node: ast.AST) -> Value:
        if len(self.frames) >= MAX_CALLS:
            raise Stuck(f"calls nested more than {MAX_CALLS} deep", self.where(node))
        if func.is_generator:
            return self.opaque(f"{func.qualname} is a generator", node)
        scope = self._bind_args(func, args, kwargs, node)
        saved = self.file
        self.file = func.file
        self.frames.append((func, args[0] if args else None))
        try:
            if isinstance(func.node, ast.Lambda):
                return self.eval(func.node.body, scope)
            try:
                self.exec_block(func.node.body, scope)
            except _Return as ret:
                return ret.value
            except (_Break, _Continue):
                raise Stuck("break or continue outside a loop", self.where(func.node)) from None
            return None
        finally:
            self.frames.pop()
            self.file = saved
            self.captured[func.qualname] = scope.vars

    def _bind_args(self, func: Function, args: list[Value], kwargs: dict[str, Value],
                   node: ast.AST) -> Scope:
        spec = func.node.args
        positional = [a.arg for a in (*spec.posonlyargs, *spec.args)]
        posonly = {a.arg for a in spec.posonlyargs}
        kwonly = [a.arg for a in spec.kwonlyargs]
        scope = Scope(parent=func.scope)
        where = self.where(node)
        if len(args) > len(positional) and spec.vararg is None:
            raise Stuck(f"{func.qualname}() takes {len(positional)} positional arguments but"
                        f" {len(args)} were given", where)
        bound: set[str] = set()
        for name, value in zip(positional, args, strict=False):
            scope.vars[name] = value
            bound.add(name)
        if spec.vararg is not None:
            scope.vars[spec.vararg.arg] = tuple(args[len(positional):])
        extra: dict[str, Value] = {}
        for key, value in kwargs.items():
            if (key in positional and key not in posonly) or key in kwonly:
                if key in bound:
                    raise Stuck(f"{func.qualname}() got multiple values for {key!r}", where)
                scope.vars[key] = value
                bound.add(key)
            elif spec.kwarg is not None:
                extra[key] = value
            else:
                raise Stuck(f"{func.qualname}() got an unexpected keyword argument {key!r}",
                            where)
        first_default = len(positional) - len(func.defaults)
        for i, name in enumerate(positional):
            if name not in bound:
                if i < first_default:
                    raise Stuck(f"{func.qualname}() missing argument {name!r}", where)
                scope.vars[name] = func.defaults[i - first_default]
        for name in kwonly:
            if name not in bound:
                if name not in func.kw_defaults:
                    raise Stuck(f"{func.qualname}() missing argument {name!r}", where)
                scope.vars[name] = func.kw_defaults[name]
        if spec.kwarg is not None:
            scope.vars[spec.kwarg.arg] = extra
        return scope

    # -- modules of the model ------------------------------------------------------------------

    def named_modules(self, root: Obj, node: ast.AST | None) -> list[tuple[str, Obj]]:
        """``root.named_modules()``, as torch orders it; stuck on a submodule it cannot see."""
        out: list[tuple[str, Obj]] = []
        seen: set[int] = set()

        def visit(prefix: str, module: Obj, depth: int) -> None:
            if id(module) in seen:
                return
            if depth > 64:
                raise Stuck("modules nested too deeply", self.where(node))
            seen.add(id(module))
            self.tick(node)
            base = module.unknown_base
            if base is not None:
                raise Stuck(f"{prefix or 'the model'} is a {module.cls.name}, which derives from"
                            f" {describe(base)}: its parameters cannot be counted",
                            self.where(node))
            out.append((prefix, module))
            for name, child in module.modules.items():
                path = f"{prefix}.{name}" if prefix else name
                if child is None:
                    continue
                if isinstance(child, Opaque):
                    raise Stuck(f"submodule {path} is unknown: {child.describe()}",
                                self.where(node))
                visit(path, child, depth + 1)

        visit("", root, 0)
        return out

    def named_parameters(self, root: Obj, node: ast.AST | None) -> list[tuple[str, Param]]:
        out: list[tuple[str, Param]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules(root, node):
            for name, param in module.params.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                self.tick(node)
                out.append((f"{prefix}.{name}" if prefix else name, param))
        return out


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


def _no_init(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return None


def _init_of(init: BuiltinInit, obj: Obj) -> Callable[..., Value]:
    return lambda i, a, k, n: init(i, obj, a, k, n)


def _dataclass_init_of(cls: ClassValue, obj: Obj) -> Callable[..., Value]:
    return lambda i, a, k, n: i.dataclass_init(cls, obj, a, k, n)


def _bound_builtin(cls: BuiltinClass, name: str, obj: Obj) -> Builtin:
    method = cls.methods[name]
    return Builtin(f"{cls.name}.{name}", lambda i, a, k, n: method(i, obj, a, k, n))


_EVAL: dict[type[ast.AST], Callable[[Interpreter, Any, Scope], Value]] = {
    getattr(ast, name[len("_eval_"):]): getattr(Interpreter, name)
    for name in dir(Interpreter) if name.startswith("_eval_")
}
_EXEC: dict[type[ast.AST], Callable[[Interpreter, Any, Scope], None]] = {
    getattr(ast, name[len("_exec_"):]): getattr(Interpreter, name)
    for name in dir(Interpreter) if name.startswith("_exec_")
}


# --------------------------------------------------------------------------------------------
# Builtins: a small whitelist, each propagating opaque arguments


BuiltinImpl = Callable[[Interpreter, list[Value], dict[str, Value], ast.AST], Value]


def _first_opaque(args: list[Value], kwargs: dict[str, Value]) -> Opaque | None:
    for v in (*args, *kwargs.values()):
        if isinstance(v, Opaque):
            return v
    return None


def _arity(name: str, args: list[Value], kwargs: dict[str, Value], low: int, high: int,
           allowed: tuple[str, ...], interp: Interpreter, node: ast.AST) -> None:
    if not low <= len(args) <= high or any(k not in allowed for k in kwargs):
        raise Stuck(f"{name}() called with arguments it does not take", interp.where(node))


def _b_range(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("range", a, k, 1, 3, (), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    if not all(isinstance(x, int) for x in a):
        raise Stuck("range() takes integers", i.where(n))
    return range(*a)


def _b_len(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("len", a, k, 1, 1, (), i, n)
    v = a[0]
    if isinstance(v, Opaque):
        return v
    if isinstance(v, (str, bytes, *_CONTAINERS)):
        return len(v)
    if isinstance(v, range):
        try:
            return len(v)
        except OverflowError:
            raise Stuck("len() of a huge range", i.where(n)) from None
    if isinstance(v, Obj) and v.cls in (MODULEDICT, MODULELIST, SEQUENTIAL):
        return len(v.modules)
    if isinstance(v, Tensor):
        if isinstance(v.shape, Opaque):
            return v.shape
        if not v.shape:
            raise Stuck("len() of a 0-d tensor", i.where(n))
        return v.shape[0]
    return i.opaque(f"len() of {describe(v)}", n)


def _b_minmax(which: str) -> BuiltinImpl:
    def impl(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
        _arity(which, a, k, 1, MAX_ITEMS, ("key", "default"), i, n)
        if (o := _first_opaque(a, k)) is not None:
            return o
        items = i.materialize(a[0], n) if len(a) == 1 else list(a)
        if not items:
            if "default" in k:
                return k["default"]
            raise Stuck(f"{which}() of an empty sequence", i.where(n))
        keys = items if k.get("key") is None else [i.call(k["key"], [x], {}, n) for x in items]
        for key in keys:
            if not deep_concrete(key):
                return i.opaque(f"{which}() of {describe(key)}", n)
        try:
            best = (min if which == "min" else max)(range(len(items)), key=lambda j: keys[j])
        except TypeError as exc:
            raise Stuck(f"{which}(): {exc}", i.where(n)) from None
        return items[best]
    return impl


def _b_sum(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("sum", a, k, 1, 2, ("start",), i, n)
    if isinstance(a[0], Opaque):
        return a[0]
    total = a[1] if len(a) > 1 else k.get("start", 0)
    for x in i.iterate(a[0], n):
        total = i.binop(ast.Add(), total, x, n)
    return total


def _b_sorted(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("sorted", a, k, 1, 1, ("key", "reverse"), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    items = i.materialize(a[0], n)
    keys = items if k.get("key") is None else [i.call(k["key"], [x], {}, n) for x in items]
    if not all(deep_concrete(x) for x in keys):
        return i.opaque("sorting values that are not plain data", n)
    reverse = k.get("reverse", False)
    if not isinstance(reverse, bool):
        raise Stuck("sorted(reverse=...) must be a bool", i.where(n))
    try:
        order = sorted(range(len(items)), key=lambda j: keys[j], reverse=reverse)
    except TypeError as exc:
        raise Stuck(f"sorted(): {exc}", i.where(n)) from None
    return [items[j] for j in order]


def _b_list(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("list", a, k, 0, 1, (), i, n)
    if a and isinstance(a[0], Opaque):
        return a[0]
    return i.materialize(a[0], n) if a else []


def _b_tuple(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    v = _b_list(i, a, k, n)
    return v if isinstance(v, Opaque) else tuple(v)


def _b_set(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    v = _b_list(i, a, k, n)
    return v if isinstance(v, Opaque) else i.make_set(v, n)


def _b_dict(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if len(a) > 1:
        raise Stuck("dict() takes at most one positional argument", i.where(n))
    out: dict[Value, Value] = {}
    if a:
        source = a[0]
        if isinstance(source, Opaque):
            return source
        if isinstance(source, dict):
            out.update(source)
        else:
            for pair in i.iterate(source, n):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise Stuck("dict() needs pairs", i.where(n))
                try:
                    i.set_key(out, pair[0], pair[1], n)
                except _OpaqueResult as opaque:
                    return opaque.value
    out.update(k)
    i.charge(len(out), n)
    return out


def _b_str(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("str", a, k, 0, 1, (), i, n)
    if not a:
        return ""
    v = a[0]
    if isinstance(v, Opaque):
        return v
    if isinstance(v, Dtype):
        return f"torch.{v.name}"
    if not deep_concrete(v):
        return i.opaque(f"str() of {describe(v)}", n)
    try:
        text = str(v)
    except (ValueError, RecursionError) as exc:
        raise Stuck(f"str(): {exc}", i.where(n)) from None
    i.charge(len(text), n)
    return text


def _b_int(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("int", a, k, 0, 2, ("base",), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    if not a:
        return 0
    v = a[0]
    try:
        if isinstance(v, (str, bytes)):
            if len(v) > 1000:
                raise Stuck("int() of a very long string", i.where(n))
            base = a[1] if len(a) > 1 else k.get("base", 10)
            return int(v, base)
        if isinstance(v, (bool, int, float)) and len(a) == 1 and not k:
            return int(v)
    except (ValueError, OverflowError, TypeError) as exc:
        raise Stuck(f"int(): {exc}", i.where(n)) from None
    return i.opaque(f"int() of {describe(v)}", n)


def _b_float(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("float", a, k, 0, 1, (), i, n)
    if not a:
        return 0.0
    v = a[0]
    if isinstance(v, Opaque):
        return v
    try:
        if isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= 1000):
            return float(v)
    except (ValueError, OverflowError) as exc:
        raise Stuck(f"float(): {exc}", i.where(n)) from None
    return i.opaque(f"float() of {describe(v)}", n)


def _b_bool(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("bool", a, k, 0, 1, (), i, n)
    return i.truth_or_opaque(a[0], n) if a else False


def _b_abs(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("abs", a, k, 1, 1, (), i, n)
    v = a[0]
    if isinstance(v, Opaque):
        return v
    if isinstance(v, (bool, int, float)):
        return abs(v)
    if isinstance(v, Tensor):
        return Tensor(v.shape)
    return i.opaque(f"abs() of {describe(v)}", n)


def _b_round(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("round", a, k, 1, 2, ("ndigits",), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    v = a[0]
    digits = a[1] if len(a) > 1 else k.get("ndigits")
    if not isinstance(v, (bool, int, float)) or not (digits is None or isinstance(digits, int)):
        return i.opaque(f"round() of {describe(v)}", n)
    try:
        return round(v) if digits is None else round(v, digits)
    except (ValueError, OverflowError) as exc:
        raise Stuck(f"round(): {exc}", i.where(n)) from None


def _b_pow(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("pow", a, k, 2, 2, (), i, n)
    return i.binop(ast.Pow(), a[0], a[1], n)


def _b_divmod(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("divmod", a, k, 2, 2, (), i, n)
    q = i.binop(ast.FloorDiv(), a[0], a[1], n)
    r = i.binop(ast.Mod(), a[0], a[1], n)
    return q if isinstance(q, Opaque) else r if isinstance(r, Opaque) else (q, r)


def _b_isinstance(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("isinstance", a, k, 2, 2, (), i, n)
    obj, info = a
    if isinstance(obj, Opaque):
        return obj
    targets = list(info) if isinstance(info, tuple) else [info]
    result = False
    for target in targets:
        if isinstance(target, Builtin) and target.pytype is not None:
            if isinstance(obj, _PRIMITIVES + _CONTAINERS) and isinstance(obj, target.pytype):
                result = True
        elif isinstance(target, Builtin) and target is EXTERNALS.get("torch.nn.Parameter"):
            result = result or isinstance(obj, Param)
        elif isinstance(target, (ClassValue, BuiltinClass)):
            if isinstance(obj, Obj):
                mro = obj.mro
                if any(c is target for c in mro):
                    result = True
                elif obj.unknown_base is not None:
                    return i.opaque(f"isinstance of {describe(obj)}", n)
        else:
            return i.opaque(f"isinstance with {describe(target)}", n)
    return result


def _b_enumerate(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("enumerate", a, k, 1, 2, ("start",), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    start = a[1] if len(a) > 1 else k.get("start", 0)
    if not isinstance(start, int):
        raise Stuck("enumerate(start=...) must be an int", i.where(n))
    return [(start + j, x) for j, x in enumerate(i.materialize(a[0], n))]


def _b_zip(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("zip", a, k, 0, 64, ("strict",), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    lists = [i.materialize(x, n) for x in a]
    if k.get("strict") and len({len(x) for x in lists}) > 1:
        raise Stuck("zip(strict=True) of unequal lengths", i.where(n))
    return list(zip(*lists, strict=False))


def _b_reversed(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("reversed", a, k, 1, 1, (), i, n)
    if isinstance(a[0], Opaque):
        return a[0]
    return list(reversed(i.materialize(a[0], n)))


def _b_allany(which: str) -> BuiltinImpl:
    def impl(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
        _arity(which, a, k, 1, 1, (), i, n)
        if isinstance(a[0], Opaque):
            return a[0]
        unknown: Opaque | None = None
        for x in i.iterate(a[0], n):
            t = i.truth_or_opaque(x, n)
            if isinstance(t, Opaque):
                unknown = unknown or t
            elif t == (which == "any"):
                return t
        return unknown if unknown is not None else which == "all"
    return impl


def _b_super(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if len(a) == 2 and isinstance(a[0], ClassValue):
        return Super(a[1], a[0])
    if a or k or not i.frames:
        raise Stuck("this form of super() is not modelled", i.where(n))
    func, first = i.frames[-1]
    if func.owner is None or first is None:
        raise Stuck("super() outside a method", i.where(n))
    return Super(first, func.owner)


def _b_marker(name: str) -> BuiltinImpl:
    def impl(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
        if len(a) != 1:
            raise Stuck(f"{name}() takes one function", i.where(n))
        return Wrapped(name, a[0])
    return impl


def _typed(name: str, impl: BuiltinImpl, pytype: type) -> Builtin:
    return Builtin(name, impl, pytype)


BUILTINS: dict[str, Builtin] = {
    "range": Builtin("range", _b_range),
    "len": Builtin("len", _b_len),
    "min": Builtin("min", _b_minmax("min")),
    "max": Builtin("max", _b_minmax("max")),
    "sum": Builtin("sum", _b_sum),
    "sorted": Builtin("sorted", _b_sorted),
    "list": _typed("list", _b_list, list),
    "tuple": _typed("tuple", _b_tuple, tuple),
    "set": _typed("set", _b_set, set),
    "dict": _typed("dict", _b_dict, dict),
    "str": _typed("str", _b_str, str),
    "int": _typed("int", _b_int, int),
    "float": _typed("float", _b_float, float),
    "bool": _typed("bool", _b_bool, bool),
    "abs": Builtin("abs", _b_abs),
    "round": Builtin("round", _b_round),
    "pow": Builtin("pow", _b_pow),
    "divmod": Builtin("divmod", _b_divmod),
    "isinstance": Builtin("isinstance", _b_isinstance),
    "enumerate": Builtin("enumerate", _b_enumerate),
    "zip": Builtin("zip", _b_zip),
    "reversed": Builtin("reversed", _b_reversed),
    "all": Builtin("all", _b_allany("all")),
    "any": Builtin("any", _b_allany("any")),
    "super": Builtin("super", _b_super),
    "staticmethod": Builtin("staticmethod", _b_marker("staticmethod")),
    "classmethod": Builtin("classmethod", _b_marker("classmethod")),
    "property": Builtin("property", _b_marker("property")),
}


# --------------------------------------------------------------------------------------------
# Methods of plain values


_STR_METHODS = frozenset({
    "upper", "lower", "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith",
    "find", "rfind", "count", "isdigit", "isalpha", "isalnum", "isupper", "islower", "isspace",
    "removeprefix", "removesuffix", "partition", "rpartition", "title", "capitalize",
    "casefold", "swapcase", "splitlines", "join", "replace",
})
_LIST_METHODS = frozenset({"append", "extend", "insert", "pop", "index", "count", "copy",
                           "reverse", "remove", "sort", "clear"})
_DICT_METHODS = frozenset({"get", "keys", "values", "items", "copy", "update", "setdefault",
                           "pop", "clear"})
_SET_METHODS = frozenset({"add", "update", "copy", "discard", "remove", "union",
                          "intersection", "difference", "issubset", "issuperset", "clear"})


def native_method(v: Value, name: str) -> Builtin | None:
    """A bound method of a str, list, dict, set, tuple, int or float, or None."""
    if isinstance(v, str) and name in _STR_METHODS:
        return Builtin(f"str.{name}", lambda i, a, k, n: _str_method(i, v, name, a, k, n))
    if isinstance(v, list) and name in _LIST_METHODS:
        return Builtin(f"list.{name}", lambda i, a, k, n: _list_method(i, v, name, a, k, n))
    if isinstance(v, dict) and name in _DICT_METHODS:
        return Builtin(f"dict.{name}", lambda i, a, k, n: _dict_method(i, v, name, a, k, n))
    if isinstance(v, set) and name in _SET_METHODS:
        return Builtin(f"set.{name}", lambda i, a, k, n: _set_method(i, v, name, a, k, n))
    if isinstance(v, tuple) and name in ("index", "count"):
        return Builtin(f"tuple.{name}", lambda i, a, k, n: _plain_call(i, v, name, a, k, n))
    if isinstance(v, int) and not isinstance(v, bool) and name == "bit_length":
        return Builtin("int.bit_length", lambda i, a, k, n: _plain_call(i, v, name, a, k, n))
    if isinstance(v, float) and name == "is_integer":
        return Builtin("float.is_integer", lambda i, a, k, n: _plain_call(i, v, name, a, k, n))
    return None


def _plain_call(i: Interpreter, v: Value, name: str, a: list[Value], k: dict[str, Value],
                n: ast.AST) -> Value:
    """Call a method natively once every argument is plain data; check the result's size."""
    if (o := _first_opaque(a, k)) is not None:
        return o
    if not all(deep_concrete(x) for x in (*a, *k.values())):
        return i.opaque(f"{type(v).__name__}.{name}() with arguments that are not plain data", n)
    try:
        result = getattr(v, name)(*a, **k)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise Stuck(f"{type(v).__name__}.{name}(): {type(exc).__name__}: {exc}",
                    i.where(n)) from None
    if isinstance(result, (str, bytes, list, tuple, dict, set)):
        i.charge(len(result), n)
    return result


def _str_method(i: Interpreter, s: str, name: str, a: list[Value], k: dict[str, Value],
                n: ast.AST) -> Value:
    if name == "join":
        if len(a) != 1 or k:
            raise Stuck("str.join() takes one argument", i.where(n))
        if isinstance(a[0], Opaque):
            return a[0]
        parts = i.materialize(a[0], n)
        if not all(isinstance(p, str) for p in parts):
            return i.opaque("str.join() of values that are not strings", n)
        i.charge(sum(len(p) for p in parts) + len(s) * len(parts), n)
        return s.join(parts)
    if name == "replace" and len(a) >= 2 and isinstance(a[0], str) and isinstance(a[1], str):
        i.charge(len(s) + (s.count(a[0]) + 1) * len(a[1]), n)
    return _plain_call(i, s, name, a, k, n)


def _list_method(i: Interpreter, lst: list[Value], name: str, a: list[Value],
                 k: dict[str, Value], n: ast.AST) -> Value:
    if name == "append" and len(a) == 1 and not k:
        lst.append(a[0])
        i.charge(len(lst), n)
        return None
    if name == "insert" and len(a) == 2 and isinstance(a[0], int) and not k:
        lst.insert(a[0], a[1])
        return None
    if name == "extend" and len(a) == 1 and not k:
        if isinstance(a[0], Opaque):
            raise Stuck(f"extending a list with {a[0].describe()}", i.where(n))
        lst.extend(i.materialize(a[0], n))
        i.charge(len(lst), n)
        return None
    if name == "copy" and not a and not k:
        i.charge(len(lst), n)
        return list(lst)
    if name in ("pop", "reverse", "clear"):
        if not all(isinstance(x, int) for x in a) or k:
            raise Stuck(f"list.{name}() with these arguments", i.where(n))
        try:
            return getattr(lst, name)(*a)
        except IndexError as exc:
            raise Stuck(f"list.{name}(): {exc}", i.where(n)) from None
    if not deep_concrete(lst):
        return i.opaque(f"list.{name}() on a list of values that are not plain data", n)
    return _plain_call(i, lst, name, a, k, n)


def _dict_method(i: Interpreter, d: dict[Value, Value], name: str, a: list[Value],
                 k: dict[str, Value], n: ast.AST) -> Value:
    if name in ("keys", "values", "items") and not a and not k:
        items = list(getattr(d, name)())
        i.charge(len(items), n)
        return items
    if name == "copy" and not a and not k:
        return dict(d)
    if name == "clear":
        d.clear()
        return None
    if name == "update":
        merged = _b_dict(i, a, k, n)
        if isinstance(merged, Opaque):
            raise Stuck(f"dict.update() with {merged.describe()}", i.where(n))
        d.update(merged)
        return None
    if name in ("get", "setdefault", "pop") and 1 <= len(a) <= 2 and not k:
        key = a[0]
        status = _hashable(key)
        if status is None:
            return i.opaque(f"dict.{name}() of {describe(key)}", n)
        if status is False:
            raise Stuck(f"unhashable key {describe(key)}", i.where(n))
        if name == "get":
            return d.get(key, a[1] if len(a) > 1 else None)
        if name == "setdefault":
            return d.setdefault(key, a[1] if len(a) > 1 else None)
        if key not in d and len(a) == 1:
            raise Stuck(f"dict.pop(): key {key!r} not found", i.where(n))
        return d.pop(key, a[1] if len(a) > 1 else None)
    raise Stuck(f"dict.{name}() with these arguments is not modelled", i.where(n))


def _set_method(i: Interpreter, s: set[Value], name: str, a: list[Value], k: dict[str, Value],
                n: ast.AST) -> Value:
    if name == "add" and len(a) == 1 and not k:
        status = _hashable(a[0])
        if status is not True:
            raise Stuck(f"adding {describe(a[0])} to a set", i.where(n))
        s.add(a[0])
        i.charge(len(s), n)
        return None
    if not deep_concrete(s):
        return i.opaque(f"set.{name}() on a set of values that are not plain data", n)
    return _plain_call(i, s, name, a, k, n)


# --------------------------------------------------------------------------------------------
# torch, argparse, math, dataclasses: the parts nanochat's model building reads


def _bind_builtin(name: str, params: tuple[str, ...], defaults: dict[str, Value],
                  a: list[Value], k: dict[str, Value], i: Interpreter,
                  n: ast.AST) -> dict[str, Value]:
    if len(a) > len(params):
        raise Stuck(f"{name}() takes at most {len(params)} arguments", i.where(n))
    bound = dict(zip(params, a, strict=False))
    for key, value in k.items():
        if key not in params or key in bound:
            raise Stuck(f"{name}() got an unexpected or repeated argument {key!r}", i.where(n))
        bound[key] = value
    for p in params:
        if p not in bound:
            if p not in defaults:
                raise Stuck(f"{name}() missing argument {p!r}", i.where(n))
            bound[p] = defaults[p]
    return bound


def _dims(i: Interpreter, values: list[Value], n: ast.AST) -> tuple[int, ...] | Opaque:
    for v in values:
        if isinstance(v, Opaque):
            return v
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            return i.opaque(f"a dimension that is {describe(v)}", n)
    return tuple(values)


def _ready(i: Interpreter, obj: Obj, n: ast.AST) -> None:
    if not obj.ready and obj.unknown_base is None:
        raise Stuck("cannot assign to a module before Module.__init__() call", i.where(n))


def _add_param(obj: Obj, name: str, shape: tuple[int, ...] | Opaque) -> None:
    obj.params[name] = Param(shape)
    obj.register(name)


def _linear_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                 n: ast.AST) -> None:
    obj.ready = True
    b = _bind_builtin("Linear", ("in_features", "out_features", "bias", "device", "dtype"),
                      {"bias": True, "device": None, "dtype": None}, a, k, i, n)
    obj.plain["in_features"] = b["in_features"]
    obj.plain["out_features"] = b["out_features"]
    _add_param(obj, "weight", _dims(i, [b["out_features"], b["in_features"]], n))
    has_bias = i.truth_or_opaque(b["bias"], n)
    if isinstance(has_bias, Opaque):
        _add_param(obj, "bias", has_bias)
    elif has_bias:
        _add_param(obj, "bias", _dims(i, [b["out_features"]], n))


def _embedding_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                    n: ast.AST) -> None:
    params = ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
              "scale_grad_by_freq", "sparse", "_weight", "_freeze", "device", "dtype")
    obj.ready = True
    b = _bind_builtin("Embedding", params, {p: None for p in params[2:]}, a, k, i, n)
    obj.plain["num_embeddings"] = b["num_embeddings"]
    obj.plain["embedding_dim"] = b["embedding_dim"]
    _add_param(obj, "weight", _dims(i, [b["num_embeddings"], b["embedding_dim"]], n))


def _module_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                 n: ast.AST) -> None:
    if a or k:
        raise Stuck("nn.Module.__init__() takes no arguments", i.where(n))
    obj.ready = True


def _add_child(i: Interpreter, obj: Obj, name: str, child: Value, n: ast.AST) -> None:
    if not (isinstance(child, Opaque) or (isinstance(child, Obj) and (
            child.is_module or child.unknown_base is not None))):
        raise Stuck(f"{obj.cls.name} entry {name} is {describe(child)}, not a module", i.where(n))
    obj.modules[name] = child
    obj.register(name)


def _moduledict_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> None:
    obj.ready = True
    b = _bind_builtin("ModuleDict", ("modules",), {"modules": None}, a, k, i, n)
    modules = b["modules"]
    if modules is None:
        return
    if isinstance(modules, Opaque):
        raise Stuck(f"ModuleDict of {modules.describe()}", i.where(n))
    pairs = list(modules.items()) if isinstance(modules, dict) else i.materialize(modules, n)
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not isinstance(pair[0], str):
            raise Stuck("ModuleDict needs names and modules", i.where(n))
        _add_child(i, obj, pair[0], pair[1], n)


def _modulelist_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> None:
    obj.ready = True
    b = _bind_builtin("ModuleList", ("modules",), {"modules": None}, a, k, i, n)
    if b["modules"] is None:
        return
    if isinstance(b["modules"], Opaque):
        raise Stuck(f"ModuleList of {b['modules'].describe()}", i.where(n))
    for child in i.materialize(b["modules"], n):
        _add_child(i, obj, str(len(obj.modules)), child, n)


def _sequential_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> None:
    obj.ready = True
    if k:
        raise Stuck("Sequential() with keyword arguments is not modelled", i.where(n))
    for child in a:
        _add_child(i, obj, str(len(obj.modules)), child, n)


def _m_parameters(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                  n: ast.AST) -> Value:
    b = _bind_builtin("parameters", ("recurse",), {"recurse": True}, a, k, i, n)
    if not b["recurse"]:
        return [p for p in obj.params.values() if p is not None]
    return [p for _, p in i.named_parameters(obj, n)]


def _m_named_parameters(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                        n: ast.AST) -> Value:
    b = _bind_builtin("named_parameters", ("prefix", "recurse"), {"prefix": "", "recurse": True},
                      a, k, i, n)
    prefix = f"{b['prefix']}." if b["prefix"] else ""
    return [(prefix + name, p) for name, p in i.named_parameters(obj, n)]


def _m_modules(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
               n: ast.AST) -> Value:
    _bind_builtin("modules", (), {}, a, k, i, n)
    return [m for _, m in i.named_modules(obj, n)]


def _m_named_modules(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> Value:
    _bind_builtin("named_modules", (), {}, a, k, i, n)
    return [(name, m) for name, m in i.named_modules(obj, n)]


def _m_children(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                n: ast.AST) -> Value:
    return [m for m in obj.modules.values() if m is not None]


def _m_named_children(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                      n: ast.AST) -> Value:
    return [(name, m) for name, m in obj.modules.items() if m is not None]


def _m_register_buffer(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                       n: ast.AST) -> Value:
    b = _bind_builtin("register_buffer", ("name", "tensor", "persistent"), {"persistent": True},
                      a, k, i, n)
    _ready(i, obj, n)
    if not isinstance(b["name"], str):
        raise Stuck("register_buffer() with a name that is not a string", i.where(n))
    obj.buffers[b["name"]] = b["tensor"]
    obj.register(b["name"])
    return None


def _m_register_parameter(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                          n: ast.AST) -> Value:
    b = _bind_builtin("register_parameter", ("name", "param"), {}, a, k, i, n)
    _ready(i, obj, n)
    if not isinstance(b["name"], str) or not (b["param"] is None or isinstance(b["param"], Param)):
        raise Stuck("register_parameter() with these arguments", i.where(n))
    obj.params[b["name"]] = b["param"]
    obj.register(b["name"])
    return None


def _m_add_module(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                  n: ast.AST) -> Value:
    b = _bind_builtin("add_module", ("name", "module"), {}, a, k, i, n)
    _ready(i, obj, n)
    if not isinstance(b["name"], str):
        raise Stuck("add_module() with a name that is not a string", i.where(n))
    _add_child(i, obj, b["name"], b["module"], n)
    return None


def _m_keys(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return list(obj.modules)


def _m_values(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
              n: ast.AST) -> Value:
    return list(obj.modules.values())


def _m_items(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return list(obj.modules.items())


def _m_append(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
              n: ast.AST) -> Value:
    b = _bind_builtin("append", ("module",), {}, a, k, i, n)
    _add_child(i, obj, str(len(obj.modules)), b["module"], n)
    return obj


def _m_extend(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
              n: ast.AST) -> Value:
    b = _bind_builtin("extend", ("modules",), {}, a, k, i, n)
    for child in i.materialize(b["modules"], n):
        _add_child(i, obj, str(len(obj.modules)), child, n)
    return obj


MODULE = BuiltinClass("torch.nn.Module", init=_module_init, is_module=True, methods={
    "parameters": _m_parameters, "named_parameters": _m_named_parameters,
    "modules": _m_modules, "named_modules": _m_named_modules, "children": _m_children,
    "named_children": _m_named_children, "register_buffer": _m_register_buffer,
    "register_parameter": _m_register_parameter, "add_module": _m_add_module,
})
LINEAR = BuiltinClass("torch.nn.Linear", (MODULE,), init=_linear_init, is_module=True)
EMBEDDING = BuiltinClass("torch.nn.Embedding", (MODULE,), init=_embedding_init, is_module=True)
MODULEDICT = BuiltinClass("torch.nn.ModuleDict", (MODULE,), init=_moduledict_init,
                          is_module=True,
                          methods={"keys": _m_keys, "values": _m_values, "items": _m_items})
MODULELIST = BuiltinClass("torch.nn.ModuleList", (MODULE,), init=_modulelist_init,
                          is_module=True, methods={"append": _m_append, "extend": _m_extend})
SEQUENTIAL = BuiltinClass("torch.nn.Sequential", (MODULE,), init=_sequential_init,
                          is_module=True, methods={"append": _m_append})
OPTIMIZER = BuiltinClass("optimizer")

# The rest of nn.Module's API: attributes a module has that the interpreter does not model
_MODULE_API = frozenset({
    "apply", "bfloat16", "buffers", "compile", "cpu", "cuda", "double", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
    "half", "ipu", "load_state_dict", "mtia", "named_buffers", "register_backward_hook",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad", "dump_patches", "call_super_init", "padding_idx", "max_norm", "norm_type",
    "scale_grad_by_freq", "sparse",
})


def _parser_init(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                 n: ast.AST) -> None:
    obj.plain["_arguments"] = {}
    obj.plain["_defaults"] = {}


def _p_add_argument(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                    n: ast.AST) -> Value:
    flags = [f for f in a if isinstance(f, str)]
    if not flags or len(flags) != len(a):
        return i.opaque("add_argument() with flags that are not strings", n)
    dest = k.get("dest")
    if not isinstance(dest, str):
        longs = [f for f in flags if f.startswith("--")]
        if longs:
            dest = longs[0][2:].replace("-", "_")
        elif flags[0].startswith("-"):
            dest = flags[0].lstrip("-").replace("-", "_")
        else:
            dest = flags[0]
    action = k.get("action")
    if "default" in k:
        default = k["default"]
    elif action == "store_true":
        default = False
    elif action == "store_false":
        default = True
    elif not flags[0].startswith("-"):
        default = i.opaque(f"the positional argument {dest} has no default", n)
    else:
        default = None
    kind = k.get("type")
    if isinstance(default, str) and isinstance(kind, Builtin) and kind.pytype in (int, float):
        default = i.call(kind, [default], {}, n)  # argparse converts string defaults
    obj.plain["_arguments"][dest] = default
    return i.opaque("an argparse action", n)


def _p_parse_args(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                  n: ast.AST) -> Value:
    namespace = Obj(NAMESPACE)
    namespace.plain.update(obj.plain["_arguments"])
    namespace.plain.update(obj.plain["_defaults"])
    namespace.plain.update(i.argv)
    return namespace


def _p_set_defaults(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value],
                    n: ast.AST) -> Value:
    obj.plain["_defaults"].update(k)
    return None


def _p_group(i: Interpreter, obj: Obj, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return obj


ARGPARSER = BuiltinClass("argparse.ArgumentParser", init=_parser_init, methods={
    "add_argument": _p_add_argument, "parse_args": _p_parse_args,
    "set_defaults": _p_set_defaults, "add_argument_group": _p_group,
    "add_mutually_exclusive_group": _p_group,
})
NAMESPACE = BuiltinClass("argparse.Namespace")


def _tensor_ctor(name: str) -> Builtin:
    def impl(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
        sizes = list(a)
        if name == "torch.full":
            sizes = sizes[:1]
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = list(sizes[0])
        return Tensor(_dims(i, sizes, n))
    return Builtin(name, impl)


def _parameter(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    b = _bind_builtin("Parameter", ("data", "requires_grad"),
                      {"data": None, "requires_grad": True}, a, k, i, n)
    data = b["data"]
    if data is None:
        return Param((0,))
    if isinstance(data, Tensor):
        return Param(data.shape)
    if isinstance(data, Opaque):
        return Param(data)
    return Param(i.opaque(f"a parameter made of {describe(data)}", n))


def _identity(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if not a:
        raise Stuck("torch.compile() without a model", i.where(n))
    return a[0]


def _dataclass(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if len(a) == 1 and isinstance(a[0], ClassValue):
        a[0].is_dataclass = True
        return a[0]
    return _DATACLASS  # @dataclass(frozen=True, ...): the decorator itself


def _field(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return FieldSpec(k.get("default", MISSING), k.get("default_factory", MISSING))


def _math(name: str) -> Builtin:
    fn = getattr(math, name)

    def impl(i: Interpreter, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
        if (o := _first_opaque(a, k)) is not None:
            return o
        if k or not all(isinstance(x, (bool, int, float)) for x in a):
            return i.opaque(f"math.{name} of {', '.join(describe(x) for x in a)}", n)
        if any(isinstance(x, int) and x.bit_length() > MAX_INT_BITS for x in a):
            raise Stuck("an integer too large to follow", i.where(n))
        try:
            return i._checked(fn(*a), n)
        except (ValueError, OverflowError, TypeError) as exc:
            raise Stuck(f"math.{name}: {exc}", i.where(n)) from None
    return Builtin(f"math.{name}", impl)


_DATACLASS = Builtin("dataclasses.dataclass", _dataclass)

_DTYPES = {"bfloat16": 2, "float16": 2, "half": 2, "float32": 4, "float": 4, "float64": 8,
           "double": 8, "int64": 8, "long": 8, "int32": 4, "int": 4, "int16": 2, "int8": 1,
           "uint8": 1, "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1}
_ALIASES = {"half": "float16", "float": "float32", "double": "float64", "long": "int64",
            "int": "int32"}

EXTERNALS: dict[str, Value] = {
    "torch.nn.Module": MODULE,
    "torch.nn.Linear": LINEAR,
    "torch.nn.Embedding": EMBEDDING,
    "torch.nn.ModuleDict": MODULEDICT,
    "torch.nn.ModuleList": MODULELIST,
    "torch.nn.Sequential": SEQUENTIAL,
    "torch.nn.Parameter": Builtin("torch.nn.Parameter", _parameter),
    "torch.compile": Builtin("torch.compile", _identity),
    "argparse.ArgumentParser": ARGPARSER,
    "dataclasses.dataclass": _DATACLASS,
    "dataclasses.field": Builtin("dataclasses.field", _field),
    "math.pi": math.pi, "math.e": math.e, "math.tau": math.tau, "math.inf": math.inf,
    **{f"torch.{name}": _tensor_ctor(f"torch.{name}")
       for name in ("ones", "zeros", "empty", "randn", "rand", "full")},
    **{f"torch.{name}": Dtype(_ALIASES.get(name, name), size) for name, size in _DTYPES.items()},
    **{f"math.{name}": _math(name)
       for name in ("sqrt", "log", "log2", "log10", "exp", "ceil", "floor", "isqrt", "cos", "sin",
                    "tan", "atan", "fabs", "gcd", "lcm", "trunc", "isfinite", "isnan")},
}
EXTERNALS["torch.nn.parameter.Parameter"] = EXTERNALS["torch.nn.Parameter"]
