"""The shape-only model of torch: ``nn.Module`` and the modules nanochat builds from,
parameters, tensor constructors and dtypes."""

from __future__ import annotations

import ast

from nanochat_explain.depth.values import (
    Builtin,
    BuiltinClass,
    Obj,
    Opaque,
    Param,
    Stuck,
    Tensor,
    _bind_builtin,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.depth.values import Evaluator, Value


def _dims(i: Evaluator, values: list[Value], n: ast.AST) -> tuple[int, ...] | Opaque:
    for v in values:
        if isinstance(v, Opaque):
            return v
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            return i.opaque(f"a dimension that is {describe(v)}", n)
    return tuple(values)


def _ready(i: Evaluator, obj: Obj, n: ast.AST) -> None:
    if not obj.ready and obj.unknown_base is None:
        raise Stuck("cannot assign to a module before Module.__init__() call", i.where(n))


def _add_param(obj: Obj, name: str, shape: tuple[int, ...] | Opaque) -> None:
    obj.params[name] = Param(shape)
    obj.register(name)


def _linear_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
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


def _embedding_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                    n: ast.AST) -> None:
    params = ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
              "scale_grad_by_freq", "sparse", "_weight", "_freeze", "device", "dtype")
    obj.ready = True
    b = _bind_builtin("Embedding", params, {p: None for p in params[2:]}, a, k, i, n)
    obj.plain["num_embeddings"] = b["num_embeddings"]
    obj.plain["embedding_dim"] = b["embedding_dim"]
    _add_param(obj, "weight", _dims(i, [b["num_embeddings"], b["embedding_dim"]], n))


def _module_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                 n: ast.AST) -> None:
    if a or k:
        raise Stuck("nn.Module.__init__() takes no arguments", i.where(n))
    obj.ready = True


def _add_child(i: Evaluator, obj: Obj, name: str, child: Value, n: ast.AST) -> None:
    if not (isinstance(child, Opaque) or (isinstance(child, Obj) and (
            child.is_module or child.unknown_base is not None))):
        raise Stuck(f"{obj.cls.name} entry {name} is {describe(child)}, not a module", i.where(n))
    obj.modules[name] = child
    obj.register(name)


def _moduledict_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
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


def _modulelist_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> None:
    obj.ready = True
    b = _bind_builtin("ModuleList", ("modules",), {"modules": None}, a, k, i, n)
    if b["modules"] is None:
        return
    if isinstance(b["modules"], Opaque):
        raise Stuck(f"ModuleList of {b['modules'].describe()}", i.where(n))
    for child in i.materialize(b["modules"], n):
        _add_child(i, obj, str(len(obj.modules)), child, n)


def _sequential_init(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> None:
    obj.ready = True
    if k:
        raise Stuck("Sequential() with keyword arguments is not modelled", i.where(n))
    for child in a:
        _add_child(i, obj, str(len(obj.modules)), child, n)


def _m_parameters(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                  n: ast.AST) -> Value:
    b = _bind_builtin("parameters", ("recurse",), {"recurse": True}, a, k, i, n)
    if not b["recurse"]:
        return [p for p in obj.params.values() if p is not None]
    return [p for _, p in i.named_parameters(obj, n)]


def _m_named_parameters(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                        n: ast.AST) -> Value:
    b = _bind_builtin("named_parameters", ("prefix", "recurse"), {"prefix": "", "recurse": True},
                      a, k, i, n)
    prefix = f"{b['prefix']}." if b["prefix"] else ""
    return [(prefix + name, p) for name, p in i.named_parameters(obj, n)]


def _m_modules(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
               n: ast.AST) -> Value:
    _bind_builtin("modules", (), {}, a, k, i, n)
    return [m for _, m in i.named_modules(obj, n)]


def _m_named_modules(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                     n: ast.AST) -> Value:
    _bind_builtin("named_modules", (), {}, a, k, i, n)
    return [(name, m) for name, m in i.named_modules(obj, n)]


def _m_children(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                n: ast.AST) -> Value:
    return [m for m in obj.modules.values() if m is not None]


def _m_named_children(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                      n: ast.AST) -> Value:
    return [(name, m) for name, m in obj.modules.items() if m is not None]


def _m_register_buffer(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                       n: ast.AST) -> Value:
    b = _bind_builtin("register_buffer", ("name", "tensor", "persistent"), {"persistent": True},
                      a, k, i, n)
    _ready(i, obj, n)
    if not isinstance(b["name"], str):
        raise Stuck("register_buffer() with a name that is not a string", i.where(n))
    obj.buffers[b["name"]] = b["tensor"]
    obj.register(b["name"])
    return None


def _m_register_parameter(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                          n: ast.AST) -> Value:
    b = _bind_builtin("register_parameter", ("name", "param"), {}, a, k, i, n)
    _ready(i, obj, n)
    if not isinstance(b["name"], str) or not (b["param"] is None or isinstance(b["param"], Param)):
        raise Stuck("register_parameter() with these arguments", i.where(n))
    obj.params[b["name"]] = b["param"]
    obj.register(b["name"])
    return None


def _m_add_module(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
                  n: ast.AST) -> Value:
    b = _bind_builtin("add_module", ("name", "module"), {}, a, k, i, n)
    _ready(i, obj, n)
    if not isinstance(b["name"], str):
        raise Stuck("add_module() with a name that is not a string", i.where(n))
    _add_child(i, obj, b["name"], b["module"], n)
    return None


def _m_keys(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return list(obj.modules)


def _m_values(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
              n: ast.AST) -> Value:
    return list(obj.modules.values())


def _m_items(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return list(obj.modules.items())


def _m_append(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
              n: ast.AST) -> Value:
    b = _bind_builtin("append", ("module",), {}, a, k, i, n)
    _add_child(i, obj, str(len(obj.modules)), b["module"], n)
    return obj


def _m_extend(i: Evaluator, obj: Obj, a: list[Value], k: dict[str, Value],
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


def _tensor_ctor(name: str) -> Builtin:
    def impl(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
        sizes = list(a)
        if name == "torch.full":
            sizes = sizes[:1]
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = list(sizes[0])
        return Tensor(_dims(i, sizes, n))
    return Builtin(name, impl)


def _parameter(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


_DTYPES = {"bfloat16": 2, "float16": 2, "half": 2, "float32": 4, "float": 4, "float64": 8,
           "double": 8, "int64": 8, "long": 8, "int32": 4, "int": 4, "int16": 2, "int8": 1,
           "uint8": 1, "bool": 1, "float8_e4m3fn": 1, "float8_e5m2": 1}
_ALIASES = {"half": "float16", "float": "float32", "double": "float64", "long": "int64",
            "int": "int32"}
