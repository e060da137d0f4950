"""Facts read from nanochat's source: plain frozen values, each with its line.

Expressions are kept as canonical source text (``ast.unparse`` of the parsed expression,
as Python 3.11 writes it on every Python: :mod:`nanochat_explain.facts.canon`), so that
``Linear(a,b , bias = False)`` and ``Linear(a, b, bias=False)`` compare equal and so
that facts can be stored and compared without the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Where a statement stands: the blocks around it within its class or function (or the
# module body), outermost first. A block is (kind, text, part): kind is "if", "elif",
# "while", "for", "with", "try", "except", "finally" or "case"; text the canonical test of
# an if, elif or while, a for's ``target in iterable``, a with's items, an except's type
# ("" when there is none); part is "body", or "else" for an if's, elif's, while's, for's
# or try's ``else``. An elif sits in the else of the if above it: in ``if a: ... elif b:
# x`` the statement x stands in (("if", "a", "else"), ("elif", "b", "body")).
Block = tuple[str, str, str]
Where = tuple[Block, ...]


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
    where: Where = ()  # the blocks around the statement it is made in

    def kwarg(self, name: str) -> str | None:
        return dict(self.kwargs).get(name)

    @property
    def text(self) -> str:
        parts = list(self.args) + [f"{k}={v}" for k, v in self.kwargs]
        return f"{self.callee}({', '.join(parts)})"

    def spelled(self, text: str) -> bool:
        """Whether :attr:`text` is ``text``: the callee is compared first, which is
        cheaper than making the text of every call in a scope."""
        return text.startswith(self.callee) and self.text == text


@dataclass(frozen=True)
class Assign:
    """An assignment (or annotation) as canonical text, with its line."""

    target: str
    value: str
    line: int
    op: str = "="  # "=", "+=", ...; ":" for an annotation without value
    where: Where = ()  # the blocks around it

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
    returns: tuple[tuple[str, int, Where], ...] = ()  # (expression, line, where) of each return
    kind: str = "function"  # or "method"
    # (test, line, where) of each if, elif, while, assert and ``x if c else y``
    conditions: tuple[tuple[str, int, Where], ...] = ()


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
    conditions: tuple[tuple[str, int, Where], ...] = ()  # module level
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


class _Blocks:
    """The blocks of one scope as a table, for :func:`to_data`: each block once, as
    ``[kind, text, part, parent]`` (the index of the block around it, -1 for none), and
    each statement's fact ends with the index of its innermost block (nothing when it
    stands in none)."""

    def __init__(self) -> None:
        self.ids: dict[Where, int] = {(): -1}
        self.table: list[list[Any]] = []

    def __call__(self, where: Where) -> int:
        found = self.ids.get(where)
        if found is None:
            parent = self(where[:-1])
            found = self.ids[where] = len(self.table)
            self.table.append([*where[-1], parent])
        return found

    def tail(self, where: Where) -> list[int]:
        return [self(where)] if where else []


class _Wheres:
    """The inverse of :class:`_Blocks`: a scope's table back into shared tuples. A fact
    may also carry its blocks inline, as a list of ``[kind, text, part]`` (the bundle of
    upstream facts stores module-level statements so)."""


    def __init__(self, table: list[list[Any]]) -> None:
        self.chains: list[Where] = []
        for kind, text, part, parent in table:
            outer = self.chains[parent] if parent >= 0 else ()
            self.chains.append((*outer, (kind, text, part)))

    def __call__(self, d: list[Any], at: int) -> Where:
        if len(d) <= at:
            return ()
        x = d[at]
        if isinstance(x, int):
            return self.chains[x]
        return _shared(tuple((b[0], b[1], b[2]) for b in x))


@cache
def _shared(where: Where) -> Where:
    """One tuple for equal blocks written inline: the many versions in the bundle of
    upstream facts repeat them."""
    return where


def chain_data(where: Where) -> list[list[str]]:
    """A statement's blocks written inline."""
    return [list(b) for b in where]


def block_chains(table: list[list[Any]]) -> list[Where]:
    """The blocks of each entry of a scope's table (``"blocks"`` in :func:`to_data`)."""
    return _Wheres(table).chains


def _call_data(c: Call, blocks: _Blocks) -> list[Any]:
    return [c.callee, list(c.args), [list(kw) for kw in c.kwargs], c.line, c.column, c.order,
            *blocks.tail(c.where)]


