"""``docs --update FILE…``: explanations kept true inside the user's own markdown.

A region is the text between ``<!-- nanochat-explain: MODULE [--depth N] [--ref REV] -->``
and ``<!-- /nanochat-explain -->``, each marker on a line of its own; markers inside
fenced code blocks are examples, not regions. Only what lies between the markers is
rewritten; every other byte of the file stays as it was. ``file:line`` references in a
region link to the code at the commit that was read when the checkout's remote is on
GitHub (or under ``--link-base``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from nanochat_explain.commands.publish import Told
from nanochat_explain.errors import ExplainError, OutputError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.core import Session
    from nanochat_explain.model import Result
    from nanochat_explain.source.locate import Source

OPEN = re.compile(r"^\s*<!--\s*nanochat-explain:\s*(?P<args>.*?)\s*-->\s*$")
CLOSE = re.compile(r"^\s*<!--\s*/nanochat-explain\s*-->\s*$")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# a backticked file:line as the markdown renderer writes it
LOCATION = re.compile(r"`(?P<path>[A-Za-z0-9_][A-Za-z0-9_./-]*\.py):(?P<line>\d+)`")
GITHUB = re.compile(r"^(?:https?://|ssh://git@|git://|git@)(?:www\.)?github\.com[:/]"
                    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class Region:
    module: str
    depth: int | None
    ref: str | None
    start: int  # index of the opening marker's line
    end: int  # index of the closing marker's line

    @property
    def line(self) -> int:
        return self.start + 1


def parse(text: str, name: str) -> list[Region]:
    """The regions of ``text`` (file ``name``, for messages); a marker out of place is a
    usage error naming the file and line."""
    regions: list[Region] = []
    opened: tuple[int, str, int | None, str | None] | None = None
    fence: str | None = None
    for n, raw in enumerate(text.splitlines()):
        m = FENCE.match(raw)
        if m and opened is None:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
            continue
        if fence is not None:
            continue
        start = OPEN.match(raw)
        if start:
            if opened is not None:
                raise UsageError(f"a region opens inside the region of line {opened[0] + 1}",
                                 file=name, line=n + 1)
            opened = (n, *_options(start.group("args"), name, n + 1))
        elif CLOSE.match(raw):
            if opened is None:
                raise UsageError("<!-- /nanochat-explain --> closes no region", file=name,
                                 line=n + 1)
            regions.append(Region(opened[1], opened[2], opened[3], opened[0], n))
            opened = None
    if opened is not None:
        raise UsageError("region not closed: add <!-- /nanochat-explain -->", file=name,
                         line=opened[0] + 1)
    return regions


def _options(args: str, name: str, line: int) -> tuple[str, int | None, str | None]:
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise UsageError(f"region options: {exc}", file=name, line=line) from None
    if not words or words[0].startswith("-"):
        raise UsageError("a region names a module: <!-- nanochat-explain: MODULE -->",
                         file=name, line=line)
    module, rest = words[0], words[1:]
    depth: int | None = None
    ref: str | None = None
    while rest:
        word = rest.pop(0)
        key, eq, value = word.partition("=")
        if key not in ("--depth", "--ref"):
            raise UsageError(f"unknown region option {word!r} (allowed: --depth N, --ref REV)",
                             file=name, line=line)
        if not eq:
            if not rest:
                raise UsageError(f"{key} needs a value", file=name, line=line)
            value = rest.pop(0)
        if key == "--ref":
            ref = value
        elif not value.isdigit() or not 1 <= int(value) <= 1024:
            raise UsageError(f"--depth {value}: not a depth between 1 and 1024", file=name,
                             line=line)
        else:
            depth = int(value)
    return module, depth, ref


def fill(text: str, regions: list[Region], contents: list[str]) -> str:
    """``text`` with the lines between each region's markers replaced by its content."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    done = 0
    for region, content in zip(regions, contents, strict=True):
        marker = lines[region.start]
        newline = marker[len(marker.rstrip("\r\n")):] or "\n"
        body = ["\n", *content.splitlines(keepends=True), "\n"]
        out += lines[done:region.start + 1]
        out += [ln.replace("\n", newline) if newline != "\n" else ln for ln in body]
        done = region.end
    out += lines[done:]
    return "".join(out)


def link_locations(markdown: str, base: str | None) -> str:
    """Backticked ``file:line`` references outside code blocks become links under
    ``base`` (``{base}/{file}#L{line}``); without a base the text is left as it is."""
    if base is None:
        return markdown
    base = base.rstrip("/")
    out = []
    fence: str | None = None
    for line in markdown.split("\n"):
        m = FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
        elif fence is None:
            line = LOCATION.sub(
                lambda loc: f"[{loc.group(0)}]({base}/{loc.group('path')}#L{loc.group('line')})",
                line)
        out.append(line)
    return "\n".join(out)


