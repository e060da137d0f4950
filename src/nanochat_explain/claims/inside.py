"""``inside:``: a claim placed in a branch.

Facts record the blocks around each statement (:data:`nanochat_explain.facts.Where`). A
claim with ``inside`` is checked against the statements that stand, directly or deeper,
in the branch it names, so "in the branch where ``best_idx >= 0``, pop the best doc" is
one claim, which fails when the pop moves to the ``else`` or out of the ``if``::

    inside: {if: "best_idx >= 0"}        # the body of the if (or elif) testing this
    inside: {else: "best_idx >= 0"}      # its else (an elif below counts: it is in it)
    inside: {for: "step in range(n)"}    # a for loop's body: target in iterable
    inside: {while: "True"}              # a while loop's body
    inside: {with: "torch.no_grad()"}    # a with statement's body: its items
    inside: {except: "StopIteration"}    # an except clause ("" for a bare except)
    inside: {try: true}, {finally: true} # a try's body, its finally
    inside: [{for: ...}, {if: ...}]      # in each of these

Texts are compared as canonical Python, as expressions elsewhere are.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache

from nanochat_explain.facts.canon import canonical, unparse
from nanochat_explain.facts.model import Class, FileFacts, Function, Where

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# key -> (the kinds of block it names, the part of them)
_NAMES: dict[str, tuple[frozenset[str], str]] = {
    "if": (frozenset({"if", "elif"}), "body"),
    "else": (frozenset({"if", "elif", "while", "for"}), "else"),
    "while": (frozenset({"while"}), "body"),
    "for": (frozenset({"for"}), "body"),
    "with": (frozenset({"with"}), "body"),
    "try": (frozenset({"try"}), "body"),
    "except": (frozenset({"except"}), "body"),
    "finally": (frozenset({"finally"}), "body"),
}
KEYS = tuple(_NAMES)
_FLAGS = frozenset({"try", "finally"})  # blocks with no text: ``try: true``


class InsideError(ValueError):
    """A bad ``inside`` value: the message, and the path below ``inside`` it concerns."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class Place:
    """One branch a claim's statement must stand in."""

    key: str  # the template's key: if, else, while, ...
    texts: frozenset[str]  # the canonical texts the block may have ("" for try, finally)
    shown: str  # the text as the output writes it

    def holds(self, where: Where) -> bool:
        kinds, part = _NAMES[self.key]
        return any(k in kinds and p == part and (self.key in _FLAGS or t in self.texts)
                   for k, t, p in where)

    def describe(self) -> str:
        if self.key in _FLAGS:
            return f"in the body of `{self.key}`"
        if self.key == "else":
            return f"in the else branch of `{self.shown}`"
        if self.key == "except" and not self.shown:
            return "in a bare `except`"
        return f"in the body of `{self.key} {self.shown}`"


def _expression(text: str) -> str:
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise InsideError(f"{text!r} is not a Python expression") from None
    return canonical(text)


def _header(key: str, text: str) -> str:
    """The canonical text of a for's ``target in iterable`` or a with's items, as the
    extractor writes them."""
    try:
        node = ast.parse(f"{key} {text.strip()}:\n    pass\n").body[0]
    except SyntaxError:
        raise InsideError(f"{text!r} is not what follows {key} in Python") from None
    if isinstance(node, ast.For):
        target = node.target
        lead = (", ".join(unparse(e) for e in target.elts)
                if isinstance(target, ast.Tuple) and len(target.elts) > 1 else unparse(target))
        return f"{lead} in {unparse(node.iter)}"
    assert isinstance(node, ast.With)
    return ", ".join(unparse(i.context_expr) + (
        "" if i.optional_vars is None else f" as {unparse(i.optional_vars)}")
        for i in node.items)


def _place(key: Any, value: Any) -> Place:
    if key not in _NAMES:
        raise InsideError(f"unknown block {key!r} (known: {', '.join(KEYS)})", (str(key),))
    if key in _FLAGS:
        if value is not True:
            raise InsideError(f"expected true: a {key} block has no test", (key,))
        return Place(key, frozenset({""}), "")
    if isinstance(value, bool) and key in ("if", "else", "while"):
        value = str(value)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InsideError("expected a string", (key,))
    text = str(value)
    try:
        if key == "except" and not text.strip():
            return Place(key, frozenset({""}), "")
        if key in ("for", "with"):
            return Place(key, frozenset({_header(key, text)}), _header(key, text))
        texts = {_expression(text)}
        if key == "else":  # a for loop's else: its target in its iterable
            with suppress(InsideError):
                texts.add(_header("for", text))
        return Place(key, frozenset(texts), _expression(text))
    except InsideError as exc:
        raise InsideError(exc.message, (key,)) from None