def _call(d: list[Any], where: _Wheres) -> Call:
    return Call(d[0], tuple(d[1]), tuple((k, v) for k, v in d[2]), d[3], d[4], d[5],
                where(d, 6))


def _assign_data(a: Assign, blocks: _Blocks) -> list[Any]:
    return [a.target, a.value, a.line, a.op, *blocks.tail(a.where)]


def _assign(d: list[Any], where: _Wheres) -> Assign:
    return Assign(d[0], d[1], d[2], d[3], where(d, 4))


def _placed_data(x: tuple[str, int, Where], blocks: _Blocks) -> list[Any]:
    return [x[0], x[1], *blocks.tail(x[2])]


def _placed(d: list[Any], where: _Wheres) -> tuple[str, int, Where]:
    return (d[0], d[1], where(d, 2))


def _with_blocks(data: dict[str, Any], blocks: _Blocks) -> dict[str, Any]:
    if blocks.table:
        data["blocks"] = blocks.table
    return data


def to_data(facts: FileFacts) -> dict[str, Any]:
    """The facts as JSON-ready data: names, lines, signatures, calls and assignments."""
    classes = []
    for c in facts.classes:
        b = _Blocks()
        classes.append(_with_blocks(
            {"qualname": c.qualname, "line": c.line, "end_line": c.end_line,
             "bases": list(c.bases), "decorators": list(c.decorators),
             "assigns": [_assign_data(a, b) for a in c.assigns],
             "calls": [_call_data(x, b) for x in c.calls]}, b))
    functions = []
    for f in facts.functions:
        b = _Blocks()
        functions.append(_with_blocks(
            {"qualname": f.qualname, "line": f.line, "end_line": f.end_line, "kind": f.kind,
             "params": [[p.name, p.default, p.line, p.star] for p in f.params],
             "decorators": list(f.decorators),
             "calls": [_call_data(x, b) for x in f.calls],
             "assigns": [_assign_data(a, b) for a in f.assigns],
             "returns": [_placed_data(r, b) for r in f.returns],
             "conditions": [_placed_data(c, b) for c in f.conditions]}, b))
    b = _Blocks()
    data: dict[str, Any] = _with_blocks({
        "path": facts.path,
        "line_count": facts.line_count,
        "classes": classes,
        "functions": functions,
        "assigns": [_assign_data(a, b) for a in facts.assigns],
        "calls": [_call_data(x, b) for x in facts.calls],
        "conditions": [_placed_data(c, b) for c in facts.conditions],
        "imports": [list(i) for i in facts.imports],
    }, b)
    # only when there are any: the bundled facts hold none but those the claims read
    if facts.comments:
        data["comments"] = [[c.text, c.line, c.own_line, c.scope, c.statement]
                            for c in facts.comments]
    if facts.docstrings:
        data["docstrings"] = [[d.owner, d.text, d.line] for d in facts.docstrings]
    return data


def _class(c: dict[str, Any]) -> Class:
    w = _Wheres(c.get("blocks", ()))
    return Class(c["qualname"], c["line"], c["end_line"], tuple(c["bases"]),
                 tuple(c["decorators"]), tuple(_assign(a, w) for a in c["assigns"]),
                 tuple(_call(x, w) for x in c["calls"]))


def _function(f: dict[str, Any]) -> Function:
    w = _Wheres(f.get("blocks", ()))
    return Function(f["qualname"], f["line"], f["end_line"],
                    tuple(Param(p[0], p[1], p[2], p[3]) for p in f["params"]),
                    tuple(f["decorators"]), tuple(_call(x, w) for x in f["calls"]),
                    tuple(_assign(a, w) for a in f["assigns"]),
                    tuple(_placed(r, w) for r in f["returns"]), f["kind"],
                    tuple(_placed(c, w) for c in f["conditions"]))


def from_data(d: dict[str, Any]) -> FileFacts:
    """The inverse of :func:`to_data`; raises KeyError, TypeError, ValueError or IndexError
    on data of another shape."""
    w = _Wheres(d.get("blocks", ()))
    return FileFacts(
        path=d["path"],
        line_count=d["line_count"],
        classes=tuple(_class(c) for c in d["classes"]),
        functions=tuple(_function(f) for f in d["functions"]),
        assigns=tuple(_assign(a, w) for a in d["assigns"]),
        calls=tuple(_call(x, w) for x in d["calls"]),
        conditions=tuple(_placed(c, w) for c in d["conditions"]),
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
