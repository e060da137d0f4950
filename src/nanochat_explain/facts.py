"""Facts read from nanochat's source: plain frozen values, each with its line.

Expressions are kept as canonical source text (``ast.unparse`` of the parsed
expression), so that ``Linear(a,b , bias = False)`` and ``Linear(a, b, bias=False)``
compare equal and so that facts can be stored and compared without the parser.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property


def canonical(source: str, bare_tuple: bool = False) -> str:
    """The canonical text of an expression; whitespace-folded text when it is not one.

    With ``bare_tuple`` (the two sides of an assignment) a tuple of two or more
    items is written without parentheses, as ``q, k = a, b`` is written in source.
    """
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return " ".join(source.split())
    if bare_tuple and isinstance(tree, ast.Tuple) and len(tree.elts) > 1:
        return ", ".join(ast.unparse(e) for e in tree.elts)
    return ast.unparse(tree)


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None
    line: int
    star: str = ""  # "", "*" or "**"


@dataclass(frozen=True)
class Call:
    callee: str
    args: tuple[str, ...]
    kwargs: tuple[tuple[str, str], ...]
    line: int
    column: int
    order: int  # evaluation order within its scope: inner calls come before outer ones

    def kwarg(self, name: str) -> str | None:
        return dict(self.kwargs).get(name)

    @property
    def text(self) -> str:
        parts = list(self.args) + [f"{k}={v}" for k, v in self.kwargs]
        return f"{self.callee}({', '.join(parts)})"


@dataclass(frozen=True)
class Assign:
    target: str
    value: str
    line: int
    op: str = "="  # "=", "+=", ...; ":" for an annotation without value

    @property
    def text(self) -> str:
        return f"{self.target} {self.op} {self.value}"


@dataclass(frozen=True)
class Function:
    qualname: str
    line: int
    end_line: int
    params: tuple[Param, ...]
    decorators: tuple[str, ...]
    calls: tuple[Call, ...]
    assigns: tuple[Assign, ...]
    returns: tuple[tuple[str, int], ...] = ()  # (expression, line) of each return
    kind: str = "function"  # or "method"


@dataclass(frozen=True)
class Class:
    qualname: str
    line: int
    end_line: int
    bases: tuple[str, ...]
    decorators: tuple[str, ...]
    assigns: tuple[Assign, ...]  # the class body's own: fields and class attributes
    calls: tuple[Call, ...] = ()
    kind: str = "class"


Symbol = Class | Function


@dataclass(frozen=True)
class FileFacts:
    path: str  # relative to the repository root, with forward slashes
    line_count: int
    classes: tuple[Class, ...]
    functions: tuple[Function, ...]
    assigns: tuple[Assign, ...]  # module level
    calls: tuple[Call, ...]  # module level

    @cached_property
    def _symbols(self) -> dict[str, Symbol]:
        table: dict[str, Symbol] = {}
        symbols: list[Symbol] = [*self.classes, *self.functions]
        for sym in symbols:
            table.setdefault(sym.qualname, sym)
        return table

    def symbol(self, qualname: str) -> Symbol | None:
        return self._symbols.get(qualname)

    def symbol_names(self) -> list[str]:
        return sorted(self._symbols)

    def members(self, qualname: str) -> list[Function]:
        """The functions defined inside a class or function, nested ones included."""
        prefix = qualname + "."
        return [f for f in self.functions if f.qualname.startswith(prefix)]
