"""A run's checked result, kept for the next run over the same files.

A warm run of ``check`` or of one module's explanation spends most of its time checking
claims whose facts have not changed since the last run. Here the result of the last run
is kept (one file per command, modules and checkout, so the cache never grows) with the
files it read and a digest of their text; it is used again only when every one of those
files still has that text (or still fails to read with the same error) and the
templates, the package's code and data and the Python version are the ones that made it.
Which checkout it describes (path, commit, uncommitted changes) is asked again every run.

Only work-tree files are tracked this way: a run at a ``--ref``, over the bundled facts or
with ``--no-cache`` is not kept.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

from nanochat_explain.core import Session
from nanochat_explain.errors import ExplainError
from nanochat_explain.source.cache import _write, default_dir, digest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


PACKAGE = Path(__file__).resolve().parent.parent


def _code_stamp() -> list[str]:
    """The size and modification time of every file of the package: its code, templates
    and data (an edit or an upgrade changes them)."""
    stamp = [f"python {sys.version_info[0]}.{sys.version_info[1]}"]
    folders = [PACKAGE]
    while folders:  # the package's folders: one per stage, and data/ with its own
        folder = folders.pop()
        with os.scandir(folder) as entries:
            for e in sorted(entries, key=lambda e: e.name):
                if e.is_dir() and e.name != "__pycache__":
                    folders.append(Path(e.path))
                elif e.is_file() and not e.name.endswith(".pyc"):
                    st = e.stat()
                    where = Path(e.path).relative_to(PACKAGE).as_posix()
                    stamp.append(f"{where}:{st.st_size}:{st.st_mtime_ns}")
    return stamp


def _read_key(session: Session, relpath: str) -> str:
    try:
        return digest(relpath, session.source.read_text(relpath))
    except ExplainError as exc:
        return f"error {type(exc).__name__}: {exc}"


def kept(session: Session, name: str, parts: list[str], run: Callable[[], T],
         kind: type[T]) -> T:
    """``run()`` over ``session``, or what it returned the last time it read files that
    still hold the same text; ``session`` must be fresh (nothing read yet)."""
    source = session.source
    if session.cache is None or source.bundled or source.tree is not None:
        return run()
    try:
        static = digest("results", name, str(source.root), str(session.upstream),
                        *parts, *_code_stamp())
    except OSError:
        return run()
    path = default_dir() / "results" / f"{digest(name, str(source.root))[:32]}.pickle"
    try:
        stored, files, value = pickle.loads(path.read_bytes())
        if (stored == static and isinstance(value, kind)
                and all(_read_key(session, rel) == k for rel, k in files)):
            return value
    except Exception:  # absent, truncated, or written by another version: run
        pass
    session.read = {}
    value = run()
    files = []
    for rel in session._facts:
        text = session.read.get(rel)
        files.append((rel, digest(rel, text) if text is not None
                      else _read_key(session, rel)))
    _write(path, lambda f: f.write(pickle.dumps((static, files, value),
                                                protocol=pickle.HIGHEST_PROTOCOL)))
    return value
