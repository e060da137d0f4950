"""Read one Python file into :class:`FileFacts` with libcst, a concrete syntax tree.

Nothing here imports or runs the code it reads: the parsers only build trees. CPython's
:mod:`ast` parses the file first, as a guard: it rejects what is not Python with the
messages users know, and input nested deeply enough to exhaust libcst's native parser.
Every fact then comes from libcst's tree, which keeps what ``ast`` drops: comments.

The facts follow the source as it is written: the walk visits children in the order
they are written, so each call's ``order`` is its place in evaluation order. A symbol's
line is the line of its name, a starred parameter's that of its star, columns count
characters. Expressions are kept as canonical text (:mod:`nanochat_explain.facts.canon`):
names, attributes, calls and plain constants are put together here from their parts;
anything else is printed from its source text.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields

import libcst as cst

from nanochat_explain.facts.canon import unparse_source
from nanochat_explain.facts.imports import _imports
from nanochat_explain.facts.model import (
    Assign,
    Call,
    Class,
    Comment,
    Docstring,
    FileFacts,
    Function,
    Param,
    Where,
)
from nanochat_explain.facts.positions import Positions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Nodes that canonical text never puts in parentheses, whatever surrounds them.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
# Leaves, and nodes that hold only whitespace and tokens: nothing below them is a fact.
_LEAVES: frozenset[type[cst.CSTNode]] = frozenset({
    cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.FormattedStringText,
    cst.Import, cst.ImportFrom, cst.Pass, cst.Break, cst.Continue, cst.Global, cst.Nonlocal,
    cst.Ellipsis, cst.Comment, cst.EmptyLine, cst.TrailingWhitespace, cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace, cst.Newline, cst.LeftParen, cst.RightParen, cst.Comma,
    cst.Dot, cst.AssignEqual, cst.Colon, cst.Semicolon,
})
# Fields that hold no node worth a visit
_SKIPPED_FIELDS = frozenset({"lpar", "rpar", "comma", "semicolon", "leading_lines",
                             "lines_after_decorators", "header", "footer",
                             "trailing_whitespace", "operator", "equal", "colon", "star",
                             "asynchronous", "dot", "lbracket", "rbracket", "lbrace", "rbrace",
                             "indent", "newline", "default_indent", "default_newline",
                             "encoding", "has_trailing_newline", "relative", "keyword"})
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}

_AUG_OPS = {
    cst.AddAssign: "+=", cst.SubtractAssign: "-=", cst.MultiplyAssign: "*=",
    cst.MatrixMultiplyAssign: "@=", cst.DivideAssign: "/=", cst.ModuloAssign: "%=",
    cst.PowerAssign: "**=", cst.LeftShiftAssign: "<<=", cst.RightShiftAssign: ">>=",
    cst.BitOrAssign: "|=", cst.BitXorAssign: "^=", cst.BitAndAssign: "&=",
    cst.FloorDivideAssign: "//=",
}


def _child_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    names = tuple(f.name for f in fields(kind)
                  if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace"))
    _CHILD_FIELDS[kind] = names
    return names


@dataclass
class _Scope:
    qualname: str
    kind: str
    calls: list[Call] = field(default_factory=list)
    assigns: list[Assign] = field(default_factory=list)
    returns: list[tuple[str, int, Where]] = field(default_factory=list)
    conditions: list[tuple[str, int, Where]] = field(default_factory=list)
    order: int = 0


class _Collector:
    def __init__(self, positions: Positions) -> None:
        self.pos = positions
        self.stack: list[_Scope] = [_Scope("", "module")]
        self.classes: list[Class] = []
        self.functions: list[Function] = []
        self.docstrings: list[Docstring] = []
        self.in_decorator = 0
        self.where: Where = ()  # the blocks around what is walked, within its scope
        self._texts: dict[cst.CSTNode, str] = {}
        # comments placed while walking: comment -> (scope, statement line, own line)
        self.placed: dict[cst.Comment, tuple[str, int | None, bool]] = {}
        # (first line, scope) of every statement, and of every compound statement's header
        self.statements: list[tuple[int, str]] = []
        self._handlers: dict[type[cst.CSTNode], Callable[[Any], None]] = {
            cst.FunctionDef: self._function,
            cst.ClassDef: self._class,
            cst.Call: self._call,
            cst.Assign: self._assign,
            cst.AnnAssign: self._ann_assign,
            cst.AugAssign: self._aug_assign,
            cst.Return: self._return,
            cst.If: self._if,
            cst.While: self._if,
            cst.For: self._for,
            cst.With: self._with,
            cst.Try: self._try,
            cst.TryStar: self._try,
            cst.Assert: self._test_first,
            cst.IfExp: self._if_exp,
            cst.Parameters: self._parameters,
            cst.ExceptHandler: self._except_handler,
            cst.ExceptStarHandler: self._except_handler,
            cst.MatchCase: self._match_case,
            cst.IndentedBlock: self._block,
            cst.SimpleStatementLine: self._simple_line,
            cst.SimpleStatementSuite: self._simple_suite,
        }

    # -- walking -----------------------------------------------------------
    def visit(self, node: cst.CSTNode) -> None:
        kind = type(node)
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(node)
            return
        self.visit_children(node)

    def visit_children(self, node: cst.CSTNode) -> None:
        kind = type(node)
        names = _CHILD_FIELDS.get(kind)
        if names is None:
            names = _child_fields(kind)
        for name in names:
            value = getattr(node, name)
            if type(value) is tuple or type(value) is list:
                self.visit_all(value)
            elif isinstance(value, cst.CSTNode) and type(value) not in _LEAVES:
                self.visit(value)

    def visit_all(self, nodes: Iterable[object]) -> None:
        for node in nodes:
            if isinstance(node, cst.CSTNode) and type(node) not in _LEAVES:
                self.visit(node)

    # -- statements and their comments -------------------------------------
    def _place(self, lines: Sequence[cst.EmptyLine], statement: int | None) -> None:
        scope = self.stack[-1].qualname
        for empty in lines:
            if empty.comment is not None:
                self.placed[empty.comment] = (scope, statement, True)

    def _trailing(self, trailing: cst.TrailingWhitespace, statement: int) -> None:
        if trailing.comment is not None:
            self.placed[trailing.comment] = (self.stack[-1].qualname, statement, False)

    def _statement(self, node: cst.CSTNode) -> int:
        """Note a statement: its comments above, and its first line."""
        line = self.pos.line(node)
        leading = getattr(node, "leading_lines", ())
        self._place(leading, line)
        self.statements.append((line, self.stack[-1].qualname))
        return line

    def _block(self, node: cst.IndentedBlock) -> None:
        self.visit_all(node.body)
        self._place(node.footer, None)

    def _header(self, node: cst.CSTNode, body: cst.BaseSuite) -> None:
        """A compound statement's header: the comment after its colon sits on it."""
        if isinstance(body, cst.IndentedBlock):
            self._trailing(body.header, self.pos.line(node))

    def _simple_line(self, node: cst.SimpleStatementLine) -> None:
        line = self._statement(node)
        self._string_statement(node)
        self.visit_all(node.body)
        self._trailing(node.trailing_whitespace, line)

    def _simple_suite(self, node: cst.SimpleStatementSuite) -> None:
        self.visit_all(node.body)
        self._trailing(node.trailing_whitespace, self.pos.line(node))

    def _compound(self, node: cst.CSTNode) -> None:
        """Note a compound statement that has no handler of its own: for, with, try..."""
        self._statement(node)
        body = getattr(node, "body", None)  # a match statement has cases instead
        if body is not None:
            self._header(node, body)

    # -- text --------------------------------------------------------------
    def _text(self, node: cst.BaseExpression, bare_tuple: bool = False) -> str:
        """Canonical text. With ``bare_tuple`` (the two sides of an assignment) a tuple of
        two or more items is written without parentheses. Texts are kept per node: the
        text of a call is asked for again as an argument of each call around it."""
        if bare_tuple and type(node) is cst.Tuple and len(node.elements) > 1:
            return ", ".join(self._element(e) for e in node.elements)
        text = self._texts.get(node)
        if text is None:
            text = self._texts[node] = self._unparse(node)
        return text

    def _element(self, element: cst.BaseElement) -> str:
        if isinstance(element, cst.StarredElement):
            return self._starred(element.value)
        return self._text(element.value)

    def _starred(self, value: cst.BaseExpression) -> str:
        if isinstance(value, _ATOMS):
            return "*" + self._text(value)
        return unparse_source(f"[*({self.pos.text(value)})]")[1:-1]

    def _unparse(self, node: cst.BaseExpression) -> str:
        """Names, plain constants, attributes and calls are put together from their parts'
        kept texts; anything else is printed from its source."""
        kind = type(node)
        if kind is cst.Name:
            return node.value  # type: ignore[attr-defined, no-any-return]
        if kind is cst.Integer:
            value: str = node.value  # type: ignore[attr-defined]
            if value.isdigit() and (value[0] != "0" or value == "0"):
                return value
        elif kind is cst.SimpleString:
            value = node.value  # type: ignore[attr-defined]
            if value[0] in "'\"" and "\\" not in value and value[:3] not in ('"""', "'''"):
                return repr(value[1:-1])
        elif kind is cst.Attribute and isinstance(node.value, _ATOMS):  # type: ignore[attr-defined]
            return f"{self._text(node.value)}.{node.attr.value}"  # type: ignore[attr-defined]
        elif kind is cst.Call and isinstance(node.func, _ATOMS):  # type: ignore[attr-defined]
            text = self._call_text(node)  # type: ignore[arg-type]
            if text is not None:
                return text
        return unparse_source(self.pos.text(node))

    def _call_text(self, node: cst.Call) -> str | None:
        # keywords after positional arguments, whatever the order they are written in
        positional = [a for a in node.args if a.keyword is None and a.star != "**"]
        keywords = [a for a in node.args if a.keyword is not None or a.star == "**"]
        parts = []
        for arg in (*positional, *keywords):
            if arg.keyword is not None:
                parts.append(f"{arg.keyword.value}={self._text(arg.value)}")
            elif arg.star:
                if not isinstance(arg.value, _ATOMS):
                    return None  # ``*(a or b)`` keeps its parentheses
                parts.append(arg.star + self._text(arg.value))
            else:
                parts.append(self._text(arg.value))
        return f"{self._text(node.func)}({', '.join(parts)})"

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
        return self._text(node)

    # -- scopes ------------------------------------------------------------
    def _qualname(self, name: str) -> str:
        outer = self.stack[-1].qualname
        return f"{outer}.{name}" if outer else name

    def _decorators(self, decorators: Sequence[cst.Decorator]) -> None:
        # a decorator runs in the enclosing scope, not in the body it decorates
        self.in_decorator += 1
        for d in decorators:
            self.visit(d.decorator)
        self.in_decorator -= 1

    def _definition(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        """Comments above a definition, before and between its decorators, sit above it."""
        line = self.pos.line(node)
        self._place(node.leading_lines, line)
        for d in node.decorators:
            self._place(d.leading_lines, line)
            self._trailing(d.trailing_whitespace, line)
        self._place(node.lines_after_decorators, line)
        self.statements.append((line, self.stack[-1].qualname))

    def _string_statement(self, node: cst.SimpleStatementLine) -> None:
        """A statement that is only a string: a docstring when it comes first in its body,
        and nanochat also writes block comments so. Both are kept, owned by the scope."""
        first = node.body[0] if len(node.body) == 1 else None
        if isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString
                                                      | cst.ConcatenatedString):
            value = first.value.evaluated_value
            if isinstance(value, str):
                self.docstrings.append(Docstring(self.stack[-1].qualname,
                                                 inspect.cleandoc(value),
                                                 self.pos.line(first.value)))

    def _class(self, node: cst.ClassDef) -> None:
        self._definition(node)
        scope = _Scope(self._qualname(node.name.value), "class")
        self.stack.append(scope)
        self._header(node, node.body)
        self._decorators(node.decorators)
        outer, self.where = self.where, ()  # a class body starts in no block
        self.visit_all(a.value for a in node.bases)
        self.visit_all(a.value for a in node.keywords)
        self.visit(node.body)
        self.where = outer
        self.stack.pop()
        self.classes.append(
            Class(
                qualname=scope.qualname,
                line=self.pos.line(node.name),
                end_line=self.pos.end_line(node),
                bases=tuple(self._text(b.value) for b in node.bases),
                decorators=tuple(self._text(d.decorator) for d in node.decorators),
                assigns=tuple(scope.assigns),
                calls=tuple(scope.calls),
            )
        )

    def _function(self, node: cst.FunctionDef) -> None:
        self._definition(node)
        kind = "method" if self.stack[-1].kind == "class" else "function"
        scope = _Scope(self._qualname(node.name.value), kind)
        self.stack.append(scope)
        self._header(node, node.body)
        self._decorators(node.decorators)
        outer, self.where = self.where, ()  # a function body starts in no block
        self._parameters(node.params)
        if node.returns is not None:
            self.visit(node.returns.annotation)
        self.visit(node.body)
        self.where = outer
        self.stack.pop()
        self.functions.append(
            Function(
                qualname=scope.qualname,
                line=self.pos.line(node.name),
                end_line=self.pos.end_line(node),
                params=self._params(node.params),
                decorators=tuple(self._text(d.decorator) for d in node.decorators),
                calls=tuple(sorted(scope.calls, key=lambda c: (c.line, c.column))),
                assigns=tuple(scope.assigns),
                returns=tuple(scope.returns),
                kind=scope.kind,
                conditions=tuple(scope.conditions),
            )
        )

    @staticmethod
    def _in_order(params: cst.Parameters) -> list[cst.Param]:
        """Each parameter in source order (a bare ``*`` is no parameter)."""
        out = [*params.posonly_params, *params.params]
        if isinstance(params.star_arg, cst.Param):
            out.append(params.star_arg)
        out += params.kwonly_params
        if params.star_kwarg is not None:
            out.append(params.star_kwarg)
        return out

    def _parameters(self, params: cst.Parameters) -> None:
        for param in self._in_order(params):
            if param.annotation is not None:
                self.visit(param.annotation.annotation)
            if param.default is not None:
                self.visit(param.default)

    def _params(self, params: cst.Parameters) -> tuple[Param, ...]:
        return tuple(
            Param(p.name.value, None if p.default is None else self._text(p.default),
                  self.pos.line(p), p.star if isinstance(p.star, str) else "")
            for p in self._in_order(params))

    # -- contents ----------------------------------------------------------
    def _call(self, node: cst.Call) -> None:
        self.visit(node.func)
        self.visit_all(a.value for a in node.args)
        scope = self.stack[-2] if self.in_decorator else self.stack[-1]
        args: list[str] = []
        kwargs: list[tuple[str, str]] = []
        for arg in node.args:
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, self._text(arg.value)))
            elif arg.star:
                args.append(arg.star + self._text(arg.value))
            else:
                args.append(self._text(arg.value))
        line, column = self.pos.start(node)
        scope.calls.append(Call(self._callee(node.func), tuple(args), tuple(kwargs), line,
                                column, scope.order, self.where))
        scope.order += 1

    def _add_assign(self, target: str, value: str, node: cst.CSTNode, op: str) -> None:
        self.stack[-1].assigns.append(Assign(target, value, self.pos.line(node), op,
                                             self.where))

    def _assign(self, node: cst.Assign) -> None:
        value = self._text(node.value, bare_tuple=True)
        for t in node.targets:
            self._add_assign(self._text(t.target, bare_tuple=True), value, node, "=")
        self.visit_all(t.target for t in node.targets)
        self.visit(node.value)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        annotation = node.annotation.annotation
        if node.value is None:
            self._add_assign(self._text(node.target), self._text(annotation), node, ":")
        else:
            value = self._text(node.value, bare_tuple=True)
            self._add_assign(self._text(node.target), value, node, "=")
        self.visit(node.target)
        self.visit(annotation)
        if node.value is not None:
            self.visit(node.value)

    def _aug_assign(self, node: cst.AugAssign) -> None:
        op = node.operator
        text = _AUG_OPS[type(op)]
        # the operator as written: a backslash continuation beside it stays in its text,
        # as facts stored by earlier versions have it
        around = (getattr(op, "whitespace_before", None), getattr(op, "whitespace_after", None))
        spaced = [w.value if isinstance(w, cst.SimpleWhitespace) else "" for w in around]
        if "\\" in spaced[0] + spaced[1]:
            text = (spaced[0] + text + spaced[1]).strip()
        self._add_assign(self._text(node.target), self._text(node.value), node, text)
        self.visit(node.target)
        self.visit(node.value)

    def _return(self, node: cst.Return) -> None:
        value = "None" if node.value is None else self._text(node.value)
        self.stack[-1].returns.append((value, self.pos.line(node), self.where))
        if node.value is not None:
            self.visit(node.value)

    def _add_condition(self, test: cst.BaseExpression) -> None:
        self.stack[-1].conditions.append((self._text(test), self.pos.line(test), self.where))

    def _test_first(self, node: cst.Assert) -> None:
        self._add_condition(node.test)
        self.visit(node.test)
        if node.msg is not None:
            self.visit(node.msg)

    def _in_block(self, kind: str, text: str, part: str, node: cst.CSTNode,
                  walk: Callable[[Any], None] | None = None) -> None:
        """Walk ``node`` (with ``walk``, else as usual) inside a block."""
        outer = self.where
        self.where = (*outer, (kind, text, part))
        (walk or self.visit)(node)
        self.where = outer

    def _if(self, node: cst.If | cst.While, kind: str | None = None) -> None:
        self._compound(node)
        self._add_condition(node.test)
        self.visit(node.test)
        kind = kind or ("if" if isinstance(node, cst.If) else "while")
        text = self._text(node.test)
        self._in_block(kind, text, "body", node.body)
        orelse = node.orelse
        if isinstance(orelse, cst.If):  # elif: in the else of the test above
            self._in_block(kind, text, "else", orelse, lambda n: self._if(n, "elif"))
        elif orelse is not None:
            self._in_block(kind, text, "else", orelse)

    def _for(self, node: cst.For) -> None:
        self._compound(node)
        self.visit(node.target)
        self.visit(node.iter)
        text = f"{self._text(node.target, bare_tuple=True)} in {self._text(node.iter)}"
        self._in_block("for", text, "body", node.body)
        if node.orelse is not None:
            self._in_block("for", text, "else", node.orelse)

    def _with(self, node: cst.With) -> None:
        self._compound(node)
        self.visit_all(node.items)
        text = ", ".join(self._text(i.item) + ("" if i.asname is None else
                                               f" as {self._text(i.asname.name)}")
                         for i in node.items)
        self._in_block("with", text, "body", node.body)

    def _try(self, node: cst.Try | cst.TryStar) -> None:
        self._compound(node)
        self._in_block("try", "", "body", node.body)
        self.visit_all(node.handlers)
        if node.orelse is not None:
            self._in_block("try", "", "else", node.orelse)
        if node.finalbody is not None:
            self._in_block("finally", "", "body", node.finalbody)

    def _if_exp(self, node: cst.IfExp) -> None:
        self._add_condition(node.test)
        self.visit(node.body)  # ``body if test else orelse``: the body is written first
        self.visit(node.test)
        self.visit(node.orelse)

    def _except_handler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        self._compound(node)
        if node.type is not None:
            self.visit(node.type)
        caught = "" if node.type is None else self._text(node.type)
        self._in_block("except", caught, "body", node.body)

    def _match_case(self, node: cst.MatchCase) -> None:
        self._compound(node)
        self.visit(node.pattern)
        if node.guard is not None:
            self.visit(node.guard)
        self._in_block("case", "", "body", node.body)


