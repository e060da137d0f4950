"""The facts of every upstream nanochat blob the templates read, and which blob each of
those files had at each upstream commit: shipped in ``data/upstream.facts.zlib``.

With it, a file whose content equals an upstream blob is never parsed (its git blob id,
``sha1("blob <size>\\0" + content)``, is computed without git and looked up), and
``--ref REV``, ``diff`` and ``history`` work for any upstream commit with no checkout.

Rebuilt from a clone of upstream nanochat, after a template gains a source or the
extractor changes (:data:`~nanochat_explain.source.cache.FACTS_VERSION`)::

    nanochat-explain snapshot --upstream --repo CLONE --force \
        -o src/nanochat_explain/data/upstream.facts.zlib

The paths come from the templates' ``sources``. The bundle records the facts version it
was built with; a bundle of another version is never used (files are parsed instead, and
a ``--ref`` that needs it says how to rebuild it).

Layout (zlib-compressed UTF-8, one JSON value a line, so a run decodes only what it reads;
zlib rather than xz: 261 kB instead of 159 kB, but 3 ms to decompress instead of 10):
line 0 is the head (paths, blob ids, commits with their parents and the blob of each
path); then one line per blob, its facts as a record of items; then the items. Facts
share most of their classes, functions and statements across versions, so each distinct
item is stored once, with the lines inside a class or function relative to its first
line (a function moved down by an edit above it is still the same item), and a module-level
statement with the blocks around it written out rather than numbered in the module's table
(a block added above it leaves it the same item).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from nanochat_explain.errors import ExplainError, SourceError, UsageError
from nanochat_explain.facts.model import FileFacts, block_chains, chain_data, from_data

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import sha1
    from typing import Any

    from nanochat_explain.model import ClaimSpec
    from nanochat_explain.source.git import Commit as GitCommit
else:
    try:  # the built-in module: hashlib would first load OpenSSL, ms of start-up
        from _sha1 import sha1
    except ImportError:  # a build without it
        from hashlib import sha1

SCHEMA_VERSION = 1
FILE = "upstream.facts.zlib"
REBUILD = ("nanochat-explain snapshot --upstream --repo CLONE "
           f"-o src/nanochat_explain/data/{FILE} --force")

# where the line sits in each list item of to_data(): in a class or function, and at the
# top of the module
_IN_SYMBOL = {"params": 2, "calls": 3, "assigns": 2, "returns": 1, "conditions": 1}
_TOP = {"assigns": 2, "calls": 3, "conditions": 1}
# how many items a module-level statement's fact has before the index of its block
_TOP_LEN = {"assigns": 4, "calls": 6, "conditions": 2}
_SYMBOLS = ("classes", "functions")


def blob_id(data: bytes) -> str:
    """The git blob id of a file's bytes, as ``git hash-object`` computes it."""
    return sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# -- the codec: facts as records of shared items -----------------------------------------


def _relative(symbol: dict[str, Any]) -> tuple[dict[str, Any], int]:
    first = symbol["line"]
    out = dict(symbol, line=0, end_line=symbol["end_line"] - first)
    for key, at in _IN_SYMBOL.items():
        if key in out:
            out[key] = [[*x[:at], x[at] - first, *x[at + 1 :]] for x in out[key]]
    return out, first


def _absolute(item: dict[str, Any], first: int) -> dict[str, Any]:
    out = dict(item, line=first, end_line=item["end_line"] + first)
    for key, at in _IN_SYMBOL.items():
        if key in out:
            out[key] = [[*x[:at], x[at] + first, *x[at + 1 :]] for x in out[key]]
    return out


class _Items:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, value: Any) -> int:
        return self.ids.setdefault(_dump(value), len(self.ids))


def _encode(data: dict[str, Any], items: _Items) -> dict[str, Any]:
    record: dict[str, Any] = {}
    # a module-level statement carries its blocks inline, not as an index into the
    # module's table: an item then stays the same when a block is added above it
    chains = block_chains(data.get("blocks", []))
    for key, value in data.items():
        if key == "blocks":
            continue
        if key in _SYMBOLS:
            pairs = (_relative(s) for s in value)
            record[key] = [[items(s), first] for s, first in pairs]
        elif key in _TOP:
            at, n = _TOP[key], _TOP_LEN[key]
            record[key] = [[items([*x[:at], *x[at + 1 : n],
                                   *([chain_data(chains[x[n]])] if len(x) > n else [])]),
                            x[at]] for x in value]
        elif isinstance(value, list):  # a kind of fact the codec does not know: kept whole
            record[key] = {"items": [items(x) for x in value]}
        else:
            record[key] = value
    return record


