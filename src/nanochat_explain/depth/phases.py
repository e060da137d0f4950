"""The model ``base_train --depth N`` would build, computed from nanochat's own formulas.

:func:`evaluate_depth` reads the text of ``nanochat/gpt.py`` and ``scripts/base_train.py`` and
evaluates, with the restricted interpreter of :mod:`nanochat_explain.depth.interpreter` (it
never imports or runs them): base_train's argparse defaults and ``build_model_meta(depth)``,
``GPT.__init__`` and the modules it builds (shapes only), then nanochat's
``num_scaling_params``, ``estimate_flops``, ``kv_bytes_per_token`` and ``setup_optimizer`` on
that model. No formula of nanochat is written here: when the code changes, the numbers
follow; when it changes beyond what the interpreter follows, :class:`DepthUnavailable` names
the file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nanochat_explain.depth.interpreter import Interpreter
from nanochat_explain.depth.torchnn import OPTIMIZER
from nanochat_explain.depth.values import (
    ClassValue,
    Function,
    Obj,
    Opaque,
    Param,
    Scope,
    Stuck,
    Value,
    Wrapped,
    deep_concrete,
    describe,
)
from nanochat_explain.errors import ExplainError
from nanochat_explain.facts.canon import unparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

GPT_FILE = "nanochat/gpt.py"
TRAIN_FILE = "scripts/base_train.py"
MAX_DEPTH = 1024
MAX_VOCAB = 10_000_000
BUILDER = "build_model_meta"
METHODS = ("num_scaling_params", "estimate_flops", "kv_bytes_per_token", "setup_optimizer")
CONFIG_INTS = ("n_layer", "n_embd", "n_head", "n_kv_head", "sequence_len", "vocab_size")


class DepthUnavailable(ExplainError):
    """The model for this depth cannot be computed from the code; says where and why."""


@dataclass(frozen=True)
class DepthReport:
    depth: int
    config: dict[str, Any]  # n_layer ... window_sizes, plus build_model_meta, args, layers
    params: dict[str, int]  # what GPT.num_scaling_params returns
    components: tuple[tuple[str, int], ...]  # every parameter tensor (layers collapsed to *)
    flops_per_token: int
    kv_bytes_per_token: int
    optimizer_groups: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]  # the assumptions made

    def as_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "config": self.config,
            "params": dict(self.params),
            "components": [{"name": name, "numel": numel} for name, numel in self.components],
            "flops_per_token": self.flops_per_token,
            "kv_bytes_per_token": self.kv_bytes_per_token,
            "optimizer_groups": [dict(group) for group in self.optimizer_groups],
            "notes": list(self.notes),
        }


def evaluate_depth(gpt_source: str, train_source: str, depth: int,
                   vocab_size: int = 32768) -> DepthReport:
    """The model base_train builds for ``--depth depth`` (argparse defaults otherwise).

    Raises ValueError for a depth outside 1..1024 (or a vocabulary size outside
    1..10,000,000), :class:`DepthUnavailable` when the code cannot be followed.
    """
    _check_range("depth", depth, MAX_DEPTH)
    _check_range("vocab_size", vocab_size, MAX_VOCAB)
    gpt_tree = _parse(gpt_source, GPT_FILE)
    train_tree = _parse(train_source, TRAIN_FILE)
    try:
        return _evaluate(gpt_tree, train_tree, depth, vocab_size)
    except Stuck as exc:
        raise _unavailable(exc.reason, exc.where) from None
    except RecursionError:
        raise DepthUnavailable("the code is nested too deeply to follow", file=GPT_FILE) from None


def _check_range(name: str, value: object, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise ValueError(f"{name} must be an integer from 1 to {high:,}, not {value!r}")


def _parse(text: str, file: str) -> ast.Module:
    nul = text.find("\x00")
    if nul >= 0:
        raise DepthUnavailable("a NUL byte", file=file, line=text.count("\n", 0, nul) + 1)
    try:
        return ast.parse(text, filename=file)
    except SyntaxError as exc:
        raise DepthUnavailable(f"syntax error: {exc.msg}", file=file, line=exc.lineno) from None
    except (RecursionError, MemoryError):
        raise DepthUnavailable("too deeply nested to parse", file=file) from None
    except ValueError as exc:
        raise DepthUnavailable(f"cannot parse: {exc}", file=file) from None


def _unavailable(reason: str, where: str) -> DepthUnavailable:
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return DepthUnavailable(reason, file=file, line=int(line))
    return DepthUnavailable(reason, file=where or None)


def _opaque_error(what: str, value: Opaque) -> DepthUnavailable:
    return _unavailable(f"{what} is unknown: {value.reason}", value.where)


# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OptimizerArgs:
    args: tuple[Value, ...]
    kwargs: dict[str, Value]
    notes: tuple[str, ...]


def _evaluate(gpt_tree: ast.Module, train_tree: ast.Module, depth: int,
              vocab_size: int) -> DepthReport:
    interp = Interpreter(argv={"depth": depth})
    gpt_scope = Scope(vars={"__name__": "nanochat.gpt"})
    _, failures = interp.run_module(gpt_tree.body, gpt_scope, GPT_FILE)
    if failures:  # its top level is imports and definitions: an error there fails the import
        raise _unavailable(failures[0].reason, failures[0].where)
    interp.modules["nanochat.gpt"] = gpt_scope
    train_scope = Scope(vars={"__name__": "__main__", "vocab_size": vocab_size},
                        pinned=frozenset({"vocab_size"}))
    optimizer_args = _run_script(interp, train_tree, train_scope)

    interp.steps = 0  # a fresh budget for the model itself
    model, build_locals, args_read = _build(interp, train_scope, depth)
    cls = model.cls
    assert isinstance(cls, ClassValue)
    missing = [name for name in METHODS if not _has_method(cls, name)]
    if missing:
        raise DepthUnavailable(f"class {cls.name} has no method {', '.join(missing)}",
                               file=cls.file, line=cls.line)
    init_locals = interp.captured.get(f"{cls.qualname}.__init__", {})
    config = _config(interp, model, init_locals, build_locals, args_read)

    params = _call(interp, model, "num_scaling_params")
    if isinstance(params, Opaque):
        raise _opaque_error("num_scaling_params()", params)
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise _method_error(cls, "num_scaling_params", f"returns {describe(params)}, not a dict")
    counts = {key: _need_int(value, f"num_scaling_params()[{key!r}]", cls)
              for key, value in params.items()}
    flops = _need_int(_call(interp, model, "estimate_flops"), "estimate_flops()", cls)
    interp.assumptions.clear()
    kv_bytes = _need_int(_call(interp, model, "kv_bytes_per_token"), "kv_bytes_per_token()", cls)
    assumed_dtype = sorted(interp.assumptions)

    named = interp.named_parameters(model, None)
    names = {id(p): name for name, p in named}
    ordered = _ordered_parameters(model, len(named))
    components = _components(ordered)
    config["layers"] = _layers(ordered, config)
    groups = _optimizer_groups(interp, model, optimizer_args, names)

    notes = [f"--depth {depth}; every other argument of base_train at its argparse default",
             f"vocab_size = {vocab_size:,} (given: base_train reads it from the tokenizer)"]
    for name in assumed_dtype:
        notes.append(f"KV-cache bytes take {name.rpartition('.')[2]} as torch.bfloat16 (itemsize"
                     " 2); nanochat picks the compute dtype at run time from the hardware")
    notes.extend(optimizer_args.notes)
    total = sum(numel for _, numel in components)
    if "total" in counts and total != counts["total"]:
        notes.append(f"the parameter tensors add up to {total:,}, not num_scaling_params()'s"
                     f" total {counts['total']:,}")
    return DepthReport(depth, config, counts, components, flops, kv_bytes, groups, tuple(notes))


def _run_script(interp: Interpreter, tree: ast.Module, scope: Scope) -> _OptimizerArgs:
    """Run base_train's module body up to its setup_optimizer call; evaluate that call's args."""
    try:
        stmt, _ = interp.run_module(tree.body, scope, TRAIN_FILE, stop=_calls_setup_optimizer)
    except Stuck as exc:
        return _OptimizerArgs((), {}, (f"setup_optimizer's own defaults are used: base_train"
                                       f" could not be followed up to its call ({exc})",))
    call = None if stmt is None else _setup_optimizer_call(stmt)
    if call is None:
        return _OptimizerArgs((), {}, ("setup_optimizer's own defaults are used: base_train"
                                       " has no top-level call to it",))
    line = f"{TRAIN_FILE}:{call.lineno}"
    used: list[str] = []
    dropped: list[str] = []

    def evaluate(node: ast.expr) -> Value:
        try:
            return interp.eval(node, scope)
        except Stuck as exc:
            return Opaque(exc.reason, exc.where)

    args = tuple(evaluate(a) for a in call.args if not isinstance(a, ast.Starred))
    if len(args) != len(call.args) or not all(deep_concrete(a) for a in args):
        dropped.append(f"its positional arguments ({', '.join(unparse(a) for a in call.args)})")
        args = ()
    kwargs: dict[str, Value] = {}
    for kw in call.keywords:
        if kw.arg is None:
            dropped.append(f"**{unparse(kw.value)}")
            continue
        value = evaluate(kw.value)
        if isinstance(value, Opaque):
            dropped.append(f"{kw.arg} ({value.describe()})")
        elif deep_concrete(value):
            kwargs[kw.arg] = value
            used.append(f"{kw.arg}={value:.6g}" if isinstance(value, float) else
                        f"{kw.arg}={value!r}")
        else:
            dropped.append(f"{kw.arg} ({describe(value)})")
    notes = []
    if used:
        notes.append(f"optimizer groups use the arguments base_train passes to setup_optimizer"
                     f" at {line}, evaluated at its defaults: {', '.join(used)}")
    if dropped:
        notes.append(f"setup_optimizer's own defaults are used for what base_train's call at"
                     f" {line} passes but could not be evaluated statically: {'; '.join(dropped)}")
    return _OptimizerArgs(args, kwargs, tuple(notes))


def _calls_setup_optimizer(stmt: ast.stmt) -> bool:
    return _setup_optimizer_call(stmt) is not None


def _setup_optimizer_call(stmt: ast.stmt) -> ast.Call | None:
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setup_optimizer"):
            return node
        stack.extend(ast.iter_child_nodes(node))
    return None


def _build(interp: Interpreter, scope: Scope,
           depth: int) -> tuple[Obj, dict[str, Value], dict[str, Value]]:
    builder = scope.vars.get(BUILDER)
    if isinstance(builder, Opaque):
        raise _opaque_error(f"{BUILDER}", builder)
    if not isinstance(builder, Function):
        raise DepthUnavailable(f"no function {BUILDER}(depth) at the top level", file=TRAIN_FILE)
    interp.namespace_reads.clear()
    interp.file = TRAIN_FILE
    model = interp.call(builder, [depth], {}, builder.node)
    if isinstance(model, Opaque):
        raise _opaque_error(f"the model {BUILDER}({depth}) returns", model)
    if not (isinstance(model, Obj) and isinstance(model.cls, ClassValue) and model.is_module):
        raise DepthUnavailable(f"{BUILDER}({depth}) returns {describe(model)}, not a model",
                               file=TRAIN_FILE, line=builder.node.lineno)
    args = _namespace(scope)
    args_read = {name: args.plain[name] for name in dict.fromkeys(interp.namespace_reads)
                 if args is not None and name in args.plain}
    return model, interp.captured.get(builder.qualname, {}), args_read


def _namespace(scope: Scope) -> Obj | None:
    for value in scope.vars.values():
        if isinstance(value, Obj) and value.cls.name == "argparse.Namespace":
            return value
    return None


def _has_method(cls: ClassValue, name: str) -> bool:
    return any(isinstance(c, ClassValue) and isinstance(c.attrs.get(name), (Function, Wrapped))
               for c in cls.mro)


def _method_node(cls: ClassValue, name: str) -> ast.AST:
    for c in cls.mro:
        if isinstance(c, ClassValue):
            attr = c.attrs.get(name)
            if isinstance(attr, Function):
                return attr.node
    return ast.Pass(lineno=cls.line)


def _method_error(cls: ClassValue, name: str, what: str) -> DepthUnavailable:
    node = _method_node(cls, name)
    return DepthUnavailable(f"{cls.name}.{name} {what}", file=cls.file,
                            line=getattr(node, "lineno", cls.line))


def _call(interp: Interpreter, model: Obj, name: str, args: tuple[Value, ...] = (),
          kwargs: dict[str, Value] | None = None) -> Value:
    assert isinstance(model.cls, ClassValue)
    node = _method_node(model.cls, name)
    interp.file = model.cls.file
    return interp.call(interp.getattr_(model, name, node), list(args), dict(kwargs or {}), node)


def _need_int(value: Value, what: str, cls: ClassValue) -> int:
    if isinstance(value, Opaque):
        raise _opaque_error(what, value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DepthUnavailable(f"{what} is {describe(value)}, not an integer", file=cls.file,
                               line=cls.line)
    return value


def _config(interp: Interpreter, model: Obj, init_locals: dict[str, Value],
            build_locals: dict[str, Value], args_read: dict[str, Value]) -> dict[str, Any]:
    cls = model.cls
    assert isinstance(cls, ClassValue)
    node = ast.Pass(lineno=cls.line)
    interp.file = cls.file
    cfg = interp.getattr_(model, "config", node)
    if isinstance(cfg, Opaque):
        raise _opaque_error(f"{cls.name}.config", cfg)
    if not isinstance(cfg, Obj):
        raise DepthUnavailable(f"{cls.name}.config is {describe(cfg)}", file=cls.file,
                               line=cls.line)
    config: dict[str, Any] = {}
    for name in CONFIG_INTS:
        config[name] = _need_int(interp.getattr_(cfg, name, node), f"config.{name}", cls)
    pattern = interp.getattr_(cfg, "window_pattern", node)
    config["window_pattern"] = pattern if isinstance(pattern, str) else None
    config["head_dim"] = _int_or_none(init_locals.get("head_dim"))
    if config["head_dim"] is None:
        config["head_dim"] = next((_int_or_none(m.plain.get("head_dim"))
                                   for _, m in interp.named_modules(model, node)
                                   if _int_or_none(m.plain.get("head_dim")) is not None), None)
    config["padded_vocab_size"] = _int_or_none(init_locals.get("padded_vocab_size"))
    windows = interp.getattr_(model, "window_sizes", node)
    config["window_sizes"] = _windows(windows)
    config[BUILDER] = {name: value for name, value in build_locals.items()
                       if name != "depth" and isinstance(value, (int, float, str))
                       and not isinstance(value, bool)}
    config["args"] = {name: list(v) if isinstance(v, tuple) else v
                      for name, v in args_read.items() if deep_concrete(v)}
    return config


def _int_or_none(value: Value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _windows(value: Value) -> list[list[int]] | None:
    if not isinstance(value, (list, tuple)):
        return None
    out = []
    for pair in value:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2
                and all(_int_or_none(x) is not None for x in pair)):
            return None
        out.append([pair[0], pair[1]])
    return out


def _collapse(name: str) -> str:
    """``transformer.h.3.attn.c_q.weight`` -> ``transformer.h.*.attn.c_q.weight``."""
    return ".".join("*" if part.isdigit() else part for part in name.split("."))


def _numel(name: str, param: Param) -> int:
    shape = param.shape
    if isinstance(shape, Opaque):
        raise _opaque_error(f"the shape of {name}", shape)
    total = 1
    for n in shape:
        total *= n
    return total


def _ordered_parameters(root: Obj, expected: int) -> list[tuple[str, int]]:
    """Every parameter with its size, in the order the code registers them."""
    out: list[tuple[str, int]] = []
    seen: set[int] = set()

    def visit(prefix: str, module: Obj, depth: int) -> None:
        if id(module) in seen or depth > 64:
            return
        seen.add(id(module))
        for name in module.order:
            path = f"{prefix}.{name}" if prefix else name
            param = module.params.get(name)
            child = module.modules.get(name)
            if param is not None and id(param) not in seen:
                seen.add(id(param))
                out.append((path, _numel(path, param)))
            elif isinstance(child, Obj):
                visit(path, child, depth + 1)

    visit("", root, 0)
    return out


def _components(ordered: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Sizes summed over layers. A name first seen in a later layer (a gate only odd layers
    have) goes right after the tensor registered before it, not after the whole first layer."""
    totals: dict[str, int] = {}
    keys: list[str] = []
    previous: str | None = None
    for name, numel in ordered:
        key = _collapse(name)
        if key not in totals:
            totals[key] = 0
            keys.insert(keys.index(previous) + 1 if previous is not None else len(keys), key)
        totals[key] += numel
        previous = key
    return tuple((key, totals[key]) for key in keys)


