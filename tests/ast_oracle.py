"""The extractor the product used before libcst, kept as the oracle the libcst extractor is
compared with (tests/test_extract_identity.py, bench/compare_extractors.py): read one Python
file into :class:`FileFacts` with CPython's own parser, :mod:`ast`.

Nothing here imports or runs the code it reads: ``ast.parse`` only builds a tree.

The facts follow the source as it is written. The walk visits children in the order
they are written (``ast`` keeps some apart: keyword and positional arguments, a
conditional expression's test and body, a dict's keys and values), so each call's
``order`` is its place in evaluation order. A symbol's line is the line of its name, a
starred parameter's that of its star, and columns count characters, where ``ast``
counts UTF-8 bytes. Expressions are kept as ``ast.unparse`` writes them, the canonical
text of :func:`nanochat_explain.facts.canon.canonical`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nanochat_explain.facts.canon import unparse
from nanochat_explain.facts.model import (
    Assign,
    Call,
    Class,
    FileFacts,
    Function,
    Param,
    Where,
)

if TYPE_CHECKING:
    from tokenize import TokenInfo

_AUG_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.MatMult: "@=", ast.Div: "/=",
    ast.Mod: "%=", ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=", ast.BitOr: "|=",
    ast.BitXor: "^=", ast.BitAnd: "&=", ast.FloorDiv: "//=",
}
_NEWLINE = re.compile(r"\r\n|\r|\n")  # the only line ends CPython's parser counts

_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# Nodes that ``ast.unparse`` never puts in parentheses, whatever surrounds them.
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)
# Constants that ``ast.unparse`` writes as their ``repr`` (floats may be infinite).
_PLAIN_CONSTANTS = (int, bool, str, type(None))

# Fields that hold no node worth a visit (names, operators, load/store contexts), and
# leaves: skipping them spares a call for every name and constant in the file.
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "name", "names",
                           "module", "kind", "conversion", "type_comment", "type_ignores"})
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Import, ast.ImportFrom, ast.Pass,
                     ast.Global, ast.Nonlocal, ast.Break, ast.Continue})
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = dict.fromkeys(_LEAVES, ())


def _child_fields(node: ast.AST) -> tuple[str, ...]:
    return tuple(f for f in node._fields if f not in _NOT_CHILDREN)


def _in_source_order(node: ast.Call) -> Sequence[ast.expr | ast.keyword]:
    """A call's arguments as written: ``ast`` lists positional and keyword ones apart."""
    if not node.keywords:
        return node.args
    if not any(isinstance(a, ast.Starred) for a in node.args):
        return [*node.args, *node.keywords]  # only a starred one may follow a keyword
    merged: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
    return sorted(merged, key=lambda a: (a.lineno, a.col_offset))


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
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = _NEWLINE.split(source)
        self.ascii = source.isascii()
        self.stack: list[_Scope] = [_Scope("", "module")]
        self.classes: list[Class] = []
        self.functions: list[Function] = []
        self.in_decorator = 0
        self.where: Where = ()  # the blocks around what is walked, within its scope
        self._tokens: list[TokenInfo] | None = None
        self._texts: dict[ast.expr, str] = {}
        # each handler takes the node of the type it is filed under
        self._handlers: dict[type[ast.AST], Callable[[Any], None]] = {
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class,
            ast.Call: self._call,
            ast.Assign: self._assign,
            ast.AnnAssign: self._ann_assign,
            ast.AugAssign: self._aug_assign,
            ast.Return: self._return,
            ast.If: self._if,
            ast.While: self._if,
            ast.For: self._for,
            ast.AsyncFor: self._for,
            ast.With: self._with,
            ast.AsyncWith: self._with,
            ast.Try: self._try,
            ast.ExceptHandler: self._except_handler,
            ast.match_case: self._match_case,
            ast.Assert: self._test_first,
            ast.IfExp: self._if_exp,
            ast.Dict: self._dict,
            ast.arguments: self._arguments,
        }
        if hasattr(ast, "TryStar"):  # ``except*`` is Python 3.11's
            self._handlers[ast.TryStar] = self._try

    # -- walking -----------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(node)
            return
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = _child_fields(node)
        for name in fields:
            value = getattr(node, name)
            if type(value) is list:
                self.visit_all(value)
            elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                self.visit(value)

    def visit_all(self, nodes: Iterable[object]) -> None:
        for node in nodes:
            if isinstance(node, ast.AST) and type(node) not in _LEAVES:
                self.visit(node)

    # -- positions ---------------------------------------------------------
    def _column(self, line: int, offset: int) -> int:
        """Characters before a UTF-8 byte offset on a line."""
        if self.ascii:
            return offset
        text = self.lines[line - 1]
        return offset if text.isascii() else len(text.encode()[:offset].decode())

    def _all_tokens(self) -> list[TokenInfo]:
        """The file's tokens: only the rare layouts below need them, so only they pay for
        tokenizing the file."""
        if self._tokens is None:
            import io
            import tokenize

            self._tokens = list(tokenize.generate_tokens(io.StringIO(self.source).readline))
        return self._tokens

    def _name_line(self, node: _FunctionNode | ast.ClassDef) -> int:
        """The line of a definition's name, which a backslash may put below its keyword."""
        if not self.lines[node.lineno - 1].endswith("\\"):
            return node.lineno
        # the keyword line is continued: the first token after it that spells the name
        start = (node.lineno, node.col_offset)  # only indentation before: bytes are characters
        return next(t.start[0] for t in self._all_tokens()
                    if t.start >= start and t.string == node.name)

    def _param_line(self, arg: ast.arg, star: str) -> int:
        """The line a parameter starts on: for ``*args`` and ``**kw``, that of the star."""
        if not star:
            return arg.lineno
        start = (arg.lineno, self._column(arg.lineno, arg.col_offset))
        if self.lines[arg.lineno - 1][:start[1]].rstrip().endswith(star):
            return arg.lineno
        # the star sits on an earlier line: the last star token before the name
        stars = [t for t in self._all_tokens() if t.string == star and t.start < start]
        return stars[-1].start[0]

    def _aug_op(self, node: ast.AugAssign) -> str:
        """The operator as written: a backslash continuation beside it stays in its text,
        as facts stored by earlier versions have it."""
        op = _AUG_OPS[type(node.op)]
        target, value = node.target, node.value
        assert target.end_lineno is not None
        if target.end_lineno == value.lineno:
            return op
        between = "\n".join(self.lines[target.end_lineno - 1:value.lineno])
        if "\\" not in between:
            return op
        start = (node.lineno, self._column(node.lineno, node.col_offset))
        tokens = [t for t in self._all_tokens() if t.start >= start]
        i = next(i for i, t in enumerate(tokens) if t.string == op)  # none in the target
        # the operator's text runs from the token before it to the token after it
        return self._between(tokens[i - 1].end, tokens[i + 1].start).strip()

    def _between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        (l0, c0), (l1, c1) = start, end
        if l0 == l1:
            return self.lines[l0 - 1][c0:c1]
        middle = self.lines[l0:l1 - 1]
        return "\n".join([self.lines[l0 - 1][c0:], *middle, self.lines[l1 - 1][:c1]])

    # -- text --------------------------------------------------------------
    def _text(self, node: ast.expr, bare_tuple: bool = False) -> str:
        """Canonical text: what :func:`nanochat_explain.facts.canon.canonical` gives for the source.

        With ``bare_tuple`` (the two sides of an assignment) a tuple of two or more items
        is written without parentheses. Texts are kept per node: the text of a call is
        asked for again as an argument of each call around it and as an assigned value.
        """
        if bare_tuple and type(node) is ast.Tuple and len(node.elts) > 1:
            return ", ".join(self._text(e) for e in node.elts)
        text = self._texts.get(node)
        if text is None:
            text = self._texts[node] = self._unparse(node)
        return text

    def _unparse(self, node: ast.expr) -> str:
        """``unparse(node)``; names, plain constants, attributes and calls are put
        together from their parts' kept texts, as ``ast.unparse`` writes them (the same
        from Python 3.10 to 3.13), instead of writing every inner call again.
        """
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Constant) and type(node.value) in _PLAIN_CONSTANTS:
            return ("u" if node.kind == "u" else "") + repr(node.value)
        if isinstance(node, ast.Attribute) and isinstance(node.value, _ATOMS):
            return f"{self._text(node.value)}.{node.attr}"
        if isinstance(node, ast.Call) and isinstance(node.func, _ATOMS):
            parts = [self._text(node.func), "("]
            # keywords after positional arguments, whatever the order they are written in
            arguments: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
            for arg in arguments:
                if len(parts) > 2:
                    parts.append(", ")
                if isinstance(arg, ast.keyword):
                    parts.append("**" if arg.arg is None else f"{arg.arg}=")
                    parts.append(self._text(arg.value))
                elif isinstance(arg, ast.Starred):
                    if not isinstance(arg.value, _ATOMS):
                        return unparse(node)  # ``*(a or b)`` keeps its parentheses
                    parts += ("*", self._text(arg.value))
                else:
                    parts.append(self._text(arg))
            parts.append(")")
            return "".join(parts)
        return unparse(node)

    def _callee(self, node: ast.expr) -> str:
        """Dotted name of what is called; inner calls keep their name with ``(...)``."""
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return f"{self._callee(node.value)}.{node.attr}"
        if isinstance(node, ast.Call):
            return f"{self._callee(node.func)}(...)"
        if isinstance(node, ast.Subscript):
            return f"{self._callee(node.value)}[...]"
        return self._text(node)

    # -- scopes ------------------------------------------------------------
    def _qualname(self, name: str) -> str:
        outer = self.stack[-1].qualname
        return f"{outer}.{name}" if outer else name

    def _decorators(self, decorators: list[ast.expr]) -> None:
        # a decorator runs in the enclosing scope, not in the body it decorates
        self.in_decorator += 1
        self.visit_all(decorators)
        self.in_decorator -= 1

    def _class(self, node: ast.ClassDef) -> None:
        scope = _Scope(self._qualname(node.name), "class")
        self.stack.append(scope)
        self._decorators(node.decorator_list)
        outer, self.where = self.where, ()  # a class body starts in no block
        self.visit_all(node.bases)
        self.visit_all(node.keywords)
        self.visit_all(node.body)
        self.where = outer
        self.stack.pop()
        assert node.end_lineno is not None
        self.classes.append(
            Class(
                qualname=scope.qualname,
                line=self._name_line(node),
                end_line=node.end_lineno,
                bases=tuple(self._text(b.value if isinstance(b, ast.Starred) else b)
                            for b in node.bases),
                decorators=tuple(self._text(d) for d in node.decorator_list),
                assigns=tuple(scope.assigns),
                calls=tuple(scope.calls),
            )
        )

    def _function(self, node: _FunctionNode) -> None:
        kind = "method" if self.stack[-1].kind == "class" else "function"
        scope = _Scope(self._qualname(node.name), kind)
        self.stack.append(scope)
        self._decorators(node.decorator_list)
        outer, self.where = self.where, ()  # a function body starts in no block
        self._arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.visit_all(node.body)
        self.where = outer
        self.stack.pop()
        assert node.end_lineno is not None
        self.functions.append(
            Function(
                qualname=scope.qualname,
                line=self._name_line(node),
                end_line=node.end_lineno,
                params=self._params(node.args),
                decorators=tuple(self._text(d) for d in node.decorator_list),
                calls=tuple(sorted(scope.calls, key=lambda c: (c.line, c.column))),
                assigns=tuple(scope.assigns),
                returns=tuple(scope.returns),
                kind=scope.kind,
                conditions=tuple(scope.conditions),
            )
        )

    @staticmethod
    def _with_defaults(args: ast.arguments) -> list[tuple[ast.arg, ast.expr | None, str]]:
        """Each parameter in source order with its default and star."""
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        out = [(a, d, "") for a, d in zip(positional, [*defaults, *args.defaults], strict=True)]
        if args.vararg is not None:
            out.append((args.vararg, None, "*"))
        out += [(a, d, "") for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
        if args.kwarg is not None:
            out.append((args.kwarg, None, "**"))
        return out

    def _arguments(self, args: ast.arguments) -> None:
        for arg, default, _ in self._with_defaults(args):
            if arg.annotation is not None:
                self.visit(arg.annotation)
            if default is not None:
                self.visit(default)

    def _params(self, args: ast.arguments) -> tuple[Param, ...]:
        return tuple(Param(arg.arg, None if default is None else self._text(default),
                           self._param_line(arg, star), star)
                     for arg, default, star in self._with_defaults(args))

    # -- contents ----------------------------------------------------------
    def _call(self, node: ast.Call) -> None:
        self.visit(node.func)
        arguments = _in_source_order(node)
        self.visit_all(arguments)
        scope = self.stack[-2] if self.in_decorator else self.stack[-1]
        args: list[str] = []
        kwargs: list[tuple[str, str]] = []
        for arg in arguments:
            if isinstance(arg, ast.keyword):
                if arg.arg is None:
                    args.append(f"**{self._text(arg.value)}")
                else:
                    kwargs.append((arg.arg, self._text(arg.value)))
            elif isinstance(arg, ast.Starred):
                args.append(f"*{self._text(arg.value)}")
            else:
                args.append(self._text(arg))
        scope.calls.append(
            Call(
                callee=self._callee(node.func),
                args=tuple(args),
                kwargs=tuple(kwargs),
                line=node.lineno,
                column=self._column(node.lineno, node.col_offset),
                order=scope.order,
                where=self.where,
            )
        )
        scope.order += 1

    def _add_assign(self, target: str, value: str, node: ast.stmt, op: str) -> None:
        self.stack[-1].assigns.append(Assign(target, value, node.lineno, op, self.where))

    def _assign(self, node: ast.Assign) -> None:
        value = self._text(node.value, bare_tuple=True)
        for t in node.targets:
            self._add_assign(self._text(t, bare_tuple=True), value, node, "=")
        self.visit_all(node.targets)
        self.visit(node.value)

    def _ann_assign(self, node: ast.AnnAssign) -> None:
        if node.value is None:
            self._add_assign(self._text(node.target), self._text(node.annotation), node, ":")
        else:
            value = self._text(node.value, bare_tuple=True)
            self._add_assign(self._text(node.target), value, node, "=")
        self.visit_all(ast.iter_child_nodes(node))

    def _aug_assign(self, node: ast.AugAssign) -> None:
        op = self._aug_op(node)
        self._add_assign(self._text(node.target), self._text(node.value), node, op)
        self.visit(node.target)
        self.visit(node.value)

    def _return(self, node: ast.Return) -> None:
        value = "None" if node.value is None else self._text(node.value)
        self.stack[-1].returns.append((value, node.lineno, self.where))
        if node.value is not None:
            self.visit(node.value)

    def _add_condition(self, test: ast.expr) -> None:
        self.stack[-1].conditions.append((self._text(test), test.lineno, self.where))

    def _test_first(self, node: ast.Assert) -> None:
        self._add_condition(node.test)
        self.visit_all(ast.iter_child_nodes(node))

    def _in_block(self, kind: str, text: str, part: str, body: list[ast.stmt]) -> None:
        outer = self.where
        self.where = (*outer, (kind, text, part))
        self.visit_all(body)
        self.where = outer

    def _is_elif(self, node: ast.If) -> bool:
        """Whether the one If of an ``else`` is written ``elif`` (ast keeps both alike)."""
        if len(node.orelse) != 1 or not isinstance(node.orelse[0], ast.If):
            return False
        inner = node.orelse[0]
        return self.lines[inner.lineno - 1][inner.col_offset:].startswith("elif")

    def _if(self, node: ast.If | ast.While, kind: str | None = None) -> None:
        self._add_condition(node.test)
        self.visit(node.test)
        kind = kind or ("if" if isinstance(node, ast.If) else "while")
        text = self._text(node.test)
        self._in_block(kind, text, "body", node.body)
        if isinstance(node, ast.If) and self._is_elif(node):
            outer = self.where
            self.where = (*outer, (kind, text, "else"))
            self._if(node.orelse[0], "elif")  # type: ignore[arg-type]
            self.where = outer
        elif node.orelse:
            self._in_block(kind, text, "else", node.orelse)

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.target)
        self.visit(node.iter)
        text = f"{self._text(node.target, bare_tuple=True)} in {self._text(node.iter)}"
        self._in_block("for", text, "body", node.body)
        if node.orelse:
            self._in_block("for", text, "else", node.orelse)

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        self.visit_all(node.items)
        text = ", ".join(self._text(i.context_expr) + (
            "" if i.optional_vars is None else f" as {self._text(i.optional_vars)}")
            for i in node.items)
        self._in_block("with", text, "body", node.body)

    def _try(self, node: ast.Try | ast.TryStar) -> None:
        self._in_block("try", "", "body", node.body)
        self.visit_all(node.handlers)
        if node.orelse:
            self._in_block("try", "", "else", node.orelse)
        if node.finalbody:
            self._in_block("finally", "", "body", node.finalbody)

    def _except_handler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        caught = "" if node.type is None else self._text(node.type)
        self._in_block("except", caught, "body", node.body)

    def _match_case(self, node: ast.match_case) -> None:
        self.visit(node.pattern)
        if node.guard is not None:
            self.visit(node.guard)
        self._in_block("case", "", "body", node.body)

    def _if_exp(self, node: ast.IfExp) -> None:
        self._add_condition(node.test)
        self.visit(node.body)  # ``body if test else orelse``: the body is written first
        self.visit(node.test)
        self.visit(node.orelse)

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:  # None for ``**mapping``
                self.visit(key)
            self.visit(value)


