"""What changed in a module's explanation between two revisions of nanochat."""

from __future__ import annotations

from dataclasses import dataclass

from nanochat_explain.core import Session
from nanochat_explain.errors import ExplainError
from nanochat_explain.explanation import Explanation
from nanochat_explain.model import Template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class ModuleDiff:
    module: str
    base: str  # "A (abc1234)"
    head: str
    claims: tuple[tuple[str, str, str, str], ...]  # (id, old status, new status, new detail)
    values: tuple[tuple[str, Any, Any], ...]  # (placeholder, old, new)
    symbols: tuple[tuple[str, str, str], ...]  # (change, name, where)

    @property
    def empty(self) -> bool:
        return not (self.claims or self.values or self.symbols)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "module": self.module,
            "from": self.base,
            "to": self.head,
            "claims": [{"id": i, "from": a, "to": b, "detail": d} for i, a, b, d in self.claims],
            "values": [{"name": n, "from": a, "to": b} for n, a, b in self.values],
            "symbols": [{"change": c, "name": n, "where": w} for c, n, w in self.symbols],
        }


def _symbols(session: Session, template: Template) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for path in template.sources:
        facts = session.facts(path)
        if isinstance(facts, ExplainError):
            continue
        for c in facts.classes:
            out[f"{path}::{c.qualname}"] = (path, c.line)
        for f in facts.functions:
            out[f"{path}::{f.qualname}"] = (path, f.line)
    return out


def diff(template: Template, old: Session, new: Session, base: str, head: str) -> ModuleDiff:
    a: Explanation = old.explain(template)
    b: Explanation = new.explain(template)
    # each side shows the claims of its own forms: compare every claim either side shows
    before = {r.id: r for r in old.check(template)}
    after = {r.id: r for r in new.check(template)}
    shown = dict.fromkeys([*(r.id for r in b.results), *(r.id for r in a.results)])
    claims = tuple((i, before[i].status.value, after[i].status.value, after[i].detail)
                   for i in shown if before[i].status is not after[i].status)
    names = sorted(set(a.values) | set(b.values))
    values = tuple((n, a.values.get(n), b.values.get(n)) for n in names
                   if a.values.get(n) != b.values.get(n))
    sa, sb = _symbols(old, template), _symbols(new, template)
    symbols: list[tuple[str, str, str]] = []
    for key in sorted(set(sa) | set(sb)):
        name = key.split("::", 1)[1]
        if key not in sa:
            symbols.append(("added", name, f"{sb[key][0]}:{sb[key][1]}"))
        elif key not in sb:
            symbols.append(("removed", name, f"{sa[key][0]}:{sa[key][1]}"))
        elif sa[key][1] != sb[key][1]:
            symbols.append(("moved", name, f"{sb[key][0]}:{sa[key][1]} -> {sb[key][1]}"))
    return ModuleDiff(template.module, base, head, claims, values, tuple(symbols))
