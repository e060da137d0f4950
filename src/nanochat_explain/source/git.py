"""Read-only git plumbing for walking a checkout's history: the commits that touched some
files, the blob each file had at each commit, and the blobs' text.

Everything goes through a handful of git processes (one ``log``, one ``cat-file
--batch-check``, one long-lived ``cat-file --batch``), never one process per commit: a
warm walk over hundreds of commits must cost what a single command costs.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from nanochat_explain.errors import SourceError, UsageError

_SEP = "\x1f"


@dataclass(frozen=True)
class Commit:
    """A git commit, as history shows it."""

    sha: str
    short: str
    date: str  # author date, YYYY-MM-DD
    subject: str
    parents: tuple[str, ...]

    def as_dict(self) -> dict[str, str]:
        return {"commit": self.short, "sha": self.sha, "date": self.date, "subject": self.subject}


def _run(root: Path, *args: str, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True,
                              text=True, encoding="utf-8", errors="surrogateescape",
                              timeout=300, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SourceError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise SourceError(f"git {args[0]}: {message}")
    return done.stdout


def resolve(root: Path, rev: str, flag: str) -> str:
    """The full commit id of ``rev``; :class:`UsageError` naming ``flag`` when there is none."""
    if rev.startswith("-"):
        raise UsageError(f"{flag} {rev}: not a revision")
    try:
        return _run(root, "rev-parse", "--verify", "--quiet", "--end-of-options",
                    f"{rev}^{{commit}}").strip()
    except SourceError:
        raise UsageError(f"{flag} {rev}: no such revision") from None


def commits_touching(root: Path, paths: Iterable[str], since: str | None = None,
                     until: str = "HEAD") -> list[Commit]:
    """Commits that changed any of ``paths``, oldest first, after ``since`` up to ``until``.

    git's default history simplification keeps merges only when they changed the files
    relative to every parent, which is what attributing a change needs.
    """
    span = f"{since}..{until}" if since else until
    out = _run(root, "log", "--topo-order", "--reverse", "--date=short",
               f"--format=%H{_SEP}%h{_SEP}%ad{_SEP}%P{_SEP}%s", span, "--", *paths)
    commits = []
    for line in out.splitlines():
        sha, short, date, parents, subject = line.split(_SEP, 4)
        commits.append(Commit(sha, short, date, subject, tuple(parents.split())))
    # in the order of the whole history's topological sort, not of the sort git makes of
    # the commits left after simplification: the same order the bundled upstream
    # commits have, whatever the paths
    every = {sha: n for n, sha in enumerate(_run(root, "rev-list", "--topo-order", "--reverse",
                                                 until).split())}
    return sorted(commits, key=lambda c: every.get(c.sha, -1))


def blob_ids(root: Path, commits: Iterable[str], paths: Iterable[str]
             ) -> dict[tuple[str, str], str | None]:
    """``(commit, path) -> blob id``, None where the path did not exist (or was not a file)."""
    wanted = [(c, p) for c in dict.fromkeys(commits) for p in dict.fromkeys(paths)]
    if not wanted:
        return {}
    out = _run(root, "cat-file", "--batch-check=%(objectname) %(objecttype)",
               stdin="".join(f"{c}:{p}\n" for c, p in wanted))
    lines = out.splitlines()
    if len(lines) != len(wanted):
        raise SourceError("git cat-file: unexpected output")
    found: dict[tuple[str, str], str | None] = {}
    for key, line in zip(wanted, lines, strict=True):
        name, _, kind = line.partition(" ")
        found[key] = name if kind == "blob" else None
    return found


@dataclass(frozen=True)
class GitRepo:
    """The commits of a git checkout, for :func:`nanochat_explain.queries.history.walk`."""

    root: Path

    def resolve(self, rev: str, flag: str) -> str:
        return resolve(self.root, rev, flag)

    def touching(self, paths: Iterable[str], since: str | None, until: str) -> list[Commit]:
        return commits_touching(self.root, paths, since, until)

    def blob_ids(self, commits: Iterable[str], paths: Iterable[str]
                 ) -> dict[tuple[str, str], str | None]:
        return blob_ids(self.root, commits, paths)


class BlobReader:
    """The text of blobs, through one ``git cat-file --batch`` process started on first use."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
            proc.kill()
            proc.wait()

    def read(self, blob: str, relpath: str) -> bytes:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(["git", "-C", str(self.root), "cat-file", "--batch"],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL)
            except OSError as exc:
                raise SourceError(f"cannot run git: {exc}", file=relpath) from None
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(f"{blob}\n".encode())
        proc.stdin.flush()
        header = proc.stdout.readline().decode("utf-8", "replace").split()
        if len(header) != 3 or header[1] != "blob":
            raise SourceError(f"cannot read blob {blob[:12]}", file=relpath)
        size = int(header[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after each object
        if size > self.max_bytes:
            raise SourceError(f"too large to parse ({size / 1e6:.1f} MB; the limit is "
                              f"{self.max_bytes / 1e6:.0f} MB)", file=relpath)
        return data
