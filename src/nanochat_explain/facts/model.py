"""Facts read from nanochat's source: plain frozen values, each with its line.

Expressions are kept as canonical source text (``ast.unparse`` of the parsed expression,
as Python 3.11 writes it on every Python: :mod:`nanochat_explain.facts.canon`), so that
``Linear(a,b , bias = False)`` and ``Linear(a, b, bias=False)`` compare equal and so
that facts can be stored and compared without the parser.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from keyword import iskeyword
from typing import Any

from nanochat_explain.facts.canon import unparse

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


# source -> (canonical text, canonical text with a bare tuple); seeded from the templates,
# which carry the canonical form of every expression their claims compare
_KNOWN: dict[str, tuple[str, str]] = {}


def canonical(source: str, bare_tuple: bool = False) -> str:
    """The canonical text of an expression; whitespace-folded text when it is not one.

    With ``bare_tuple`` (the two sides of an assignment) a tuple of two or more
    items is written without parentheses, as ``q, k = a, b`` is written in source.
    """
    if _is_dotted(source):
        return source  # a name or attribute chain is its own canonical text; skip the parse
    pair = _KNOWN.get(source)
    if pair is None:
        pair = _KNOWN[source] = _canonical_pair(source)
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


@dataclass(frozen=True)
class Param:
    """A parameter of a function: name, default, line, and ``*``/``**``."""

    name: str
    default: str | None
    line: int
    star: str = ""  # "", "*" or "**"


@dataclass(frozen=True)
class Call:
    """A call, with its arguments as canonical text, where it is and its evaluation order."""

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
    """An assignment (or annotation) as canonical text, with its line."""

    target: str
    value: str
    line: int
    op: str = "="  # "=", "+=", ...; ":" for an annotation without value

    @property
    def text(self) -> str:
        return f"{self.target} {self.op} {self.value}"


@dataclass(frozen=True)
class Function:
    """A function or method: signature, decorators, and what its body does."""

    qualname: str
    line: int
    end_line: int
    params: tuple[Param, ...]
    decorators: tuple[str, ...]
    calls: tuple[Call, ...]
    assigns: tuple[Assign, ...]
    returns: tuple[tuple[str, int], ...] = ()  # (expression, line) of each return
    kind: str = "function"  # or "method"
    conditions: tuple[tuple[str, int], ...] = ()  # tests of if/elif/while/assert, and x if c


@dataclass(frozen=True)
class Class:
    """A class: bases, decorators, and its body's own assignments and calls."""

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
class Comment:
    """A ``#`` comment: its text without the ``#``, and where it stands."""

    text: str
    line: int
    own_line: bool  # alone on its line; False for a comment after code
    scope: str  # qualname of the enclosing class or function ("" for the module)
    statement: int | None  # first line of the statement it sits on or above, if any


@dataclass(frozen=True)
class Docstring:
    """A docstring, or any statement that is only a string (nanochat writes block
    comments so): owned by the class or function whose body holds it."""

    owner: str  # qualname of the class or function ("" for the module)
    text: str  # as ``inspect.cleandoc`` leaves it
    line: int


@dataclass(frozen=True)
class FileFacts:
    """Everything read from one file."""

    path: str  # relative to the repository root, with forward slashes
    line_count: int
    classes: tuple[Class, ...]
    functions: tuple[Function, ...]
    assigns: tuple[Assign, ...]  # module level
    calls: tuple[Call, ...]  # module level
    conditions: tuple[tuple[str, int], ...] = ()  # module level
    # (name bound, what it names) per top-level import: ("nn", "torch.nn"),
    # ("Linear", "torch.nn.Linear"); for comparing by meaning, not spelling
    imports: tuple[tuple[str, str], ...] = ()
    comments: tuple[Comment, ...] = ()
    docstrings: tuple[Docstring, ...] = ()

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


# -- plain data, for the bundled snapshot and the cache ------------------------------
# Compact lists rather than objects: a snapshot of nanochat stays small and diffable.


def _call_data(c: Call) -> list[Any]:
    return [c.callee, list(c.args), [list(kw) for kw in c.kwargs], c.line, c.column, c.order]


