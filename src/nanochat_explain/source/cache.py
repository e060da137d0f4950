"""A cache of extracted facts, keyed by the content they were read from.

Work-tree files are keyed by a hash of their text; files read from git's objects also by
their blob id, so a history walk finds facts without reading the blob at all. An
unchanged file is parsed once across runs. Entries are written atomically (temporary
file and rename), so concurrent runs never see half an entry; an entry that does not
load (truncated, garbage, another version's) is ignored and rebuilt. A cache that cannot
be written (read-only, full disk) is not an error: the run just parses.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ENV_VAR = "NANOCHAT_EXPLAIN_CACHE"
# Bump when the extractor or the facts' shape changes: old entries are then never read.
FACTS_VERSION = "facts-6-blocks"


def default_dir() -> Path:
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "nanochat-explain"


TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import blake2b
    from typing import Any, TypeVar

    from nanochat_explain.facts.model import FileFacts

    T = TypeVar("T")
else:
    try:  # the built-in module: hashlib would first load OpenSSL, ms of start-up
        from _blake2 import blake2b
    except ImportError:  # a build without it
        from hashlib import blake2b


def hasher() -> blake2b:
    """What every key starts from: BLAKE2b (three times as fast as the built-in SHA-256 on
    the megabyte of templates and code a cold run keys), the facts version read."""
    found = blake2b(digest_size=32)
    found.update(FACTS_VERSION.encode() + b"\0")
    return found


def digest(*parts: str) -> str:
    """A key over ``parts`` (and the facts version)."""
    found = hasher()
    for part in parts:
        found.update(part.encode("utf-8", "surrogatepass"))
        found.update(b"\0")
    return found.hexdigest()


def memo(name: str, parts: Iterable[str], kind: type[T], build: Callable[[], T]) -> T:
    """``build()``, or what it returned in an earlier run given the same ``parts``.

    One file per ``name`` holds the last result, so the cache never grows. Pickle is
    used because it loads the validated templates ~30x faster than validating their
    YAML again; the file lives in the user's own cache folder, trusted like the
    ``__pycache__`` folders Python itself executes. A file that fails to load, or holds
    another key or type, is rebuilt.
    """
    k = digest(name, *parts)
    path = default_dir() / f"{name}.pickle"
    try:
        stored_key, value = pickle.loads(path.read_bytes())
        if stored_key == k and isinstance(value, kind):
            return value
    except Exception:  # absent, truncated, or written by another version: rebuild
        pass
    value = build()
    _write(path, lambda f: f.write(pickle.dumps((k, value), protocol=pickle.HIGHEST_PROTOCOL)))
    return value


def _write(path: Path, fill: Callable[[Any], object]) -> None:
    """Atomically, through a temporary file and a rename; an unwritable cache only costs
    speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temporary(path)
        try:
            with os.fdopen(fd, "wb") as f:
                fill(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def _temporary(path: Path) -> tuple[int, Path]:
    """A new file beside ``path``, only ours (``O_EXCL``): what ``tempfile.mkstemp`` does,
    without the milliseconds of importing tempfile on every cold run."""
    for _ in range(100):
        tmp = path.with_name(f".tmp-{os.getpid()}-{os.urandom(6).hex()}{path.suffix}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                           | getattr(os, "O_BINARY", 0), 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def key(relpath: str, text: str) -> str:
    # "parsed": earlier versions also stored facts read from the bundled upstream facts
    # under digest(relpath, text); those hold only the comments their bundle's claims
    # quoted, and a key of their own keeps them from ever being read again
    return digest(relpath, "parsed", text)


def blob_key(relpath: str, blob: str) -> str:
    return digest(relpath, "git blob", blob)


class FactsCache:
    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory if directory is not None else default_dir()

    def _path(self, k: str) -> Path:
        return self.dir / k[:2] / f"{k}.json"

    def get(self, relpath: str, text: str) -> FileFacts | None:
        return self._load(key(relpath, text), relpath)

    def put(self, relpath: str, text: str, facts: FileFacts) -> None:
        self._store(key(relpath, text), facts)

    def get_blob(self, relpath: str, blob: str) -> FileFacts | None:
        return self._load(blob_key(relpath, blob), relpath)

    def put_blob(self, relpath: str, blob: str, facts: FileFacts) -> None:
        self._store(blob_key(relpath, blob), facts)

    def _load(self, k: str, relpath: str) -> FileFacts | None:
        # the facts' classes are imported only when facts are read or written: a run from
        # kept results or the bundle's facts alone does not define them here
        from nanochat_explain.facts.model import from_data

        path = self._path(k)
        try:
            data = json.loads(path.read_bytes())
            facts = from_data(data)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None  # absent, or not an entry we can trust: parse again
        return facts if facts.path == relpath else None

    def _store(self, k: str, facts: FileFacts) -> None:
        from nanochat_explain.facts.model import to_data

        data = json.dumps(to_data(facts), separators=(",", ":")).encode("utf-8")
        _write(self._path(k), lambda f: f.write(data))
