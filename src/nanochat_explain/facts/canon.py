"""Canonical text of an expression: how facts and templates spell expressions alike.

The canonical text is what ``ast.unparse`` writes for the parsed expression, so that
``Linear(a,b , bias = False)`` and ``Linear(a, b, bias=False)`` compare equal, written
the same whatever Python runs: ``ast.unparse`` itself changed between versions (Python
3.10 puts every tuple in parentheses, ``for (i, x) in``; 3.12 and later reuse the outer
quotes inside f-strings, ``f'{d['k']}'``). :func:`unparse` is ``ast.unparse`` with those
parts written as Python 3.11 writes them, so facts, the shipped templates' canonical forms
and the explanations are the same text on every supported Python.

The printer subclasses the unparser behind ``ast.unparse`` (``ast._Unparser``, whose
helpers ``write``, ``delimit``, ``set_precedence`` are the same from Python 3.10 to 3.13;
``buffered`` is written here for 3.10) and writes f-strings with a printer of its own;
tests/test_canon.py runs on each Python CI offers and pins the text of every case that
differed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from keyword import iskeyword

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_Precedence: Any = ast._Precedence  # type: ignore[attr-defined]


class _Printer(ast._Unparser):  # type: ignore[name-defined, misc]
    """``ast.unparse``'s unparser, writing tuples, subscripts, lambdas, ``:=`` and
    f-strings as Python 3.11 does."""

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

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.write(_fstring(node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.write(_field(node))  # a bare one, outside an f-string: only in tests


def _escaped(text: str) -> str:
    """A literal part of an f-string: backslashes and unprintable characters (newlines,
    tabs) as escapes, braces doubled."""
    out = "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode()
                  for c in text)
    return out.replace("{", "{{").replace("}", "}}")


def _field(node: ast.FormattedValue) -> str:
    """``{expr!c:spec}``; the expression in parentheses where a bare one would not parse
    inside braces (a conditional, a lambda), and a space after a brace that opens it."""
    printer = _Printer()
    printer.set_precedence(_Precedence.TEST.next(), node.value)
    expr = printer.visit(node.value)
    text = "{" + (" " if expr.startswith("{") else "") + expr
    if node.conversion != -1:
        text += "!" + chr(node.conversion)
    if isinstance(node.format_spec, ast.JoinedStr):
        text += ":" + "".join(_part(v) for v in node.format_spec.values)
    return text + "}"


def _part(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _escaped(node.value)
    if isinstance(node, ast.FormattedValue):
        return _field(node)
    raise ValueError(f"not a part of an f-string: {type(node).__name__}")


def _fstring(node: ast.JoinedStr) -> str:
    """An f-string in the first quotes its text does not hold: ' then " then the triple
    ones. The expressions inside write their strings as ``repr`` does, so the choice
    depends only on the text, never on the running Python."""
    body = "".join(_part(v) for v in node.values)
    for quote in ("'", '"', "'''", '"""'):
        if quote not in body and not body.endswith(quote[0]):
            return f"f{quote}{body}{quote}"
    return "f" + repr(body)  # both quotes in every form: repr escapes the one it uses


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


# -- canonical text of a fact's or a claim's expression ---------------------------------


_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


# source -> (canonical text, canonical text with a bare tuple); seeded from the templates,
# which carry the canonical form of every expression their claims compare
_KNOWN: dict[str, tuple[str, str]] = {}


def canonical(source: str, bare_tuple: bool = False) -> str:
    """The canonical text of an expression; whitespace-folded text when it is not one.

    With ``bare_tuple`` (the two sides of an assignment) a tuple of two or more
    items is written without parentheses, as ``q, k = a, b`` is written in source.
    """
    pair = _KNOWN.get(source)
    if pair is None:
        # a name or attribute chain is its own canonical text: no parse
        pair = (source, source) if _is_dotted(source) else _canonical_pair(source)
        _KNOWN[source] = pair
    return pair[bare_tuple]


def canonical_forms(sources: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    """(source, canonical, with a bare tuple) for each source that needs parsing."""
    return tuple((s, canonical(s), canonical(s, True))
                 for s in dict.fromkeys(sources) if not _is_dotted(s))


def remember(forms: Iterable[tuple[str, str, str]]) -> None:
    _KNOWN.update((s, (plain, bare)) for s, plain, bare in forms)


def _is_dotted(source: str) -> bool:
    return bool(_DOTTED.fullmatch(source)) and not any(iskeyword(p) for p in source.split("."))


def _canonical_pair(source: str) -> tuple[str, str]:
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        try:  # strings concatenated across lines parse only inside their parentheses
            tree = ast.parse(f"({source.strip()})", mode="eval").body
        except SyntaxError:
            folded = " ".join(source.split())
            return folded, folded
    plain = unparse(tree)
    if isinstance(tree, ast.Tuple) and len(tree.elts) > 1:
        return plain, ", ".join(unparse(e) for e in tree.elts)
    return plain, plain
