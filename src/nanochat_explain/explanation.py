"""An explained module: the template filled and checked against one nanochat, each piece
with the claims that back it. Apart from :mod:`nanochat_explain.model` because a check
does not make one: a cold check does not pay for defining these."""

from __future__ import annotations

from dataclasses import dataclass, field

from nanochat_explain.model import (
    Box,
    Comparison,
    Component,
    Note,
    Result,
    SourceInfo,
    Status,
    Template,
    worst,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Checked:
    """A piece of the explanation with the claims that back it."""

    results: tuple[Result, ...]
    at: str = ""  # where the piece is, when not where its first claim was checked

    @property
    def status(self) -> Status:
        return worst([r.status for r in self.results])

    @property
    def location(self) -> str:
        if self.at:
            return self.at
        return self.results[0].location if self.results else ""

    @property
    def problems(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.status is not Status.PASS)


@dataclass(frozen=True)
class Explanation:
    """A template filled and checked against one nanochat."""

    template: Template
    source: SourceInfo
    summary: Checked
    diagram: str
    diagram_check: Checked
    boxes: tuple[tuple[Box, Checked], ...]
    breakdown: tuple[tuple[Component, str, str, Checked], ...]  # (item, what, why, check)
    comparisons: tuple[tuple[Comparison, str, Checked], ...]  # (row, nanochat text, check)
    results: tuple[Result, ...]
    notes: tuple[tuple[Note, str, Checked], ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    depth: dict[str, Any] | None = None  # the concrete model for --depth (DepthReport.as_dict)
    depth_note: str | None = None  # why --depth could not be evaluated
    choices: tuple[Any, ...] = ()  # forms.FormChoice: the form shown of each item with forms
    uncovered: tuple[Any, ...] = ()  # uncovered.Uncovered: code no statement covers
    original: Template | None = None  # the template with all its forms, before choosing
    fork: Any = None  # fork.ForkDrift: against the fork's base, when there is one

    def choice(self, section: str, index: int) -> Any:
        """The FormChoice of an item with several forms, else None."""
        for c in self.choices:
            if c.section == section and c.index == index:
                return c
        return None

    def _form(self, section: str, index: int) -> dict[str, Any]:
        c = self.choice(section, index)
        return {} if c is None else {"form": c.as_dict()}

    @property
    def status(self) -> Status:
        return worst([r.status for r in self.results])

    @property
    def files(self) -> tuple[str, ...]:
        """The template's sources that the claims shown read: what the explanation was
        checked against (an older form's files, which a newer nanochat lacks, are not)."""
        read = {r.file for r in self.results}
        return tuple(s for s in self.template.sources if s in read) or self.template.sources

    def as_dict(self) -> dict[str, Any]:
        t = self.template
        return {
            "schema_version": 1,
            "module": t.module,
            "title": t.title,
            "summary": self.template.summary,
            "summary_status": self.summary.status.value,
            "summary_claims": list(t.summary_claims),
            **({"summary_form": c.as_dict()} if (c := self.choice("summary", 0)) else {}),
            "source": self.source.as_dict(),
            "diagram": self.diagram,
            "diagram_claims": list(t.diagram_claims),
            "boxes": [
                {"label": box.label, "status": check.status.value, "location": check.location,
                 "claims": list(box.claims)}
                for box, check in self.boxes
            ],
            "notes": [
                {"text": text, "status": check.status.value, "location": check.location,
                 "claims": list(note.claims), **self._form("notes", i)}
                for i, (note, text, check) in enumerate(self.notes)
            ],
            "breakdown": [
                {
                    "name": item.name,
                    "symbol": item.symbol,
                    "what": what,
                    "why": why,
                    "status": check.status.value,
                    "location": check.location,
                    "claims": list(item.claims),
                    **self._form("breakdown", i),
                }
                for i, (item, what, why, check) in enumerate(self.breakdown)
            ],
            "comparisons": [
                {
                    "aspect": row.aspect,
                    "nanochat": text,
                    "status": check.status.value,
                    "location": check.location,
                    "claims": list(row.claims),
                    "others": dict(row.others),
                    **self._form("comparisons", i),
                }
                for i, (row, text, check) in enumerate(self.comparisons)
            ],
            "papers": [
                {
                    "title": p.title,
                    "first_author": p.first_author,
                    "year": p.year,
                    "arxiv": p.arxiv,
                    "backs": p.backs,
                }
                for p in t.papers
            ],
            "values": {k: self.values[k] for k in sorted(self.values)},
            **({"config": self.depth["config"], "params": self.depth["params"],
                "depth": self.depth} if self.depth is not None else {}),
            **({"depth_unavailable": self.depth_note} if self.depth_note else {}),
            "claims": [r.as_dict() for r in self.results],
            "forms": [c.as_dict() for c in self.choices],
            "uncovered": [u.as_dict() for u in self.uncovered],
            **({"fork": self.fork.as_dict()} if self.fork is not None else {}),
        }
