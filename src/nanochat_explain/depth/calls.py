"""Calls: of functions of the source with their arguments bound, of classes and
dataclasses, of modelled library functions; and the walk over a built model."""

from __future__ import annotations

import ast

from nanochat_explain.depth.machine import Machine
from nanochat_explain.depth.torchnn import OPTIMIZER
from nanochat_explain.depth.values import (
    MAX_CALLS,
    MISSING,
    BoundMethod,
    Builtin,
    BuiltinClass,
    ClassValue,
    FieldSpec,
    Function,
    Obj,
    Opaque,
    Scope,
    Stuck,
    Symbol,
    Tensor,
    Wrapped,
    _Break,
    _Continue,
    _Return,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.depth.values import Param, Value


class Calls(Machine):
    """Calls functions, classes and modelled callables; walks a built model's modules."""

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
