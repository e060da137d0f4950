"""The values the interpreter computes with: plain Python values, the modelled objects
(modules, tensors, classes, functions) and :class:`Opaque` for what it cannot know;
the limits it keeps to and the exceptions of its control flow."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_STEPS = 1_000_000  # evaluated nodes (and loop iterations) per phase
MAX_NESTING = 150  # nested expression/statement evaluations
MAX_CALLS = 40  # nested function calls
MAX_ITEMS = 1_000_000  # elements of one list, tuple, string...
MAX_INT_BITS = 4096  # no integer grows beyond this

Value = Any


class Evaluator(Protocol):
    """What the modelled functions and classes (builtins, torch, argparse) call back into:
    the interpreter, seen from below."""

    argv: dict[str, Value]
    frames: list[tuple[Function, Value]]

    def where(self, node: ast.AST | None) -> str: ...
    def charge(self, size: int, node: ast.AST | None) -> None: ...
    def opaque(self, reason: str, node: ast.AST | None, *,
               maybe_module: bool = False) -> Opaque: ...
    def call(self, func: Value, args: list[Value], kwargs: dict[str, Value],
             node: ast.AST) -> Value: ...
    def iterate(self, v: Value, node: ast.AST) -> Iterator[Value]: ...
    def materialize(self, v: Value, node: ast.AST) -> list[Value]: ...
    def binop(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value: ...
    def _checked(self, result: Value, node: ast.AST) -> Value: ...
    def truth_or_opaque(self, v: Value, node: ast.AST) -> bool | Opaque: ...
    def make_set(self, items: list[Value], node: ast.AST) -> Value: ...
    def set_key(self, d: dict[Value, Value], key: Value, value: Value,
                node: ast.AST) -> None: ...
    def dataclass_init(self, cls: ClassValue, obj: Obj, args: list[Value],
                       kwargs: dict[str, Value], node: ast.AST) -> None: ...
    def named_modules(self, root: Obj, node: ast.AST | None) -> list[tuple[str, Obj]]: ...
    def named_parameters(self, root: Obj, node: ast.AST | None) -> list[tuple[str, Param]]: ...


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


BuiltinInit = Callable[["Evaluator", "Obj", list[Value], dict[str, Value], ast.AST], None]
BuiltinMethod = Callable[["Evaluator", "Obj", list[Value], dict[str, Value], ast.AST], Value]


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
    impl: Callable[[Evaluator, list[Value], dict[str, Value], ast.AST], Value]
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


# Arguments of the modelled functions


def _first_opaque(args: list[Value], kwargs: dict[str, Value]) -> Opaque | None:
    for v in (*args, *kwargs.values()):
        if isinstance(v, Opaque):
            return v
    return None


def _bind_builtin(name: str, params: tuple[str, ...], defaults: dict[str, Value],
                  a: list[Value], k: dict[str, Value], i: Evaluator,
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
