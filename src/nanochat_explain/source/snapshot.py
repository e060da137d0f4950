"""A snapshot of facts read from a checkout, bundled so the tool works with none at hand.

It holds what the claims read (symbol names, kinds, lines, signatures, literal values,
the call and assignment structure) and never function bodies; of the comments and
docstrings, only those that the templates' ``comment`` claims read (they are quoted in the
templates already).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from nanochat_explain.errors import ExplainError, FileMissing, SourceError
from nanochat_explain.facts.model import FileFacts, from_data, outline, to_data
from nanochat_explain.model import ClaimSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
BUNDLED = "nanochat.facts.json"


@dataclass(frozen=True)
class Bundle:
    """The bundled facts of one nanochat commit."""

    commit: str
    files: dict[str, FileFacts]

    def facts(self, relpath: str) -> FileFacts:
        facts = self.files.get(relpath)
        if facts is None:
            raise FileMissing(f"not in the bundled facts of nanochat@{self.commit}", file=relpath)
        return facts


def shipped_data(facts: FileFacts, claims: Iterable[ClaimSpec] = ()) -> dict[str, Any]:
    """What a file's facts hold when they are shipped with the package, in this snapshot
    and in the bundled facts of every upstream blob (:mod:`nanochat_explain.source.upstream`):
    everything but the comments and docstrings no ``comment`` claim reads."""
    return to_data(quoted_only(facts, claims))


def quoting(claims: Iterable[ClaimSpec]) -> list[str]:
    """The ``comment`` claims whose texts shipped facts keep, as ``file:id``: a bundle
    built for other claims is stale."""
    return sorted({f"{c.file}:{c.id}" for c in claims if c.kind == "comment"})


def build(commit: str, full: Iterable[FileFacts], outlined: Iterable[FileFacts]) -> str:
    """The snapshot's text: deterministic for the same facts (sorted keys, no dates)."""
    files: dict[str, Any] = {f.path: to_data(f) for f in outlined}
    files.update({f.path: to_data(f) for f in full})  # already quoted_only
    head = {
        "schema_version": SCHEMA_VERSION,
        "nanochat_commit": commit,
        "outline_only": sorted(set(files) - {f.path for f in full}),
    }

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    # one line a file: compact, yet a change to one file is a one-line diff
    lines = [f" {dump(path)}:{dump(files[path])}" for path in sorted(files)]
    return dump(head)[:-1] + ',"files":{\n' + ",\n".join(lines) + "\n}}\n"


def quoted_only(facts: FileFacts, claims: Iterable[ClaimSpec]) -> FileFacts:
    """The facts with only the comments and docstrings that ``comment`` claims read."""
    from nanochat_explain.claims.base import _Unevaluable
    from nanochat_explain.claims.comment import matching

    kept: set[object] = set()
    for claim in claims:
        if claim.kind == "comment" and claim.file == facts.path:
            try:
                kept.update(matching(claim, facts))
            except _Unevaluable:  # a claim that cannot be evaluated keeps nothing
                continue
    return replace(facts,
                   comments=tuple(c for c in facts.comments if c in kept),
                   docstrings=tuple(d for d in facts.docstrings if d in kept))


def outlines(facts: Iterable[FileFacts]) -> list[FileFacts]:
    return [outline(f) for f in facts]


def parse(text: str, name: str) -> Bundle:
    try:
        data = json.loads(text)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise SourceError(f"snapshot schema {data.get('schema_version')!r} is not "
                              f"{SCHEMA_VERSION}", file=name)
        files = {path: from_data(d) for path, d in data["files"].items()}
        return Bundle(str(data["nanochat_commit"]), files)
    except ExplainError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise SourceError(f"not a facts snapshot ({type(exc).__name__})", file=name) from None


def load_bundled() -> Bundle:
    entry = Path(__file__).resolve().parent.parent / "data" / BUNDLED
    return parse(entry.read_text(encoding="utf-8"), BUNDLED)
