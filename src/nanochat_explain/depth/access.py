"""Attributes, items and iteration: of objects of the source, of modelled modules and
tensors, of plain values."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from nanochat_explain.depth.argparser import NAMESPACE
from nanochat_explain.depth.builtin import native_method
from nanochat_explain.depth.library import EXTERNALS
from nanochat_explain.depth.machine import Machine
from nanochat_explain.depth.torchnn import (
    _MODULE_API,
    MODULEDICT,
    MODULELIST,
    SEQUENTIAL,
    _add_child,
)
from nanochat_explain.depth.values import (
    _CONTAINERS,
    _PRIMITIVES,
    BoundMethod,
    Builtin,
    BuiltinClass,
    ClassValue,
    Dtype,
    Function,
    Obj,
    Opaque,
    Param,
    Stuck,
    Super,
    Symbol,
    Tensor,
    Wrapped,
    _hashable,
    _OpaqueResult,
    _prod,
    class_mro,
    describe,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.depth.values import BuiltinInit, Evaluator, Value


class Access(Machine):
    """Reads and writes attributes and items, and iterates values."""

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
            def size(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
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


def _no_init(i: Evaluator, a: list[Value], k: dict[str, Value], n: ast.AST) -> Value:
    return None


def _init_of(init: BuiltinInit, obj: Obj) -> Callable[..., Value]:
    return lambda i, a, k, n: init(i, obj, a, k, n)


def _dataclass_init_of(cls: ClassValue, obj: Obj) -> Callable[..., Value]:
    return lambda i, a, k, n: i.dataclass_init(cls, obj, a, k, n)


def _bound_builtin(cls: BuiltinClass, name: str, obj: Obj) -> Builtin:
    method = cls.methods[name]
    return Builtin(f"{cls.name}.{name}", lambda i, a, k, n: method(i, obj, a, k, n))
