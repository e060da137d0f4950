"""Standard output that cannot take what a command writes: the console script and the CLI
report it the same way, on one line with its exit code (a full disk), or not at all (the
reader went away)."""

from __future__ import annotations

import os

from nanochat_explain.errors import OutputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO


def lost(exc: OSError, stream: TextIO) -> OutputError:
    """The error to report when ``stream`` could not take the output. What it still
    buffers is dropped, so that Python's exit does not fail on it again with a traceback."""
    silence(stream)
    return OutputError(f"cannot write: {exc.strerror or exc}", file="standard output")


def silence(stream: TextIO) -> None:
    """Send what ``stream`` still buffers, and anything written to it later, to devnull."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError):  # no descriptor (a test's stream): nothing to silence
        pass
    finally:
        os.close(devnull)  # the stream's descriptor now refers to devnull on its own
