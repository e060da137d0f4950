"""Work shared by two processes: one forked copy does a share while this one does the rest.

Used where a cold run spends most of its time on independent pieces (parsing files,
checking modules) and one process uses one core.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    A = TypeVar("A")
    B = TypeVar("B")


def can_fork() -> bool:
    """Whether a second process pays and is safe: two cores or more, ``fork``, and no
    other thread (one could hold a lock, of imports or of a stream, that the forked copy
    would wait on forever: the MCP server runs threads)."""
    import os
    import sys

    if not hasattr(os, "fork") or _cores() < 2:
        return False
    threading = sys.modules.get("threading")  # not imported: no thread was started by it
    return threading is None or threading.active_count() == 1


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def shared(ours: Callable[[], A], theirs: Callable[[], B]) -> tuple[A, B | None]:
    """``ours()`` here while a forked copy of this process runs ``theirs()`` and sends
    back what it gives (pickled, through a pipe): (ours, theirs), with None for theirs
    when the second process failed in any way (an exception, a signal, what it sent does
    not unpickle). Call only when :func:`can_fork`."""
    import os
    import pickle

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second process: work, send, and leave without any cleanup of ours
        code = 1
        try:
            os.close(read_end)
            data = pickle.dumps(theirs(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        mine = ours()
        with os.fdopen(read_end, "rb") as received:
            data = received.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0:
        return mine, None
    try:
        return mine, pickle.loads(data)
    except Exception:  # cut short
        return mine, None
