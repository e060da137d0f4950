"""Parse one Python file with libcst into :class:`FileFacts`.

Nothing here imports or runs the code it reads: libcst only parses text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from nanochat_explain.facts import (
    Assign,
    Call,
    Class,
    FileFacts,
    Function,
    Param,
    canonical,
)


@dataclass
class _Scope:
    qualname: str
    kind: str
    node: cst.CSTNode
    calls: list[Call] = field(default_factory=list)
    assigns: list[Assign] = field(default_factory=list)
    returns: list[tuple[str, int]] = field(default_factory=list)
    conditions: list[tuple[str, int]] = field(default_factory=list)
    order: int = 0


class _Collector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.stack: list[_Scope] = [_Scope("", "module", module)]
        self.classes: list[Class] = []
        self.functions: list[Function] = []
        self.in_decorator = 0

    # -- helpers -----------------------------------------------------------
    def _code(self, node: cst.CSTNode, bare_tuple: bool = False) -> str:
        return canonical(self.module.code_for_node(node), bare_tuple)

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    def _end_line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).end.line)

    def _qualname(self, name: str) -> str:
        outer = self.stack[-1].qualname
        return f"{outer}.{name}" if outer else name

    def _callee(self, node: cst.BaseExpression) -> str:
        """Dotted name of what is called; inner calls keep their name with ``(...)``."""
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return f"{self._callee(node.value)}.{node.attr.value}"
        if isinstance(node, cst.Call):
            return f"{self._callee(node.func)}(...)"
        if isinstance(node, cst.Subscript):
            return f"{self._callee(node.value)}[...]"
        return self._code(node)

    # -- scopes ------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(_Scope(self._qualname(node.name.value), "class", node))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        scope = self.stack.pop()
        self.classes.append(
            Class(
                qualname=scope.qualname,
                line=self._line(original_node.name),
                end_line=self._end_line(original_node),
                bases=tuple(self._code(b.value) for b in original_node.bases),
                decorators=tuple(self._code(d.decorator) for d in original_node.decorators),
                assigns=tuple(scope.assigns),
                calls=tuple(scope.calls),
            )
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        kind = "method" if self.stack[-1].kind == "class" else "function"
        self.stack.append(_Scope(self._qualname(node.name.value), kind, node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self.stack.pop()
        self.functions.append(
            Function(
                qualname=scope.qualname,
                line=self._line(original_node.name),
                end_line=self._end_line(original_node),
                params=self._params(original_node.params),
                decorators=tuple(self._code(d.decorator) for d in original_node.decorators),
                calls=tuple(sorted(scope.calls, key=lambda c: (c.line, c.column))),
                assigns=tuple(scope.assigns),
                returns=tuple(scope.returns),
                kind=scope.kind,
                conditions=tuple(scope.conditions),
            )
        )

    def _params(self, params: cst.Parameters) -> tuple[Param, ...]:
        out: list[Param] = []

        def add(p: cst.Param, star: str = "") -> None:
            default = self._code(p.default) if p.default is not None else None
            out.append(Param(p.name.value, default, self._line(p), star))

        for p in (*params.posonly_params, *params.params):
            add(p)
        if isinstance(params.star_arg, cst.Param):
            add(params.star_arg, "*")
        for p in params.kwonly_params:
            add(p)
        if params.star_kwarg is not None:
            add(params.star_kwarg, "**")
        return tuple(out)

    # -- contents ----------------------------------------------------------
    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.in_decorator += 1

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self.in_decorator -= 1

    def leave_Call(self, original_node: cst.Call) -> None:
        # a decorator runs in the enclosing scope, not in the body it decorates
        scope = self.stack[-2] if self.in_decorator else self.stack[-1]
        pos = self.get_metadata(PositionProvider, original_node).start
        args: list[str] = []
        kwargs: list[tuple[str, str]] = []
        for arg in original_node.args:
            text = self._code(arg.value)
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, text))
            else:
                args.append(f"{arg.star}{text}")
        scope.calls.append(
            Call(
                callee=self._callee(original_node.func),
                args=tuple(args),
                kwargs=tuple(kwargs),
                line=int(pos.line),
                column=int(pos.column),
                order=scope.order,
            )
        )
        scope.order += 1

    def _add_assign(self, target: str, value: str, node: cst.CSTNode, op: str) -> None:
        self.stack[-1].assigns.append(Assign(target, value, self._line(node), op))

    def visit_Assign(self, node: cst.Assign) -> None:
        value = self._code(node.value, bare_tuple=True)
        for t in node.targets:
            self._add_assign(self._code(t.target, bare_tuple=True), value, node, "=")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is None:
            self._add_assign(self._code(node.target), self._code(node.annotation.annotation),
                             node, ":")
        else:
            self._add_assign(self._code(node.target), self._code(node.value, bare_tuple=True),
                             node, "=")

    def visit_Return(self, node: cst.Return) -> None:
        value = self._code(node.value) if node.value is not None else "None"
        self.stack[-1].returns.append((value, self._line(node)))

    def _add_condition(self, test: cst.BaseExpression) -> None:
        self.stack[-1].conditions.append((self._code(test), self._line(test)))

    def visit_If(self, node: cst.If) -> None:  # elif branches are nested If nodes
        self._add_condition(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._add_condition(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._add_condition(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._add_condition(node.test)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        op = self.module.code_for_node(node.operator).strip()
        self._add_assign(self._code(node.target), self._code(node.value), node, op)


def extract(source: str, path: str) -> FileFacts:
    """Facts of one file. Raises ``libcst.ParserSyntaxError`` on bad syntax."""
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    collector = _Collector(wrapper.module)
    wrapper.visit(collector)
    top = collector.stack[0]
    return FileFacts(
        path=path,
        line_count=len(source.splitlines()),
        classes=tuple(sorted(collector.classes, key=lambda c: c.line)),
        functions=tuple(sorted(collector.functions, key=lambda f: f.line)),
        assigns=tuple(top.assigns),
        calls=tuple(sorted(top.calls, key=lambda c: (c.line, c.column))),
        conditions=tuple(top.conditions),
    )
