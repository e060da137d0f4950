"""The model of ``argparse``: the defaults a parser is given, and ``parse_args``
with the overrides asked for."""

from __future__ import annotations

import ast

from nanochat_explain.depth.values import Builtin, BuiltinClass, Obj

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.depth.values import Evaluator, Value


def _parser_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                 n: ast.AST) -> None:
    obj.plain["_arguments"] = {}
    obj.plain["_defaults"] = {}


def _p_add_argument(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
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


def _p_parse_args(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                  n: ast.AST) -> Value:
    namespace = Obj(NAMESPACE)
    namespace.plain.update(obj.plain["_arguments"])
    namespace.plain.update(obj.plain["_defaults"])
    namespace.plain.update(i.argv)
    return namespace


def _p_set_defaults(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                    n: ast.AST) -> Value:
    obj.plain["_defaults"].update(k)
    return None


def _p_group(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return obj


ARGPARSER = BuiltinClass("argparse.ArgumentParser", init=_parser_init, methods={
    "add_argument": _p_add_argument, "parse_args": _p_parse_args,
    "set_defaults": _p_set_defaults, "add_argument_group": _p_group,
    "add_mutually_exclusive_group": _p_group,
})
NAMESPACE = BuiltinClass("argparse.Namespace")
