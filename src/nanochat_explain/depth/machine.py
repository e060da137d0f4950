"""The interpreter's state and bookkeeping (steps, nesting, where it is), shared by the
mixins that evaluate statements, expressions, operators, attribute access and calls."""

from __future__ import annotations

import ast

from nanochat_explain.depth.values import MAX_ITEMS, MAX_STEPS, Opaque, Stuck

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from nanochat_explain.depth.values import ClassValue, Function, Obj, Param, Scope, Value


class Machine:
    """What every part of the interpreter shares: its limits, its place in the source and what
    it has captured so far."""

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

    if TYPE_CHECKING:  # what each mixin calls of the others

        def assign(self, target: ast.expr, value: Value, scope: Scope, node: ast.AST) -> None: ...
        def exec_block(self, body: list[ast.stmt], scope: Scope) -> None: ...
        def eval(self, node: ast.expr, scope: Scope) -> Value: ...
        def eval_index(self, node: ast.expr, scope: Scope) -> Value: ...
        def lookup(self, name: str, scope: Scope, node: ast.AST) -> Value: ...
        def set_key(self, d: dict[Value, Value], key: Value, value: Value,
                    node: ast.AST) -> None: ...
        def make_set(self, items: list[Value], node: ast.AST) -> Value: ...
        def binop(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value: ...
        def compare(self, op: ast.cmpop, left: Value, right: Value, node: ast.AST) -> Value: ...
        def inplace(self, op: ast.operator, current: Value, value: Value,
                    node: ast.AST) -> Value: ...
        def truth(self, v: Value, node: ast.AST, what: str) -> bool: ...
        def truth_or_opaque(self, v: Value, node: ast.AST) -> bool | Opaque: ...
        def _checked(self, result: Value, node: ast.AST) -> Value: ...
        def _bind_attr(self, attr: Value, obj: Value, node: ast.AST) -> Value: ...
        def _find_method(self, obj: Obj, name: str) -> Function | None: ...
        def getattr_(self, v: Value, name: str, node: ast.AST) -> Value: ...
        def getitem(self, v: Value, index: Value, node: ast.AST) -> Value: ...
        def iterate(self, v: Value, node: ast.AST) -> Iterator[Value]: ...
        def materialize(self, v: Value, node: ast.AST) -> list[Value]: ...
        def setattr_(self, obj: Value, name: str, value: Value, node: ast.AST) -> None: ...
        def setitem(self, v: Value, index: Value, value: Value, node: ast.AST) -> None: ...
        def symbol(self, path: str, node: ast.AST | None) -> Value: ...
        def call(self, func: Value, args: list[Value], kwargs: dict[str, Value],
                 node: ast.AST) -> Value: ...
        def dataclass_init(self, cls: ClassValue, obj: Obj, args: list[Value],
                           kwargs: dict[str, Value], node: ast.AST) -> None: ...
        def named_modules(self, root: Obj, node: ast.AST | None) -> list[tuple[str, Obj]]: ...
        def named_parameters(self, root: Obj,
                             node: ast.AST | None) -> list[tuple[str, Param]]: ...
