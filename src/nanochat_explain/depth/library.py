"""What the interpreter knows of libraries: the table of external names (torch,
argparse, dataclasses, math) that imports resolve to."""

from __future__ import annotations

import ast
import math

from nanochat_explain.depth.argparser import ARGPARSER
from nanochat_explain.depth.torchnn import (
    _ALIASES,
    _DTYPES,
    EMBEDDING,
    LINEAR,
    MODULE,
    MODULEDICT,
    MODULELIST,
    SEQUENTIAL,
    _parameter,
    _tensor_ctor,
)
from nanochat_explain.depth.values import (
    MAX_INT_BITS,
    MISSING,
    Builtin,
    ClassValue,
    Dtype,
    FieldSpec,
    Stuck,
    _first_opaque,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.depth.values import Evaluator, Value


def _identity(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if not a:
        raise Stuck("torch.compile() without a model", i.where(n))
    return a[0]


def _dataclass(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if len(a) == 1 and isinstance(a[0], ClassValue):
        a[0].is_dataclass = True
        return a[0]
    return _DATACLASS  # @dataclass(frozen=True, ...): the decorator itself


def _field(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return FieldSpec(k.get("default", MISSING), k.get("default_factory", MISSING))


def _math(name: str) -> Builtin:
    fn = getattr(math, name)

    def impl(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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