def github_base(source: Source, rev: str) -> str | None:
    """``https://github.com/OWNER/REPO/blob/SHA`` for ``rev`` of the checkout when its
    remote (``origin``, else the first one) is on GitHub; None otherwise."""
    from nanochat_explain.source.locate import _git

    if source.bundle is not None:
        return None
    names = (_git(source.root, "remote") or b"").decode().split()
    if not names:
        return None
    remote = "origin" if "origin" in names else names[0]
    url = (_git(source.root, "remote", "get-url", "--", remote) or b"").decode().strip()
    m = GITHUB.match(url)
    sha = _git(source.root, "rev-parse", "--verify", "--quiet", "--end-of-options",
               f"{rev}^{{commit}}")
    if m is None or not sha:
        return None
    return f"https://github.com/{m.group('owner')}/{m.group('repo')}/blob/{sha.decode().strip()}"


@dataclass(frozen=True)
class UpdateRun:
    files: tuple[tuple[str, int], ...]  # (file, regions)
    changed: tuple[str, ...]  # files whose regions differ from what the code says now
    diff: str  # unified diff of every change (empty when all agree)
    unreadable: tuple[ExplainError, ...]

    def told(self, check: bool) -> Told:
        lines = [f"nanochat-explain: {e}" for e in self.unreadable]
        if check and self.diff:
            return Told(out=self.diff, stale=True, err=(
                *lines, f"nanochat-explain: regions in {', '.join(self.changed)} differ from "
                f"the code; update them with nanochat-explain docs --update "
                f"{' '.join(self.changed)}"))
        for name, count in self.files:
            noun = "region" if count == 1 else "regions"
            if check:
                state = "match the code:"
            else:
                state = "updated" if name in self.changed else "unchanged:"
            lines.append(f"{state} {name} ({count} {noun})")
        return Told(err=tuple(lines), unreadable=bool(self.unreadable))


def update(files: tuple[str, ...], repo: str | None, check: bool,
           templates_dir: str | None = None, cache: bool = True,
           link_base: str | None = None) -> UpdateRun:
    """Fill (or with ``check``, compare) the regions of ``files``. Every file is read and
    every region rendered before anything is written, so a bad region in the last file
    leaves the first untouched."""
    import difflib

    from nanochat_explain.commands.app import catalog, resolve, with_depth
    from nanochat_explain.core import Session
    from nanochat_explain.render import Options, markdown
    from nanochat_explain.source.cache import FactsCache
    from nanochat_explain.source.files import write_atomic
    from nanochat_explain.source.locate import at_ref, locate

    source = locate(repo)
    cat = catalog(templates_dir, cache)
    sessions: dict[str | None, Session] = {}
    bases: dict[str | None, str | None] = {}

    def session(ref: str | None) -> Session:
        if ref not in sessions:
            at = source if ref is None else at_ref(source, ref)
            label = (f"nanochat@{at.commit} (bundled facts)" if at.bundle is not None
                     else f"the nanochat checkout ({source.root.name})"
                     + (f" at {ref}" if ref is not None else ""))
            sessions[ref] = Session(at, label=label, cache=FactsCache() if cache else None)
            bases[ref] = (link_base if link_base is not None
                          else github_base(source, ref or "HEAD"))
        return sessions[ref]

    texts: dict[str, tuple[str, str]] = {}
    counts: list[tuple[str, int]] = []
    shown: list[Result] = []  # every claim the regions show, for which unreadable files matter
    for name in dict.fromkeys(files):
        path = Path(name)
        try:  # newline="": line endings stay as they are, CRLF included
            with path.open(encoding="utf-8", newline="") as f:
                old = f.read()
        except FileNotFoundError:
            raise UsageError("no such file", file=name) from None
        except OSError as exc:
            raise OutputError(f"cannot read: {exc.strerror}", file=name) from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"cannot read: {exc}", file=name) from None
        regions = parse(old, name)
        if not regions:
            raise UsageError("no <!-- nanochat-explain: MODULE --> regions", file=name)
        contents = []
        for region in regions:
            try:
                template = resolve(cat, region.module)
                s = session(region.ref)
            except ExplainError as exc:
                raise type(exc)(exc.message, file=name, line=region.line) from None
            exp = with_depth(s, s.explain(template), region.depth)
            shown.extend(exp.results)
            contents.append(link_locations(markdown.explanation(exp, Options()),
                                           bases[region.ref]))
        texts[name] = (old, fill(old, regions, contents))
        counts.append((name, len(regions)))
    changed = tuple(name for name, (old, new) in texts.items() if old != new)
    diff = "".join("".join(difflib.unified_diff(
        texts[n][0].splitlines(True), texts[n][1].splitlines(True), f"a/{n}", f"b/{n}"))
        for n in changed)
    if not check:
        for name in changed:
            write_atomic(Path(name), texts[name][1], force=True)
    unreadable = tuple(p for s in sessions.values() for p in s.problems(shown))
    return UpdateRun(tuple(counts), changed, diff, unreadable)
