"""The code a module's explanation does not cover.

From the module's entry points (its template's ``entry``, else the symbols of the
components it shows) the walk follows what the code calls and builds within the module's
files: ``self.method()``, a submodule assigned in ``__init__`` and called later, a class
or function called by name. Every class, function and method reached that no template
mentions is reported with its location, signature and the calls it makes, so what a fork
adds (a router, a second attention map, a loop over extra blocks) is never silently left
out of the explanation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nanochat_explain.errors import ExplainError
from nanochat_explain.model import Template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.facts.model import Class, FileFacts, Function

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_CALLS = 6  # the calls shown per symbol: enough to see what it does


@dataclass(frozen=True)
class Uncovered:
    """A class, function or method reached from a module's entry points that no template
    mentions."""

    file: str
    qualname: str
    kind: str  # class, function or method
    line: int
    signature: str  # "(self, x)" for a function, "(nn.Module)" for a class
    calls: tuple[str, ...]  # the callees in evaluation order, each once, the first few

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.qualname, "kind": self.kind,
                "line": self.line, "signature": self.signature, "calls": list(self.calls)}


def mentioned_names(templates: Iterable[Template]) -> frozenset[str]:
    """Every symbol a template names, in any form: claim and component symbols, callees,
    entry points; a name implies its enclosing classes (GPT.forward mentions GPT)."""
    names: set[str] = set()
    for t in templates:
        names.update(t.entry)
        for claim in t.claims:
            if claim.symbol:
                names.add(claim.symbol)
            for key in ("callee", "first", "then"):
                value = claim.get(key)
                if isinstance(value, str):
                    names.add(value)
        for item in t.breakdown:
            names.add(item.symbol)
            names.update(str(dict(f.fields).get("symbol", "")) for f in item.forms)
    for name in list(names):
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts)))
    names.discard("")
    return frozenset(names)


def _signature(sym: Class | Function) -> str:
    from nanochat_explain.facts.model import Class

    if isinstance(sym, Class):
        return f"({', '.join(sym.bases)})" if sym.bases else ""
    params = [f"{p.star}{p.name}" + (f"={p.default}" if p.default is not None else "")
              for p in sym.params]
    return f"({', '.join(params)})"


def _callees(sym: Class | Function) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for call in sorted(sym.calls, key=lambda c: c.order):
        seen.setdefault(call.callee, None)
    return tuple(seen)


def uncovered(facts_of: Callable[[str], FileFacts | ExplainError], template: Template,
              shown: Template, mentioned: frozenset[str] | None = None) -> tuple[Uncovered, ...]:
    """The symbols reached from the module's entry points that no template mentions.

    ``mentioned`` is what every template names (all modules); without it, only this
    template's own mentions count as covered.
    """
    # here, not at the top: a run that unpickles kept results with uncovered code imports
    # this module, and needs no facts
    from nanochat_explain.facts.model import Class, Function

    table: dict[str, tuple[str, Class | Function]] = {}
    for path in template.sources:
        facts = facts_of(path)
        if isinstance(facts, ExplainError):
            continue
        syms: list[Class | Function] = [*facts.classes, *facts.functions]
        for sym in syms:
            table.setdefault(sym.qualname, (path, sym))
    if not table:
        return ()
    functions = {q for q, (_, s) in table.items() if isinstance(s, Function)}
    # each symbol's members, at any depth, in the table's order: found once, not per call
    members: dict[str, list[str]] = {}
    for q in table:
        parent = q.rpartition(".")[0]
        if parent in functions:  # nested in a function: its body
            continue
        while parent:
            members.setdefault(parent, []).append(q)
            parent = parent.rpartition(".")[0]

    entries = list(template.entry) or [item.symbol for item in shown.breakdown]
    reached: dict[str, None] = {}
    queue = [e for e in entries if e in table]
    looked: set[tuple[str, str]] = set()  # (class, attribute) whose assignments were read

    def reach(name: str) -> None:
        if name in table and name not in reached:
            queue.append(name)

    def names_in(text: str, owner: str) -> None:
        for word in _NAME.findall(text):
            if word in table and isinstance(table[word][1], Class):
                reach(word)

    while queue:
        name = queue.pop()
        if name in reached:
            continue
        reached[name] = None
        _, sym = table[name]
        if isinstance(sym, Class):
            for member in members.get(name, ()):
                reach(member)
            continue
        owner = name.rpartition(".")[0] if sym.kind == "method" else ""
        for call in sym.calls:
            callee = call.callee.split("(")[0]
            if callee.startswith("self.") and owner:
                attr = callee[5:].split(".")[0]
                if f"{owner}.{attr}" in table:
                    reach(f"{owner}.{attr}")
                    continue
                if (owner, attr) in looked:
                    continue
                looked.add((owner, attr))
                # a submodule built in __init__, called here
                for method in members.get(owner, ()):
                    _, msym = table[method]
                    if isinstance(msym, Function):
                        for a in msym.assigns:
                            if a.target == f"self.{attr}":
                                names_in(a.value, owner)
            elif callee in table:
                reach(callee)
        for a in sym.assigns:
            names_in(a.value, owner)

    covered = mentioned if mentioned is not None else mentioned_names([template])
    out = []
    for name in reached:
        if name in covered:
            continue
        path, sym = table[name]
        kind = sym.kind if isinstance(sym, Function) else "class"
        out.append(Uncovered(path, name, kind, sym.line, _signature(sym),
                             _callees(sym)[:MAX_CALLS]))
    return tuple(sorted(out, key=lambda u: (u.file, u.line, u.qualname)))
