"""Writing files safely: atomically, never over a user's file without force, never
through a symbolic link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nanochat_explain.errors import OutputError, UsageError


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, text: str | bytes, *, force: bool = False) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    Returns False when the file already holds exactly ``text``. An existing file with
    other content is replaced only with ``force``. A symbolic link is never written
    through, so a write cannot escape the folder it was aimed at.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if not needs_write(path, data, force=force):
        return False
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)  # mkstemp makes 0600; give the file its usual mode
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", file=str(path)) from None
    return True


def needs_write(path: Path, data: bytes, *, force: bool = False) -> bool:
    """Whether writing ``data`` to ``path`` changes it; raises when the write would be
    refused (see :func:`write_atomic`), so that a command writing several files can check
    them all before it writes any."""
    if path.is_symlink():
        raise UsageError("is a symbolic link; refusing to write through it", file=str(path))
    if path.is_dir():
        raise UsageError("is a directory", file=str(path))
    if not path.exists():
        return True
    try:
        if path.read_bytes() == data:
            return False
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if not force:
        raise UsageError("exists and differs; pass --force to overwrite it", file=str(path))
    return True
