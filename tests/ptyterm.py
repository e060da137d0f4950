"""Run the installed command in a real pseudo-terminal of a given size and read its screen
output, as a person at that terminal would see it (escape codes removed)."""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


@dataclass(frozen=True)
class Screen:
    code: int
    raw: str  # what the program wrote to the terminal, escape codes included
    lines: list[str]  # the lines as shown, escape codes removed
    err: str


def command() -> list[str]:
    """The console script installed beside this Python, else the module."""
    script = Path(sys.executable).with_name("nanochat-explain")
    if script.exists():
        return [str(script)]
    found = shutil.which("nanochat-explain")
    return [found] if found else [sys.executable, "-m", "nanochat_explain"]


def run_in_pty(args: list[str], columns: int, rows: int = 50, cwd: Path | None = None,
               env: dict[str, str] | None = None, timeout: float = 60.0) -> Screen:
    """Standard output (and input) is a terminal of ``columns`` x ``rows``; standard error
    is a pipe. COLUMNS and LINES are removed from the environment so that the program
    has to ask the terminal for its size."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    base = {k: v for k, v in os.environ.items()
            if k not in ("COLUMNS", "LINES", "NO_COLOR", "NANOCHAT_DIR", "FORCE_COLOR")}
    base["TERM"] = "xterm-256color"
    proc = subprocess.Popen([*command(), *args], stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE, cwd=cwd, env={**base, **(env or {})},
                            close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise TimeoutError(f"no output for {timeout} s from {args}")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read().decode("utf-8", "replace")
    code = proc.wait(timeout=timeout)
    raw = b"".join(chunks).decode("utf-8", "replace")
    text = ESCAPES.sub("", raw).replace("\r\n", "\n")
    return Screen(code, raw, text.split("\n"), err)
