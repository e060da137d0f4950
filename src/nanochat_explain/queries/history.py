"""The history of a module's claims and values: ``git blame`` for architecture facts.

For every commit that touched the module's files, each claim is evaluated on the file
as it was at that commit, and a change is attributed to a commit only when the state
there differs from the state in every parent. A change that arrived through a merge
is thus credited to the commit on the branch that made it, not to the merge.

A claim depends on one file, so it is evaluated once per distinct blob of that file,
however many commits share the blob.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from nanochat_explain.claims.checks import BRIEF
from nanochat_explain.errors import ExplainError
from nanochat_explain.facts.model import FileFacts
from nanochat_explain.model import ClaimSpec, Template
from nanochat_explain.source.cache import FactsCache
from nanochat_explain.source.git import BlobReader, Commit

MISSING = "missing"  # the claim's file does not exist at that commit

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class State:
    """A claim at one commit: its status (pass, fail, error or missing) and value."""

    status: str
    value: Any = None
    detail: str = ""


@dataclass(frozen=True)
class Change:
    commit: Commit
    before: Any  # a status for claims, a value (None: not read) for values
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {**self.commit.as_dict(), "from": self.before, "to": self.after}


@dataclass(frozen=True)
class Track:
    """The changes of one claim (by status) or one value (by what the code says)."""

    name: str  # claim id, or placeholder name
    file: str
    now: Any  # status or value at the newest commit walked
    changes: tuple[Change, ...]
    statement: str = ""  # for a claim: what it checks, in words, as of the newest commit

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "now": self.now,
                "changes": [c.as_dict() for c in self.changes],
                **({"statement": self.statement} if self.statement else {})}


@dataclass(frozen=True)
class ModuleHistory:
    module: str
    source: str  # how the checkout is named
    files: tuple[str, ...]
    since: str | None  # the revision the walk started after, as given
    head: str  # short id of the checkout's HEAD, where ``now`` is read
    commits: tuple[Commit, ...]  # oldest first
    claims: tuple[Track, ...]
    values: tuple[Track, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "module": self.module,
            "source": self.source,
            "files": list(self.files),
            "since": self.since,
            "head": self.head,
            "commits": len(self.commits),
            "claims": [t.as_dict() for t in self.claims],
            "values": [t.as_dict() for t in self.values],
        }


FactsOf = Callable[[str, str], FileFacts | ExplainError]  # (path, blob) -> facts


class Repo(Protocol):
    """Where the commits come from: a git checkout (:class:`~nanochat_explain.source.git.GitRepo`)
    or the bundled upstream facts (:class:`~nanochat_explain.source.upstream.UpstreamRepo`)."""

    def resolve(self, rev: str, flag: str) -> str: ...

    def touching(self, paths: Iterable[str], since: str | None, until: str
                 ) -> list[Commit]: ...

    def blob_ids(self, commits: Iterable[str], paths: Iterable[str]
                 ) -> dict[tuple[str, str], str | None]: ...


def facts_reader(cache: FactsCache | None, reader: BlobReader, upstream: bool = True
                 ) -> FactsOf:
    """Facts of a blob: from the bundled upstream facts (with ``upstream``) or the cache by
    blob id, else read and parsed (and cached)."""
    from nanochat_explain.core import parse_blob
    from nanochat_explain.source.text import decode

    memo: dict[tuple[str, str], FileFacts | ExplainError] = {}

    def facts_of(path: str, blob: str) -> FileFacts | ExplainError:
        if (path, blob) in memo:
            return memo[(path, blob)]
        found: FileFacts | ExplainError
        try:
            found = parse_blob(path, blob, lambda: decode(reader.read(blob, path), path), cache,
                               upstream)
        except ExplainError as exc:
            found = exc
        memo[(path, blob)] = found
        return found

    return facts_of


def _state(claim: ClaimSpec, blob: str | None, facts_of: FactsOf) -> State:
    from nanochat_explain.claims.checks import evaluate

    if blob is None:
        return State(MISSING)
    facts = facts_of(claim.file, blob)
    if isinstance(facts, ExplainError):
        return State("error", None, f"cannot check: {facts.message}")
    outcome = evaluate(claim, facts)
    return State(outcome.status.value, outcome.value, outcome.detail)


def walk(template: Template, repo: Repo, source: str, since: str | None,
         facts_of: FactsOf, progress: Progress | None = None) -> ModuleHistory:
    """The history of ``template``'s claims over the commits that touched its files."""
    files = tuple(dict.fromkeys([*template.sources, *(c.file for c in template.claims)]))
    start = repo.resolve(since, "--since") if since else None
    end = repo.resolve("HEAD", "HEAD")
    commits = repo.touching(files, start, end)
    shas = [end, *(s for c in commits for s in (c.sha, *c.parents))]
    blobs = repo.blob_ids(shas, files)

    memo: dict[tuple[str, str | None], State] = {}

    def state(claim: ClaimSpec, sha: str | None) -> State:
        blob = blobs.get((sha, claim.file)) if sha else None
        k = (claim.id, blob)
        if k not in memo:
            token = BRIEF.set(True)  # status and value; the detail is read only at the end
            try:
                memo[k] = _state(claim, blob, facts_of)
            finally:
                BRIEF.reset(token)
        return memo[k]

    def final(claim: ClaimSpec) -> State:
        return _state(claim, blobs.get((end, claim.file)), facts_of)

    claims = template.claims
    status_changes: dict[str, list[Change]] = {c.id: [] for c in claims}
    value_changes: dict[str, list[Change]] = {c.placeholder: [] for c in claims if c.placeholder}
    # several claims may supply one placeholder (older forms read it elsewhere): its value is
    # tracked through the first of them, the newest form's
    supplier = {p: next(c for c in claims if c.placeholder == p) for p in value_changes}
    for done, commit in enumerate(commits, 1):
        parents = commit.parents or (None,)
        for claim in claims:
            now = state(claim, commit.sha)
            before = [state(claim, p) for p in parents]
            if all(b.status != now.status for b in before):
                status_changes[claim.id].append(Change(commit, before[0].status, now.status))
            if (claim.placeholder and supplier[claim.placeholder] is claim
                    and all(b.value != now.value for b in before)):
                value_changes[claim.placeholder].append(Change(commit, before[0].value,
                                                               now.value))
        if progress is not None:
            progress(done, len(commits))

    claim_tracks = tuple(Track(c.id, c.file, state(c, end).status, tuple(status_changes[c.id]),
                               final(c).detail)
                         for c in claims)
    value_tracks = tuple(Track(c.placeholder, c.file, state(c, end).value,
                               tuple(value_changes[c.placeholder]))
                         for c in supplier.values())
    return ModuleHistory(template.module, source, files, since, end[:7], tuple(commits),
                         claim_tracks, value_tracks)
