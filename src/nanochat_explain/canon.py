"""Canonical text of an expression: how facts and templates spell expressions alike.

The canonical text is what ``ast.unparse`` writes for the parsed expression, so that
``Linear(a,b , bias = False)`` and ``Linear(a, b, bias=False)`` compare equal, written
the same whatever Python runs: ``ast.unparse`` itself changed between versions (Python
3.10 puts every tuple in parentheses, ``for (i, x) in``; 3.12 and later reuse the outer
quotes inside f-strings, ``f'{d['k']}'``). :func:`unparse` is ``ast.unparse`` with those
parts written as Python 3.11 writes them, so facts, the shipped templates' canonical forms
and the explanations are the same text on every supported Python.

The f-string and tuple methods below are adapted from CPython 3.11's ``Lib/ast.py``
(Python Software Foundation License). They rest on the unparser class that ``ast.unparse``
uses, ``ast._Unparser``, whose helpers (``write``, ``delimit``, ``buffered``,
``set_precedence``; ``buffered`` is written here for 3.10) are the same from Python
3.10 to 3.13; tests/test_canon.py runs on
each Python CI offers and pins the text of every case that differed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SINGLE_QUOTES = ("'", '"')
_MULTI_QUOTES = ('"""', "'''")
_ALL_QUOTES = (*_SINGLE_QUOTES, *_MULTI_QUOTES)
_Precedence: Any = ast._Precedence  # type: ignore[attr-defined]


class _Printer(ast._Unparser):  # type: ignore[name-defined, misc]
    """``ast.unparse``'s unparser, writing tuples, subscripts, lambdas, ``:=`` and
    f-strings as Python 3.11 does."""

    def __init__(self, *, _avoid_backslashes: bool = False) -> None:
        super().__init__()
        self._avoid_backslashes = _avoid_backslashes

    @contextmanager
    def buffered(self) -> Iterator[list[str]]:
        """What is written inside the block goes to a list of its own (3.10 lacks it)."""
        buffer: list[str] = []
        original: list[str] = self._source  # type: ignore[has-type]
        self._source = buffer
        try:
            yield buffer
        finally:
            self._source = original

    def visit_Tuple(self, node: ast.Tuple) -> None:
        with self.delimit_if("(", ")", len(node.elts) == 0
                             or self.get_precedence(node) > _Precedence.TUPLE):
            self.items_view(self.traverse, node.elts)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        # parenthesised wherever a tuple would be (3.10 has no NAMED_EXPR precedence)
        with self.delimit_if("(", ")", self.get_precedence(node) >= _Precedence.TUPLE):
            self.set_precedence(_Precedence.ATOM, node.target, node.value)
            self.traverse(node.target)
            self.write(" := ")
            self.traverse(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.set_precedence(_Precedence.ATOM, node.value)
        self.traverse(node.value)
        with self.delimit("[", "]"):
            if isinstance(node.slice, ast.Tuple) and node.slice.elts:
                self.items_view(self.traverse, node.slice.elts)  # a[1, *b]: no parentheses
            else:
                self.traverse(node.slice)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        with self.require_parens(_Precedence.TEST, node):
            self.write("lambda")
            with self.buffered() as buffer:
                self.traverse(node.args)
            if buffer:
                self.write(" " + "".join(buffer))  # ``lambda: x``, not ``lambda : x``
            self.write(": ")
            self.set_precedence(_Precedence.TEST, node.body)
            self.traverse(node.body)

    def _write_constant(self, value: object) -> None:
        if self._avoid_backslashes and isinstance(value, str):
            self._write_str_avoiding_backslashes(value)
        else:
            super()._write_constant(value)

    @staticmethod
    def _literal(string: str, *, quote_types: tuple[str, ...] | list[str] = _ALL_QUOTES,
                 escape_special_whitespace: bool = False) -> tuple[str, list[str]]:
        """A string literal's body and the quotes it can take, with the fewest escapes."""
        def escape_char(c: str) -> str:
            if not escape_special_whitespace and c in "\n\t":
                return c
            if c == "\\" or not c.isprintable():
                return c.encode("unicode_escape").decode("ascii")
            return c

        escaped = "".join(map(escape_char, string))
        possible = list(quote_types)
        if "\n" in escaped:
            possible = [q for q in possible if q in _MULTI_QUOTES]
        possible = [q for q in possible if q not in escaped]
        if not possible:
            string = repr(string)
            quote = next((q for q in quote_types if string[0] in q), string[0])
            return string[1:-1], [quote]
        if escaped:
            possible.sort(key=lambda q: q[0] == escaped[-1])
            if possible[0][0] == escaped[-1]:
                escaped = escaped[:-1] + "\\" + escaped[-1]
        return escaped, possible

    def _write_str_avoiding_backslashes(self, string: str, *,
                                        quote_types: tuple[str, ...] = _ALL_QUOTES) -> None:
        body, quotes = self._literal(string, quote_types=quote_types)
        self.write(f"{quotes[0]}{body}{quotes[0]}")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.write("f")
        if self._avoid_backslashes:
            with self.buffered() as buffer:
                self._write_fstring_inner(node)
            self._write_str_avoiding_backslashes("".join(buffer))
            return
        parts: list[tuple[str, bool]] = []
        for value in node.values:
            with self.buffered() as buffer:
                self._write_fstring_inner(value)
            parts.append(("".join(buffer), isinstance(value, ast.Constant)))
        written: list[str] = []
        quote_types: list[str] = list(_ALL_QUOTES)
        fallback = False
        for text, is_constant in parts:
            body, new_quotes = self._literal(text, quote_types=quote_types,
                                             escape_special_whitespace=is_constant)
            written.append(body)
            if set(new_quotes).isdisjoint(quote_types):
                fallback = True
                break
            quote_types = new_quotes
        if fallback:
            quote_types = ["'''"]
            written = [repr('"' + text)[2:-1] for text, _ in parts]
        self.write(f"{quote_types[0]}{''.join(written)}{quote_types[0]}")

    def _write_fstring_inner(self, node: ast.AST, is_format_spec: bool = False) -> None:
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                self._write_fstring_inner(value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.write(node.value.replace("{", "{{").replace("}", "}}"))
        elif isinstance(node, ast.FormattedValue):
            self.visit_FormattedValue(node)
        else:
            raise ValueError(f"Unexpected node inside JoinedStr, {node!r}")

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        inner = type(self)(_avoid_backslashes=True)
        inner.set_precedence(_Precedence.TEST.next(), node.value)
        expr = inner.visit(node.value)
        with self.delimit("{", "}"):
            if "\\" in expr:
                raise ValueError("Unable to avoid backslash in f-string expression part")
            if expr.startswith("{"):
                self.write(" ")  # separate a pair of opening braces
            self.write(expr)
            if node.conversion != -1:
                self.write(f"!{chr(node.conversion)}")
            if node.format_spec:
                self.write(":")
                self._write_fstring_inner(node.format_spec)


def unparse(node: ast.AST) -> str:
    """``ast.unparse(node)``, the same text on every supported Python."""
    return _Printer().visit(node)  # type: ignore[no-any-return]


_PRINTED: dict[str, str] = {}  # source text -> canonical text, for this process


def unparse_source(text: str) -> str:
    """The canonical text of the expression ``text`` (as it stands in a file: it may run
    over lines, hold comments, or be a generator expression without its parentheses)."""
    printed = _PRINTED.get(text)
    if printed is None:
        if len(_PRINTED) > 50_000:
            _PRINTED.clear()
        printed = _PRINTED[text] = unparse(ast.parse(f"({text})", mode="eval").body)
    return printed
