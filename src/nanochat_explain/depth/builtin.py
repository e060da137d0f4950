"""Python's builtins the interpreter models (a small whitelist, each propagating
opaque arguments) and the methods of plain values."""

from __future__ import annotations

import ast
from collections.abc import Callable

from nanochat_explain.depth.library import EXTERNALS
from nanochat_explain.depth.torchnn import MODULEDICT, MODULELIST, SEQUENTIAL
from nanochat_explain.depth.values import (
    _CONTAINERS,
    _PRIMITIVES,
    MAX_ITEMS,
    Builtin,
    BuiltinClass,
    ClassValue,
    Dtype,
    Obj,
    Opaque,
    Param,
    Stuck,
    Super,
    Tensor,
    Value,
    Wrapped,
    _first_opaque,
    _hashable,
    _OpaqueResult,
    deep_concrete,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.depth.values import Evaluator


BuiltinImpl = Callable[["Evaluator", list[Value], dict[str, Value], ast.AST], Value]


def _arity(name: str, args: list[Value], kwargs: dict[str, Value], low: int, high: int,
           allowed: tuple[str, ...], interp: Evaluator, node: ast.AST) -> None:
    if not low <= len(args) <= high or any(k not in allowed for k in kwargs):
        raise Stuck(f"{name}() called with arguments it does not take", interp.where(node))


def _b_range(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("range", a, k, 1, 3, (), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    if not all(isinstance(x, int) for x in a):
        raise Stuck("range() takes integers", i.where(n))
    return range(*a)


def _b_len(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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
    def impl(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_sum(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("sum", a, k, 1, 2, ("start",), i, n)
    if isinstance(a[0], Opaque):
        return a[0]
    total = a[1] if len(a) > 1 else k.get("start", 0)
    for x in i.iterate(a[0], n):
        total = i.binop(ast.Add(), total, x, n)
    return total


def _b_sorted(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_list(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("list", a, k, 0, 1, (), i, n)
    if a and isinstance(a[0], Opaque):
        return a[0]
    return i.materialize(a[0], n) if a else []


def _b_tuple(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    v = _b_list(i, a, k, n)
    return v if isinstance(v, Opaque) else tuple(v)


def _b_set(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    v = _b_list(i, a, k, n)
    return v if isinstance(v, Opaque) else i.make_set(v, n)


def _b_dict(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_str(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_int(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_float(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_bool(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("bool", a, k, 0, 1, (), i, n)
    return i.truth_or_opaque(a[0], n) if a else False


def _b_abs(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("abs", a, k, 1, 1, (), i, n)
    v = a[0]
    if isinstance(v, Opaque):
        return v
    if isinstance(v, (bool, int, float)):
        return abs(v)
    if isinstance(v, Tensor):
        return Tensor(v.shape)
    return i.opaque(f"abs() of {describe(v)}", n)


def _b_round(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_pow(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("pow", a, k, 2, 2, (), i, n)
    return i.binop(ast.Pow(), a[0], a[1], n)


def _b_divmod(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("divmod", a, k, 2, 2, (), i, n)
    q = i.binop(ast.FloorDiv(), a[0], a[1], n)
    r = i.binop(ast.Mod(), a[0], a[1], n)
    return q if isinstance(q, Opaque) else r if isinstance(r, Opaque) else (q, r)


def _b_isinstance(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_enumerate(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("enumerate", a, k, 1, 2, ("start",), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    start = a[1] if len(a) > 1 else k.get("start", 0)
    if not isinstance(start, int):
        raise Stuck("enumerate(start=...) must be an int", i.where(n))
    return [(start + j, x) for j, x in enumerate(i.materialize(a[0], n))]


def _b_zip(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("zip", a, k, 0, 64, ("strict",), i, n)
    if (o := _first_opaque(a, k)) is not None:
        return o
    lists = [i.materialize(x, n) for x in a]
    if k.get("strict") and len({len(x) for x in lists}) > 1:
        raise Stuck("zip(strict=True) of unequal lengths", i.where(n))
    return list(zip(*lists, strict=False))


def _b_reversed(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    _arity("reversed", a, k, 1, 1, (), i, n)
    if isinstance(a[0], Opaque):
        return a[0]
    return list(reversed(i.materialize(a[0], n)))


def _b_allany(which: str) -> BuiltinImpl:
    def impl(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _b_super(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    if len(a) == 2 and isinstance(a[0], ClassValue):
        return Super(a[1], a[0])
    if a or k or not i.frames:
        raise Stuck("this form of super() is not modelled", i.where(n))
    func, first = i.frames[-1]
    if func.owner is None or first is None:
        raise Stuck("super() outside a method", i.where(n))
    return Super(first, func.owner)


def _b_marker(name: str) -> BuiltinImpl:
    def impl(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _plain_call(i: Evaluator, v: Value, name: str, a: list[Value], k: dict[str, Value],
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


def _str_method(i: Evaluator, s: str, name: str, a: list[Value], k: dict[str, Value],
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


def _list_method(i: Evaluator, lst: list[Value], name: str, a: list[Value],
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


def _dict_method(i: Evaluator, d: dict[Value, Value], name: str, a: list[Value],
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


def _set_method(i: Evaluator, s: set[Value], name: str, a: list[Value], k: dict[str, Value],
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