def _call(d: list[Any]) -> Call:
    return Call(d[0], tuple(d[1]), tuple((k, v) for k, v in d[2]), d[3], d[4], d[5])


def _assign_data(a: Assign) -> list[Any]:
    return [a.target, a.value, a.line, a.op]


def _assign(d: list[Any]) -> Assign:
    return Assign(d[0], d[1], d[2], d[3])


def to_data(facts: FileFacts) -> dict[str, Any]:
    """The facts as JSON-ready data: names, lines, signatures, calls and assignments."""
    data: dict[str, Any] = {
        "path": facts.path,
        "line_count": facts.line_count,
        "classes": [
            {"qualname": c.qualname, "line": c.line, "end_line": c.end_line,
             "bases": list(c.bases), "decorators": list(c.decorators),
             "assigns": [_assign_data(a) for a in c.assigns],
             "calls": [_call_data(x) for x in c.calls]}
            for c in facts.classes
        ],
        "functions": [
            {"qualname": f.qualname, "line": f.line, "end_line": f.end_line, "kind": f.kind,
             "params": [[p.name, p.default, p.line, p.star] for p in f.params],
             "decorators": list(f.decorators),
             "calls": [_call_data(x) for x in f.calls],
             "assigns": [_assign_data(a) for a in f.assigns],
             "returns": [list(r) for r in f.returns],
             "conditions": [list(c) for c in f.conditions]}
            for f in facts.functions
        ],
        "assigns": [_assign_data(a) for a in facts.assigns],
        "calls": [_call_data(x) for x in facts.calls],
        "conditions": [list(c) for c in facts.conditions],
        "imports": [list(i) for i in facts.imports],
    }
    # only when there are any: the bundled facts hold none but those the claims read
    if facts.comments:
        data["comments"] = [[c.text, c.line, c.own_line, c.scope, c.statement]
                            for c in facts.comments]
    if facts.docstrings:
        data["docstrings"] = [[d.owner, d.text, d.line] for d in facts.docstrings]
    return data


def from_data(d: dict[str, Any]) -> FileFacts:
    """The inverse of :func:`to_data`; raises KeyError, TypeError, ValueError or IndexError
    on data of another shape."""
    return FileFacts(
        path=d["path"],
        line_count=d["line_count"],
        classes=tuple(
            Class(c["qualname"], c["line"], c["end_line"], tuple(c["bases"]),
                  tuple(c["decorators"]), tuple(_assign(a) for a in c["assigns"]),
                  tuple(_call(x) for x in c["calls"]))
            for c in d["classes"]
        ),
        functions=tuple(
            Function(f["qualname"], f["line"], f["end_line"],
                     tuple(Param(p[0], p[1], p[2], p[3]) for p in f["params"]),
                     tuple(f["decorators"]), tuple(_call(x) for x in f["calls"]),
                     tuple(_assign(a) for a in f["assigns"]),
                     tuple((r[0], r[1]) for r in f["returns"]), f["kind"],
                     tuple((c[0], c[1]) for c in f["conditions"]))
            for f in d["functions"]
        ),
        assigns=tuple(_assign(a) for a in d["assigns"]),
        calls=tuple(_call(x) for x in d["calls"]),
        conditions=tuple((c[0], c[1]) for c in d["conditions"]),
        imports=tuple((i[0], i[1]) for i in d.get("imports", ())),
        comments=tuple(Comment(c[0], c[1], c[2], c[3], c[4]) for c in d.get("comments", ())),
        docstrings=tuple(Docstring(s[0], s[1], s[2]) for s in d.get("docstrings", ())),
    )


def outline(facts: FileFacts) -> FileFacts:
    """Only the symbols, their lines and signatures: no calls, assignments or returns."""
    return FileFacts(
        path=facts.path,
        line_count=facts.line_count,
        classes=tuple(Class(c.qualname, c.line, c.end_line, c.bases, c.decorators, ())
                      for c in facts.classes),
        functions=tuple(Function(f.qualname, f.line, f.end_line, f.params, f.decorators, (), (),
                                 (), f.kind) for f in facts.functions),
        assigns=(),
        calls=(),
    )