def _decode(record: dict[str, Any], item: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key in _SYMBOLS:
            data[key] = [_absolute(item(i), first) for i, first in value]
        elif key in _TOP:
            at = _TOP[key]
            data[key] = [[*(x := item(i))[:at], line, *x[at:]] for i, line in value]
        elif isinstance(value, dict):
            data[key] = [item(i) for i in value["items"]]
        else:
            data[key] = value
    return data


def _items_of(record: dict[str, Any]) -> Iterator[int]:
    """The items a record refers to, as :func:`_decode` reads them."""
    for key, value in record.items():
        if key in _SYMBOLS or key in _TOP:
            yield from (i for i, _ in value)
        elif isinstance(value, dict):
            yield from value["items"]


def _moved(fact: Any, pos: int, line: int) -> Any:
    """A statement's fact at another line: a copy with its ``line`` replaced. Not through
    ``dataclasses.replace``, which validates every field again and costs ten times more
    (a history walk moves some 12,000 statements)."""
    if isinstance(fact, tuple):
        return (*fact[:pos], line, *fact[pos + 1 :])
    assert dataclasses.is_dataclass(fact) and not hasattr(fact, "__post_init__")
    moved: Any = object.__new__(type(fact))
    moved.__dict__.update(fact.__dict__, line=line)
    return moved


# -- building from a clone ---------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """A built bundle and what it holds."""

    data: bytes  # the compressed bundle
    commits: int
    blobs: int
    paths: tuple[str, ...]


def build(root: Path, paths: Iterable[str], until: str = "HEAD",
          claims: Iterable[ClaimSpec] = ()) -> Built:
    """The bundle of every commit reachable from ``until`` in the clone at ``root``."""
    import zlib

    from nanochat_explain.facts.parse import extract_text
    from nanochat_explain.source.cache import FACTS_VERSION
    from nanochat_explain.source.git import BlobReader, _run, blob_ids
    from nanochat_explain.source.snapshot import quoting, shipped_data
    from nanochat_explain.source.text import MAX_BYTES, decode

    claims = list(claims)

    wanted = sorted(set(paths))
    sep = "\x1f"
    log = _run(root, "log", "--topo-order", "--reverse", "--date=short",
               f"--format=%H{sep}%ad{sep}%P{sep}%s", until, "--")
    commits = [line.split(sep, 3) for line in log.splitlines() if line]
    index = {c[0]: n for n, c in enumerate(commits)}
    found = blob_ids(root, index, wanted)
    # blobs in the order they first appear, path by path: versions of a file lie together
    order: dict[str, str] = {}
    for path in wanted:
        for sha, *_ in commits:
            blob = found[(sha, path)]
            if blob is not None:
                order.setdefault(blob, path)
    items = _Items()
    records: list[str] = []
    kept: list[str] = []
    with BlobReader(root, MAX_BYTES) as reader:
        for blob, path in order.items():
            try:
                facts = extract_text(decode(reader.read(blob, path), path), path)
            except SourceError:
                continue  # a blob that does not parse is parsed, and reported, when read
            kept.append(blob)
            records.append(_dump(_encode(shipped_data(facts, claims), items)))
    number = {b: n for n, b in enumerate(kept)}
    head = {
        "schema_version": SCHEMA_VERSION,
        "facts_version": FACTS_VERSION,
        "paths": wanted,
        "quoted": quoting(claims),
        "blobs": kept,
        "commits": [[sha, date, subject, [index[p] for p in parents.split() if p in index],
                     [number.get(found[(sha, p)] or "", -1) for p in wanted]]
                    for sha, date, parents, subject in commits],
    }
    text = "\n".join([_dump(head), *records, *items.ids]) + "\n"
    data = zlib.compress(text.encode("utf-8"), 9)
    return Built(data, len(commits), len(kept), tuple(wanted))


# -- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    """A bundled upstream commit: its parents and the blob of each path, by number."""

    number: int
    sha: str
    date: str
    subject: str
    parents: tuple[int, ...]
    blobs: tuple[int, ...]  # per path, -1 where the file does not exist


class Upstream:
    """A loaded bundle: facts by blob id, commits by revision."""

    def __init__(self, text: bytes, name: str = FILE, rest: Callable[[], bytes] | None = None
                 ) -> None:
        """A bundle from its decompressed ``text``; or from its head line alone, with
        ``rest`` giving the lines after it when a blob's facts are first asked for."""
        self.name = name
        head_line, _, body = text.partition(b"\n")
        self._body: bytes | None = body
        self._rest = rest
        try:
            head = json.loads(head_line)
            self.schema: Any = head.get("schema_version")
            self.facts_version: str = str(head.get("facts_version"))
            self.paths: tuple[str, ...] = tuple(head["paths"])
            self.quoted: tuple[str, ...] = tuple(head.get("quoted", ()))  # see snapshot.quoting
            self.blob_ids: tuple[str, ...] = tuple(head["blobs"])
            self._raw_commits: list[list[Any]] = head["commits"]
            if not isinstance(self._raw_commits, list) or not all(
                    isinstance(c, list) and len(c) == 5 for c in self._raw_commits):
                raise TypeError("commits")
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise SourceError(f"not a bundle of upstream facts ({type(exc).__name__})",
                              file=name) from None
        self._number = {b: n for n, b in enumerate(self.blob_ids)}
        self._items: dict[int, Any] = {}
        self._facts: dict[tuple[int, str], FileFacts] = {}
        self._parts: dict[tuple[Any, ...], Any] = {}

    @cached_property
    def _lines(self) -> list[bytes]:
        """The bundle's lines, the head's included (line 0 is the head)."""
        body = self._rest() if self._rest is not None else self._body or b""
        self._body, self._rest = None, None
        return [b"", *body.split(b"\n")]

    # The commits are read when a revision or the history is asked for: a check of a work
    # tree only looks up blob ids.
    @cached_property
    def commits(self) -> tuple[Commit, ...]:
        return tuple(Commit(n, c[0], c[1], c[2], tuple(c[3]), tuple(c[4]))
                     for n, c in enumerate(self._raw_commits))

    @cached_property
    def _by_sha(self) -> dict[str, Commit]:
        return {c.sha: c for c in self.commits}

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def has(self, blob: str) -> bool:
        return blob in self._number

    def has_commit(self, rev: str) -> bool:
        """Whether ``rev`` is a full or abbreviated id of one bundled commit."""
        try:
            return self.resolve(rev).sha.startswith(rev.lower())
        except UsageError:
            return False

    def facts(self, blob: str, relpath: str, shared: bool = True) -> FileFacts | None:
        """Facts of ``relpath`` with content ``blob``; None when the bundle lacks it.

        With ``shared``, they are assembled from parts shared with the file's other
        versions, which a walk over many versions reads once; without, decoded whole,
        which is faster for the one version a work tree has.
        """
        n = self._number.get(blob)
        if n is None:
            return None
        found = self._facts.get((n, relpath))
        if found is None:
            try:
                found = self._decoded(n, relpath, shared)
            except (IndexError, ValueError):  # the rest of the bundle did not decompress
                return None  # whole: the file is parsed instead
            self._facts[(n, relpath)] = found
        return found

    def _decoded(self, n: int, relpath: str, shared: bool) -> FileFacts:
        record = json.loads(self._lines[1 + n])
        if shared:
            # TypeError: facts of a shape the parts cannot be assembled into
            with contextlib.suppress(TypeError):
                return self._assemble(record, relpath)
        first = 1 + len(self.blob_ids)
        self._read_items(first + i for i in _items_of(record))
        return from_data(dict(_decode(record, lambda i: self._item(first + i)), path=relpath))

    def _read_items(self, lines: Iterable[int]) -> None:
        """Decode the items on ``lines`` not decoded yet, as one JSON array: a file's
        facts refer to a hundred items, and one call of the decoder costs less than a
        hundred."""
        wanted = [n for n in dict.fromkeys(lines) if n not in self._items]
        if wanted:
            values = json.loads(b"[" + b",".join(self._lines[n] for n in wanted) + b"]")
            self._items.update(zip(wanted, values, strict=True))

    def _assemble(self, record: dict[str, Any], relpath: str) -> FileFacts:
        """The facts from parts shared with the other versions of the file: a function
        that is the same item at the same line is the same object, decoded once."""
        blank = {k: ([] if isinstance(v, list | dict) else v) for k, v in record.items()}
        fields: dict[str, Any] = {}
        for key, value in record.items():
            if key in _SYMBOLS or key in _TOP:
                fields[key] = tuple(self._part(blank, key, i, at) for i, at in value)
            elif isinstance(value, dict):
                fields[key] = self._whole(blank, key, tuple(value["items"]))
            else:
                fields[key] = value
        fields["path"] = relpath
        return FileFacts(**fields)

    def _part(self, blank: dict[str, Any], key: str, i: int, at: int) -> Any:
        k = (key, i, at)
        found = self._parts.get(k)
        if found is None:
            first = 1 + len(self.blob_ids)
            item = self._item(first + i)
            if key in _SYMBOLS:
                found = getattr(from_data({**blank, key: [_absolute(item, at)]}), key)[0]
            else:  # a statement: decoded once, then moved to each line it stands at
                pos = _TOP[key]
                base = self._parts.get((key, i))
                if base is None:
                    element = [*item[:pos], 0, *item[pos:]]
                    base = self._parts[(key, i)] = getattr(from_data({**blank, key: [element]}),
                                                           key)[0]
                found = _moved(base, pos, at)
            self._parts[k] = found
        return found

    def _whole(self, blank: dict[str, Any], key: str, items: tuple[int, ...]) -> Any:
        k = (key, items)
        found = self._parts.get(k)
        if found is None:
            first = 1 + len(self.blob_ids)
            data = {**blank, key: [self._item(first + i) for i in items]}
            found = self._parts[k] = getattr(from_data(data), key)
        return found

    def _item(self, line: int) -> Any:
        found = self._items.get(line)
        if found is None:
            found = self._items[line] = json.loads(self._lines[line])
        return found

    def tree(self, commit: Commit) -> dict[str, str]:
        """Path -> blob id of the bundled files that exist at ``commit``."""
        return {p: self.blob_ids[b] for p, b in zip(self.paths, commit.blobs, strict=True)
                if b >= 0}

    def blob(self, commit: Commit, path: str) -> str | None:
        try:
            b = commit.blobs[self.paths.index(path)]
        except ValueError:
            raise SourceError(f"{path} is not in the bundled upstream facts; rebuild them: "
                              f"{REBUILD}", file=path) from None
        return self.blob_ids[b] if b >= 0 else None

    def resolve(self, rev: str, flag: str = "--ref") -> Commit:
        """The commit a revision names: HEAD (the newest bundled commit), a full or
        abbreviated id (four hex digits or more), each optionally followed by ``~N``,
        ``^`` or ``^N``."""
        import re

        if rev in self._by_sha:
            return self._by_sha[rev]
        m = re.fullmatch(r"(HEAD|[0-9a-fA-F]{4,40})((?:~\d*|\^\d*)*)", rev)
        if m is None:
            raise UsageError(f"{flag} {rev}: not an upstream nanochat commit")
        name, steps = m.group(1), m.group(2)
        if name == "HEAD":
            commit = self.head
        else:
            hits = [c for c in self.commits if c.sha.startswith(name.lower())]
            if len(hits) > 1:
                raise UsageError(f"{flag} {rev}: ambiguous: {len(hits)} upstream commits "
                                 f"start with {name}")
            if not hits:
                raise UsageError(f"{flag} {rev}: no such upstream nanochat commit")
            commit = hits[0]
        for op, count in re.findall(r"([~^])(\d*)", steps):
            n = int(count) if count else 1
            if op == "~":
                for _ in range(n):
                    commit = self._parent(commit, 1, flag, rev)
            elif n:
                commit = self._parent(commit, n, flag, rev)
        return commit

    def _parent(self, commit: Commit, nth: int, flag: str, rev: str) -> Commit:
        if len(commit.parents) < nth:
            raise UsageError(f"{flag} {rev}: no such upstream nanochat commit")
        return self.commits[commit.parents[nth - 1]]

    def ancestors(self, commit: Commit) -> set[int]:
        seen = {commit.number}
        stack = [commit.number]
        while stack:
            for p in self.commits[stack.pop()].parents:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def touching(self, paths: Iterable[str], since: Commit | None, until: Commit
                 ) -> list[Commit]:
        """The commits ``git log --topo-order --reverse since..until -- paths`` lists:
        git's default history simplification, over the bundled blob ids."""
        cols = [self.paths.index(p) for p in paths if p in self.paths]
        excluded = self.ancestors(since) if since is not None else set()

        def same(a: Commit, b: Commit) -> bool:
            return all(a.blobs[i] == b.blobs[i] for i in cols)

        shown: set[int] = set()
        seen: set[int] = set()
        stack = [until.number] if until.number not in excluded else []
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            commit = self.commits[n]
            relevant = [p for p in commit.parents if p not in excluded]
            follow = relevant
            for p in commit.parents:
                if p in relevant and same(commit, self.commits[p]):
                    follow = [p]  # the change came through this parent only: follow it
                    break
            else:
                if not commit.parents:
                    if any(commit.blobs[i] >= 0 for i in cols):
                        shown.add(n)
                elif relevant:
                    shown.add(n)  # changed against every relevant parent
                elif any(not same(commit, self.commits[p]) for p in commit.parents):
                    shown.add(n)
            stack.extend(follow)
        return [self.commits[n] for n in sorted(shown)]


@dataclass(frozen=True)
class UpstreamRepo:
    """The bundled upstream commits, for :func:`nanochat_explain.queries.history.walk`: what the
    git plumbing answers, without git."""

    bundle: Upstream

    def resolve(self, rev: str, flag: str) -> str:
        return self.bundle.resolve(rev, flag).sha

    def touching(self, paths: Iterable[str], since: str | None, until: str
                 ) -> list[GitCommit]:
        from nanochat_explain.source.git import Commit as GitCommit

        b = self.bundle
        found = b.touching(paths, b.resolve(since) if since else None, b.resolve(until))
        return [GitCommit(c.sha, c.sha[:7], c.date, c.subject,
                          tuple(b.commits[p].sha for p in c.parents)) for c in found]

    def blob_ids(self, commits: Iterable[str], paths: Iterable[str]
                 ) -> dict[tuple[str, str], str | None]:
        b = self.bundle
        return {(sha, p): b.blob(b.resolve(sha), p) for sha in commits for p in paths}

    def facts_of(self, path: str, blob: str) -> FileFacts | ExplainError:
        found = self.bundle.facts(blob, path)
        if found is None:
            return SourceError(f"blob {blob[:12]} is not in the bundled upstream facts",
                               file=path)
        return found


def _read() -> tuple[bytes, Callable[[], bytes]] | None:
    """The bundle's head line and how to decompress the rest: a check reads the head
    (which blob ids the bundle has) before it forks, each process the rest only if it
    needs some blob's facts."""
    import zlib

    path = Path(__file__).resolve().parent.parent / "data" / FILE
    try:
        data = path.read_bytes()
        inflate = zlib.decompressobj()
        head = b""
        while b"\n" not in head and not inflate.eof:
            chunk = inflate.decompress(data, 1 << 16)
            data = inflate.unconsumed_tail
            if not chunk and not data:
                break  # the file ends before the head does: not a bundle
            head += chunk
        first, newline, after = head.partition(b"\n")
    except (OSError, zlib.error):
        return None

    def rest() -> bytes:
        try:
            return after + inflate.decompress(data) + inflate.flush()
        except zlib.error:
            return b""  # a damaged bundle: no facts for any blob

    return first + newline, rest


@cache
def _loaded() -> Upstream | None:
    found = _read()
    if found is None:
        return None
    try:
        return Upstream(found[0], rest=found[1])
    except SourceError:
        return None


def usable() -> Upstream | None:
    """The shipped bundle when this version of the extractor built it; else None."""
    from nanochat_explain.source.cache import FACTS_VERSION

    found = _loaded()
    if found is None or found.schema != SCHEMA_VERSION or found.facts_version != FACTS_VERSION:
        return None
    return found


def required(flag: str) -> Upstream:
    """The shipped bundle, or a :class:`SourceError` saying why it cannot be used."""
    from nanochat_explain.source.cache import FACTS_VERSION

    found = _loaded()
    if found is None:
        raise SourceError(f"{flag}: no git checkout here and the bundled upstream facts "
                          f"({FILE}) cannot be read; pass --repo PATH")
    if found.schema != SCHEMA_VERSION or found.facts_version != FACTS_VERSION:
        raise SourceError(f"{flag}: the bundled upstream facts were built by another version "
                          f"of the extractor ({found.facts_version}, this one is "
                          f"{FACTS_VERSION}); pass --repo PATH, or rebuild them: {REBUILD}")
    return found


def facts_of_blob(blob: str, relpath: str) -> FileFacts | None:
    found = usable()
    return found.facts(blob, relpath) if found is not None else None


def facts_of_text(text: str, relpath: str, blob: str | None = None) -> FileFacts | None:
    """Facts of a work-tree file's text (whose blob id is ``blob``, when known) when an
    upstream blob has that content."""
    found = usable()
    if found is None:
        return None
    blob = blob or blob_id(text.encode("utf-8", "surrogateescape"))
    return found.facts(blob, relpath, shared=False)


def iter_blobs(bundle: Upstream) -> Iterator[tuple[str, str]]:
    """(path, blob id) of every bundled blob, at the first path it appeared at."""
    seen: set[int] = set()
    for commit in bundle.commits:
        for path, b in zip(bundle.paths, commit.blobs, strict=True):
            if b >= 0 and b not in seen:
                seen.add(b)
                yield path, bundle.blob_ids[b]