def extract(source: str, path: str) -> FileFacts:
    """Facts of one file.

    Raises what ``ast.parse`` raises on input it rejects (``SyntaxError``, ``ValueError``,
    ``RecursionError``, ``MemoryError``), and ``RecursionError`` on a tree nested too
    deeply to walk.
    """
    collector = _Collector(source)
    tree = ast.parse(source, filename=path)
    collector.visit(tree)
    top = collector.stack[0]
    return FileFacts(
        path=path,
        line_count=len(source.splitlines()),
        classes=tuple(sorted(collector.classes, key=lambda c: c.line)),
        functions=tuple(sorted(collector.functions, key=lambda f: f.line)),
        assigns=tuple(top.assigns),
        calls=tuple(sorted(top.calls, key=lambda c: (c.line, c.column))),
        conditions=tuple(top.conditions),
        imports=_imports(tree),
    )


def _imports(tree: ast.Module) -> tuple[tuple[str, str], ...]:
    """(name bound, what it names) for each import at the top level of the module, and in
    its ``if``/``try`` blocks: ``import torch.nn as nn`` binds nn to torch.nn, ``from
    torch.nn import Linear`` binds Linear to torch.nn.Linear. Relative imports keep their
    dots."""
    out: list[tuple[str, str]] = []
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out.append((alias.asname, alias.name))
                else:
                    head = alias.name.split(".")[0]
                    out.append((head, head))
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    full = f"{base}.{alias.name}" if base and not base.endswith(".") \
                        else base + alias.name
                    out.append((alias.asname or alias.name, full))
        elif isinstance(node, ast.If | ast.Try):
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(h.body for h in node.handlers)]
            for block in reversed(blocks):
                stack.extend(reversed(block))
    return tuple(out)
