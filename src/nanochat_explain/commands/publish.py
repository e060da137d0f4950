"""The commands that write files: ``docs``, ``snapshot`` and ``install-skill``.

Every write goes through :func:`nanochat_explain.source.files.write_atomic`: a temporary file
and a rename, nothing replaced without ``force``, never through a symbolic link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nanochat_explain.commands.app import catalog, explain_all
from nanochat_explain.core import Session
from nanochat_explain.errors import FAILED, OK, SOURCE, ExplainError, OutputError, UsageError
from nanochat_explain.source.locate import locate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts


@dataclass(frozen=True)
class Told:
    """What a command that writes files has to say: ``out`` for standard output, ``err``
    lines for standard error, and whether a check found a file stale or a source could not
    be read (the CLI turns those into exit codes)."""

    out: str | bytes = ""
    err: tuple[str, ...] = ()
    stale: bool = False
    unreadable: bool = False

    @property
    def exit_code(self) -> int:
        return FAILED if self.stale else SOURCE if self.unreadable else OK


@dataclass(frozen=True)
class SnapshotRun:
    text: str
    files: int
    commit: str
    written: bool  # False when the file already held exactly this snapshot

    def told(self, out: str) -> Told:
        if out == "-":
            return Told(out=self.text)
        state = "wrote" if self.written else "unchanged:"
        return Told(err=(f"{state} {out} ({self.files} files, nanochat@{self.commit})",))


def snapshot(repo: str | None, out: str, force: bool,
             templates_dir: str | None = None, cache: bool = True) -> SnapshotRun:
    """Facts of the files the templates read (and the outline of the rest of the coverage
    scope), written to ``out`` ("-" for standard output)."""
    from nanochat_explain.core import COVERAGE_SCOPE
    from nanochat_explain.source import snapshot as snap
    from nanochat_explain.source.files import write_atomic

    source = locate(repo)
    if source.bundle is not None:
        raise UsageError("snapshot reads a nanochat checkout: pass --repo PATH or set "
                         "NANOCHAT_DIR")
    from nanochat_explain.source.cache import FactsCache

    session = Session(source, cache=FactsCache() if cache else None)
    templates = catalog(templates_dir).templates
    wanted = sorted({s for t in templates for s in t.sources})
    # sources only older forms read (muon.py before optim.py) are absent at newer commits
    full_paths = source.list_files(tuple(wanted))
    claims = [c for t in templates for c in t.claims]
    other = [p for p in source.list_files(COVERAGE_SCOPE) if p not in full_paths]

    def facts(path: str) -> FileFacts:
        found = session.facts(path)
        if isinstance(found, ExplainError):
            raise found
        return found

    commit = source.commit or "unknown"
    text = snap.build(commit, [snap.quoted_only(facts(p), claims) for p in full_paths],
                      snap.outlines(facts(p) for p in other))
    written = True if out == "-" else write_atomic(Path(out), text, force=force)
    return SnapshotRun(text, len(full_paths) + len(other), commit, written)


@dataclass(frozen=True)
class UpstreamRun:
    data: bytes
    commits: int
    blobs: int
    paths: int
    written: bool

    def told(self, out: str) -> Told:
        if out == "-":
            return Told(out=self.data)
        state = "wrote" if self.written else "unchanged:"
        return Told(err=(f"{state} {out} ({self.blobs} blobs of {self.paths} files at "
                         f"{self.commits} commits, {len(self.data):,} bytes)",))


def snapshot_upstream(repo: str | None, out: str, force: bool,
                      templates_dir: str | None = None, until: str = "HEAD") -> UpstreamRun:
    """The bundle of facts of every blob of every file the templates read, at every commit
    up to ``until`` of a clone of upstream nanochat
    (see :mod:`nanochat_explain.source.upstream`)."""
    from nanochat_explain.source import upstream
    from nanochat_explain.source.files import write_atomic
    from nanochat_explain.source.locate import head_commit

    source = locate(repo)
    if source.bundled or head_commit(source.root) is None:
        raise UsageError("snapshot --upstream reads a git clone of nanochat: pass --repo PATH "
                         "or set NANOCHAT_DIR")
    templates = catalog(templates_dir, cache=False).templates
    paths = {s for t in templates for s in t.sources}
    built = upstream.build(source.root, paths, until, [c for t in templates for c in t.claims])
    written = True if out == "-" else write_atomic(Path(out), built.data, force=force)
    return UpstreamRun(built.data, built.commits, built.blobs, len(built.paths), written)


# Where each kind of agent reads skills, under a project or the home folder: Claude Code
# reads .claude/skills; Codex, Gemini CLI, OpenCode and Cursor read the cross-agent
# Agent Skills folder .agents/skills.
AGENT_DIRS = {"claude": ".claude", "agents": ".agents"}
SKILL_PATH = ("skills", "explain", "SKILL.md")


def skill_text() -> str:
    return (Path(__file__).resolve().parent.parent / "data" / "skill" / "SKILL.md").read_text(
        encoding="utf-8")


@dataclass(frozen=True)
class InstallRun:
    path: Path
    written: bool  # False when an identical file was already there (or with check)
    diff: str = ""  # with check: how the installed file differs from this version's

    def told(self, check: bool) -> Told:
        if not check:
            return Told(out=f"{'wrote' if self.written else 'unchanged:'} {self.path}\n")
        if self.diff:
            return Told(out=self.diff, stale=True, err=(
                f"nanochat-explain: {self.path} differs from this version's skill; update it "
                "with nanochat-explain install-skill --force",))
        return Told(err=(f"{self.path} is this version's skill",))


def install_skill(dest: str | None, force: bool, agent: str = "claude", user: bool = False,
                  check: bool = False) -> InstallRun:
    """Write the agent skill to BASE/<agent folder>/skills/explain/SKILL.md.

    BASE is ``dest``, the home folder with ``user``, else the nanochat checkout when one
    is found, else the working directory. An identical file is left as it is; another
    file is replaced only with ``force``. With ``check`` nothing is written: the diff
    says how the installed copy differs from this version's (stale after an upgrade).
    No folder on the way may be a symbolic link, so the write cannot leave BASE.
    """
    import difflib

    from nanochat_explain.source.files import write_atomic

    if agent not in AGENT_DIRS:
        raise UsageError(f"--agent {agent}: not one of {', '.join(AGENT_DIRS)}")
    if user and dest is not None:
        raise UsageError("--user and --dest name two places; give one")
    if user:
        base = Path.home()
    elif dest is None:
        source = locate(None)
        base = Path.cwd() if source.bundle is not None else source.root
    else:
        base = Path(dest).expanduser()
        if not base.is_dir():
            raise UsageError(f"--dest {dest}: no such directory")
    path = base
    for part in (AGENT_DIRS[agent], *SKILL_PATH):
        path = path / part
        if path.is_symlink():
            raise UsageError("is a symbolic link; refusing to write through it", file=str(path))
    text = skill_text()
    if not check:
        return InstallRun(path, write_atomic(path, text, force=force))
    try:
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read: {exc}", file=str(path)) from None
    name = "/".join((AGENT_DIRS[agent], *SKILL_PATH))
    diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                        f"a/{name}", f"b/{name}"))
    return InstallRun(path, False, diff)


DOCS_MARKER = "<!-- generated by nanochat-explain docs: edit the templates, not this file -->"


@dataclass(frozen=True)
class DocsRun:
    files: tuple[str, ...]  # every file the docs consist of, relative to the folder
    written: tuple[str, ...]
    diff: str  # with check: a unified diff of what differs on disk; empty when all agree
    unreadable: tuple[ExplainError, ...]

    def told(self, out: str, check: bool) -> Told:
        warnings = tuple(f"nanochat-explain: {e}" for e in self.unreadable)
        if check and self.diff:
            return Told(out=self.diff, stale=True, err=(
                *warnings, f"nanochat-explain: docs in {out} differ from the code; "
                f"regenerate with nanochat-explain docs --out {out}"))
        said = (f"docs in {out} match the code ({len(self.files)} files)" if check else
                f"wrote {len(self.written)} of {len(self.files)} files in {out}")
        return Told(err=(*warnings, said), unreadable=bool(self.unreadable))


def docs(repo: str | None, out: str, check: bool, force: bool,
         templates_dir: str | None = None, cache: bool = True) -> DocsRun:
    """One markdown file per module, plus index.md; with ``check``, only compare.

    The files name the source by its folder name, without commit or path, so that
    regenerating them on another machine or after a commit changes nothing unless
    what the code says changed.
    """
    import difflib

    from nanochat_explain.render import Options, markdown
    from nanochat_explain.source.files import write_atomic

    source = locate(repo)
    label = (f"nanochat@{source.commit} (bundled facts)" if source.bundle is not None
             else f"the nanochat checkout ({source.root.name})")
    run = explain_all(repo, templates_dir, label=label, cache=cache)
    pages = {f"{e.template.module}.md": markdown.explanation(e, Options())
             for e in run.explanations}
    pages["index.md"] = markdown.index(list(run.explanations))
    pages = {name: f"{DOCS_MARKER}\n{text}" for name, text in pages.items()}
    folder = Path(out)
    if check:
        chunks = []
        for name, text in sorted(pages.items()):
            path = folder / name
            try:
                old = path.read_text(encoding="utf-8") if path.is_file() else ""
            except (OSError, UnicodeDecodeError) as exc:
                raise OutputError(f"cannot read: {exc}", file=str(path)) from None
            if old != text:
                chunks.append("".join(difflib.unified_diff(
                    old.splitlines(True), text.splitlines(True),
                    f"a/{name}", f"b/{name}")))
        return DocsRun(tuple(sorted(pages)), (), "".join(chunks), run.unreadable)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UsageError("--out must be a directory, not a link or a file", file=out)
    from nanochat_explain.source.files import needs_write

    # every file is checked before any is written: a conflict leaves the folder as it was
    # (an index.md linking to pages that were never written would be worse than nothing)
    allowed: dict[str, bool] = {}
    conflicts: list[ExplainError] = []
    for name, text in sorted(pages.items()):
        path = folder / name
        allowed[name] = force or (path.is_file() and not path.is_symlink()
                                  and _starts_with_marker(path))
        try:
            needs_write(path, text.encode("utf-8"), force=allowed[name])
        except UsageError as exc:
            conflicts.append(exc)
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        first = conflicts[0]
        raise UsageError(f"{first.message}{more}; wrote nothing", file=first.file)
    written = [name for name, text in sorted(pages.items())
               if write_atomic(folder / name, text, force=allowed[name])]
    return DocsRun(tuple(sorted(pages)), tuple(written), "", run.unreadable)


def _starts_with_marker(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().rstrip("\n") == DOCS_MARKER
    except (OSError, UnicodeDecodeError):
        return False