def parse(value: Any) -> tuple[Place, ...]:
    """The places an ``inside`` value names: a mapping of one key, or a list of them.
    Raises :class:`InsideError` for anything else."""
    if isinstance(value, dict):
        if len(value) != 1:
            raise InsideError("expected one block per mapping; list several as "
                              "[{if: ...}, {for: ...}]")
        (key, item), = value.items()
        return (_place(key, item),)
    if isinstance(value, list) and value:
        out: list[Place] = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise InsideError("expected a mapping such as {if: TEST}", (i,))
            try:
                out += parse(entry)
            except InsideError as exc:
                raise InsideError(exc.message, (i, *exc.path)) from None
        return tuple(out)
    raise InsideError("expected a mapping such as {if: TEST}, or a list of them")


@cache
def _parsed(frozen: Any) -> tuple[Place, ...]:
    return parse(_thaw(frozen))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return ("d", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", tuple(_freeze(v) for v in value))
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and value[:1] == ("d",):
        return {k: _thaw(v) for k, v in value[1]}
    if isinstance(value, tuple) and value[:1] == ("l",):
        return [_thaw(v) for v in value[1]]
    return value


def places(value: Any) -> tuple[Place, ...]:
    """The places of a claim's ``inside`` (validated with the template); () for none."""
    if value is None:
        return ()
    return _parsed(_freeze(value))


def describe(found: Iterable[Place]) -> str:
    return " and ".join(p.describe() for p in found)


def _narrowed(sym: Any, keep: Any) -> Any:
    changes: dict[str, Any] = {
        "calls": tuple(c for c in sym.calls if keep(c.where)),
        "assigns": tuple(a for a in sym.assigns if keep(a.where)),
    }
    if isinstance(sym, Function | FileFacts):
        changes["conditions"] = tuple(c for c in sym.conditions if keep(c[2]))
    if isinstance(sym, Function):
        changes["returns"] = tuple(r for r in sym.returns if keep(r[2]))
    return dataclasses.replace(sym, **changes)


def within(facts: FileFacts, found: tuple[Place, ...], symbol: str | None) -> FileFacts:
    """The facts with only the statements that stand in every one of ``found``: those of
    ``symbol`` and what it holds (or, without one, of the whole file)."""

    def keep(where: Where) -> bool:
        return all(p.holds(where) for p in found)

    def mine(name: str) -> bool:
        return symbol is None or name == symbol or name.startswith(symbol + ".")

    narrowed = dataclasses.replace(
        facts,
        classes=tuple(_narrowed(c, keep) if mine(c.qualname) else c for c in facts.classes),
        functions=tuple(_narrowed(f, keep) if mine(f.qualname) else f
                        for f in facts.functions))
    return _narrowed(narrowed, keep) if symbol is None else narrowed


def where_at(facts: FileFacts, line: int | None, symbol: str | None) -> str:
    """Where the statement at ``line`` stands, in words: for a claim that holds only
    outside the branch it names."""
    scopes: list[Class | Function | FileFacts] = [facts, *facts.classes, *facts.functions]
    if symbol is not None:
        scopes = [s for s in scopes if not isinstance(s, FileFacts)
                  and (s.qualname == symbol or s.qualname.startswith(symbol + "."))]
    for scope in scopes:
        wheres = [c.where for c in scope.calls if c.line == line]
        wheres += [a.where for a in scope.assigns if a.line == line]
        if isinstance(scope, Function):
            wheres += [r[2] for r in scope.returns if r[1] == line]
        if not isinstance(scope, Class):
            wheres += [c[2] for c in scope.conditions if c[1] == line]
        if wheres:
            return _words(wheres[0])
    return "elsewhere"


def _words(where: Where) -> str:
    if not where:
        return "in no block"
    kind, text, part = where[-1]
    head = f"{kind} {text}".strip()
    return f"in the {'else of the' if part == 'else' else 'body of'} `{head}`"