def _layers(ordered: list[tuple[str, int]], config: dict[str, Any]) -> list[dict[str, Any]]:
    """Per layer index: the tensors indexed by it (blocks, value embeddings) and their sizes."""
    n_layer = config["n_layer"]
    windows = config.get("window_sizes")
    layers: list[dict[str, Any]] = [{"layer": i, "params": {}, "total": 0} for i in range(n_layer)]
    for name, numel in ordered:
        index = next((int(part) for part in name.split(".") if part.isdigit()), None)
        if index is None or not 0 <= index < n_layer:
            continue
        layer = layers[index]
        key = _collapse(name)
        layer["params"][key] = layer["params"].get(key, 0) + numel
        layer["total"] += numel
    if windows is not None and len(windows) == n_layer:
        for layer, window in zip(layers, windows, strict=True):
            layer["window_size"] = window
    return layers


def _optimizer_groups(interp: Interpreter, model: Obj, given: _OptimizerArgs,
                      names: dict[int, str]) -> tuple[dict[str, Any], ...]:
    cls = model.cls
    assert isinstance(cls, ClassValue)
    before = len(interp.optimizers)
    result = _call(interp, model, "setup_optimizer", given.args, given.kwargs)
    if isinstance(result, Obj) and result.cls is OPTIMIZER:
        groups = result.plain["param_groups"]
    elif len(interp.optimizers) > before:
        groups = interp.optimizers[-1].plain["param_groups"]
    else:
        raise _method_error(cls, "setup_optimizer",
                            "builds no optimizer from a list of param groups")
    return tuple(_group(i, group, names, cls) for i, group in enumerate(groups))