def _note_compound(collector: _Collector) -> None:
    """Compound statements without a handler of their own note themselves, then walk on."""
    for kind in (cst.Match, cst.Else, cst.Finally):
        def walk(node: Any) -> None:
            collector._compound(node)
            collector.visit_children(node)
        collector._handlers[kind] = walk


def _guard(source: str, path: str) -> ast.Module:
    """CPython's parser first: its errors, and its limits on nesting, protect libcst's."""
    return ast.parse(source, filename=path)


def extract(source: str, path: str) -> FileFacts:
    """Facts of one file.

    Raises what ``ast.parse`` raises on input it rejects (``SyntaxError``, ``ValueError``,
    ``RecursionError``, ``MemoryError``), ``SyntaxError`` for what libcst cannot parse,
    and ``RecursionError`` on a tree nested too deeply to walk.
    """
    _guard(source, path)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise SyntaxError(exc.message, (path, exc.raw_line, exc.raw_column + 1, None)) from None
    positions = Positions(module, source)
    collector = _Collector(positions)
    _note_compound(collector)
    collector._place(module.header, None)
    collector.visit_all(module.body)
    collector._place(module.footer, None)
    top = collector.stack[0]
    return FileFacts(
        path=path,
        line_count=len(source.splitlines()),
        classes=tuple(sorted(collector.classes, key=lambda c: c.line)),
        functions=tuple(sorted(collector.functions, key=lambda f: f.line)),
        assigns=tuple(top.assigns),
        calls=tuple(sorted(top.calls, key=lambda c: (c.line, c.column))),
        conditions=tuple(top.conditions),
        imports=_imports(module),
        comments=_comments(collector),
        docstrings=tuple(sorted(collector.docstrings, key=lambda d: d.line)),
    )


def _comments(collector: _Collector) -> tuple[Comment, ...]:
    """Every comment, with the scope and statement it belongs to. Those the walk did not
    place (inside a statement's brackets) belong to the statement they stand in."""
    from bisect import bisect_right

    starts = sorted(collector.statements)
    lines = [s[0] for s in starts]
    out = []
    for node, offset in collector.pos.comments:
        line, column = collector.pos.line_of_offset(offset)
        text = node.value[1:].strip()
        placed = collector.placed.get(node)
        if placed is None:
            i = bisect_right(lines, line) - 1
            scope, statement = (starts[i][1], starts[i][0]) if i >= 0 else ("", None)
            own = not collector.pos.source.splitlines()[line - 1][:column].strip()
            placed = (scope, statement, own)
        scope, statement, own = placed
        out.append(Comment(text, line, own, scope, statement))
    return tuple(out)
