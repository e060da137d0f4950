"""The values the core passes around: templates, claim results, check reports.

An explanation, which a check does not make, is in :mod:`nanochat_explain.explanation`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"

    @property
    def mark(self) -> str:
        return "✓" if self is Status.PASS else "✗"


def worst(statuses: list[Status]) -> Status:
    if Status.ERROR in statuses:
        return Status.ERROR
    if Status.FAIL in statuses:
        return Status.FAIL
    return Status.PASS


@dataclass(frozen=True)
class ClaimSpec:
    """One claim as written in a template."""

    id: str
    kind: str
    file: str
    symbol: str | None
    fields: tuple[tuple[str, Any], ...]  # kind-specific keys, in template order
    placeholder: str | None  # the ``as:`` name whose value this claim supplies
    line: int  # where the claim stands in its template

    def get(self, key: str, default: Any = None) -> Any:
        # read many times for every claim checked: the fields as a dict, made on first use
        # (not functools.cached_property, which takes a lock on every read before 3.12)
        try:
            keyed = self.__dict__["_keyed"]
        except KeyError:
            keyed = self.__dict__["_keyed"] = dict(self.fields)
        return keyed.get(key, default)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_keyed"}


@dataclass(frozen=True)
class Form:
    """Another form of an item: how the code looked in another nanochat version, or how a
    fork commonly does it. It replaces some of the item's fields and all of its claims."""

    label: str  # short name of this form, shown beside the item
    claims: tuple[str, ...]
    fields: tuple[tuple[str, Any], ...] = ()  # the item's fields this form replaces
    differs: str = ""  # a form beyond upstream nanochat: how the code differs from upstream


@dataclass(frozen=True)
class Box:
    """A box drawn in the diagram, named by a label that occurs in it."""

    label: str
    claims: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """Where nanochat's own comments or docstrings disagree with its code."""

    text: str
    claims: tuple[str, ...]
    form: str = ""
    forms: tuple[Form, ...] = ()


@dataclass(frozen=True)
class Component:
    """An item of the components breakdown."""

    name: str
    symbol: str
    what: str
    why: str
    claims: tuple[str, ...]
    form: str = ""  # the label of this (the newest upstream) form, when there are others
    forms: tuple[Form, ...] = ()  # the other forms, tried in order when this one fails


@dataclass(frozen=True)
class Comparison:
    """A row comparing nanochat with other implementations."""

    aspect: str
    nanochat: str
    claims: tuple[str, ...]
    others: tuple[tuple[str, str], ...]  # (column, text) in compare_with order
    form: str = ""
    forms: tuple[Form, ...] = ()


@dataclass(frozen=True)
class Paper:
    """A paper the explanation cites."""

    title: str
    first_author: str
    year: int
    arxiv: str
    backs: str
    claims: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """A module's validated template."""

    module: str
    path: str  # template file name, for messages
    title: str
    summary: str
    summary_claims: tuple[str, ...]
    sources: tuple[str, ...]
    diagram: str
    diagram_claims: tuple[str, ...]
    boxes: tuple[Box, ...]
    breakdown: tuple[Component, ...]
    compare_with: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    papers: tuple[Paper, ...]
    claims: tuple[ClaimSpec, ...]
    notes: tuple[Note, ...] = ()
    aliases: tuple[str, ...] = ()
    # other forms of the summary (field "summary") and of the diagram (fields "diagram",
    # "boxes"); the label of the template's own summary and diagram
    summary_form: str = ""
    summary_forms: tuple[Form, ...] = ()
    diagram_form: str = ""
    diagram_forms: tuple[Form, ...] = ()
    entry: tuple[str, ...] = ()  # the symbols whose code the module explains, for uncovered
    # the canonical form of each expression the claims compare, computed once at validation
    canon: tuple[tuple[str, str, str], ...] = field(default=(), repr=False, compare=False)
    # what the claims' own texts parse to (:func:`nanochat_explain.claims.texts.prepare`)
    prepared: tuple[tuple[str, str, Any], ...] = field(default=(), repr=False, compare=False)

    def backed_items(self) -> tuple[int, int]:
        """(backed, all) over the pieces that state something about nanochat."""
        groups = [[self.summary_claims, self.diagram_claims], [b.claims for b in self.boxes],
                  [c.claims for c in self.breakdown], [r.claims for r in self.comparisons],
                  [n.claims for n in self.notes]]
        items = [claims for group in groups for claims in group]
        return sum(1 for claims in items if claims), len(items)


@dataclass(frozen=True)
class Result:
    """The outcome of checking one claim against the code."""

    id: str
    kind: str
    status: Status
    file: str
    line: int | None
    detail: str
    value: Any = None  # the value found in the code, when the claim reads one
    unreadable: bool = False  # its file is there but does not read or parse: nothing known

    @property
    def location(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "file": self.file,
            "line": self.line,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SourceInfo:
    """Which nanochat an output was checked against."""

    repo: str
    commit: str | None
    bundled: bool = False
    dirty: bool | None = None
    label: str | None = None  # names the source instead of path and commit (docs)
    ref: str | None = None  # the revision asked for with --ref

    def as_dict(self) -> dict[str, Any]:
        return {"repo": self.repo, "commit": self.commit, "bundled": self.bundled,
                "dirty": self.dirty, "ref": self.ref}

    @property
    def text(self) -> str:
        """How the output names what it explained."""
        if self.label is not None:
            return self.label
        if self.bundled:
            return f"{self.repo} (bundled facts)"
        if self.commit is None:
            return f"{self.repo} (not a git checkout)"
        if self.ref is not None:
            return f"{self.repo} @ {self.commit} (--ref {self.ref})"
        changes = " with uncommitted changes" if self.dirty else ""
        return f"{self.repo} @ {self.commit}{changes}"


@dataclass(frozen=True)
class CheckReport:
    """The results of ``check`` over some modules."""

    source: SourceInfo
    modules: tuple[tuple[str, tuple[Result, ...]], ...]
    coverage: tuple[tuple[int, int], ...] = ()  # (backed, all) items, per module
    choices: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (module, forms.FormChoice...)
    uncovered: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (module, uncovered.Uncovered...)

    def count(self, status: Status) -> int:
        return sum(r.status is status for _, results in self.modules for r in results)

    @property
    def ok(self) -> bool:
        return self.count(Status.FAIL) == 0 and self.count(Status.ERROR) == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "source": self.source.as_dict(),
            "modules": [
                {"module": name, "claims": [r.as_dict() for r in results],
                 "coverage": {"backed": backed, "items": total},
                 "forms": [c.as_dict() for c in dict(self.choices).get(name, ())],
                 "uncovered": [u.as_dict() for u in dict(self.uncovered).get(name, ())]}
                for (name, results), (backed, total) in zip(self.modules, self.coverage,
                                                              strict=True)
            ],
            "summary": {s.value: self.count(s) for s in Status},
        }