def _group(index: int, group: Value, names: dict[int, str], cls: ClassValue) -> dict[str, Any]:
    if not isinstance(group, dict):
        raise _method_error(cls, "setup_optimizer", f"makes param group {index} of"
                            f" {describe(group)}")
    entry: dict[str, Any] = {}
    for key, value in group.items():
        if key == "params" or not isinstance(key, str):
            continue
        if isinstance(value, Opaque):
            raise _opaque_error(f"{key} of param group {index}", value)
        if deep_concrete(value):
            entry[key] = list(value) if isinstance(value, tuple) else value
    params = group.get("params", [])
    tensors: list[str] = []
    shapes: list[list[int]] = []
    numel = 0
    for param in params if isinstance(params, list) else []:
        if not isinstance(param, Param):
            raise _method_error(cls, "setup_optimizer",
                                f"puts {describe(param)} in param group {index}")
        name = names.get(id(param), "<not a parameter of the model>")
        numel += _numel(name, param)
        collapsed = _collapse(name)
        if collapsed not in tensors:
            tensors.append(collapsed)
        shape = list(param.shape) if isinstance(param.shape, tuple) else []
        if shape not in shapes:
            shapes.append(shape)
    entry["params"] = tensors
    entry["tensors"] = len(params) if isinstance(params, list) else 0
    entry["numel"] = numel
    entry["shapes"] = shapes
    return entry
