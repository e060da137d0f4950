"""What the listing and coverage commands return.

Kept apart from :mod:`nanochat_explain.model` so that explaining or checking modules does
not pay for defining them (a check's report is in the model).
"""

from __future__ import annotations

from dataclasses import dataclass

from nanochat_explain.model import SourceInfo, Template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Listing:
    """The modules, and when a checkout was named, which of their files it lacks."""

    templates: tuple[Template, ...]
    source: SourceInfo | None = None
    missing: tuple[tuple[str, ...], ...] = ()  # per template, when ``source`` is set

    def rows(self) -> list[tuple[Template, tuple[str, ...] | None]]:
        if self.source is None:
            return [(t, None) for t in self.templates]
        return list(zip(self.templates, self.missing, strict=True))

    def as_dict(self) -> dict[str, Any]:
        modules = []
        for t, missing in self.rows():
            entry: dict[str, Any] = {"module": t.module, "title": t.title, "summary": t.summary,
                                     "sources": list(t.sources), "aliases": list(t.aliases)}
            if missing is not None:
                entry["missing"] = list(missing)
            modules.append(entry)
        data: dict[str, Any] = {"schema_version": 1, "modules": modules}
        if self.source is not None:
            data["source"] = self.source.as_dict()
        return data


@dataclass(frozen=True)
class Unmentioned:
    """A class or function no template mentions."""

    file: str
    name: str
    kind: str
    line: int


@dataclass(frozen=True)
class CoverageReport:
    """The classes and functions of the checkout that no template mentions."""

    source: SourceInfo
    files: tuple[str, ...]
    total: int
    unmentioned: tuple[Unmentioned, ...]

    @property
    def mentioned(self) -> int:
        return self.total - len(self.unmentioned)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "source": self.source.as_dict(),
            "files": list(self.files),
            "unmentioned": [
                {"file": u.file, "name": u.name, "kind": u.kind, "line": u.line}
                for u in self.unmentioned
            ],
            "summary": {"mentioned": self.mentioned, "total": self.total},
        }
