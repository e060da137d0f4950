"""Helpers shared by the benchmarks: run a command and time it, medians, the machine.

Every benchmark runs commands as child processes so that interpreter start-up and
imports count, as they do for a user typing the command.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CACHE_ENV = "NANOCHAT_EXPLAIN_CACHE"
INSTALL_HINT = "pip install -e '.[bench]'"
SEED = 20240601  # fixed so that two runs on one machine run rounds in the same order


class BenchError(Exception):
    """A benchmark cannot give a figure; the message says why."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def setup_error(message: str) -> BenchError:
    return BenchError(message, 2)


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_mb: float
    cpu_seconds: float = 0.0  # the child's user + system time: steadier on a busy machine


@dataclass(frozen=True)
class Command:
    """One command to time. ``env`` is called before every run so that a cold command
    can get a fresh, empty cache directory each time."""

    name: str
    argv: tuple[str, ...]
    env: Callable[[], Mapping[str, str]] = dict
    samples: list[Sample] = field(default_factory=list, compare=False)
    ok: tuple[int, ...] = (0,)  # exit codes that are data points (check of an old tree: 1)

    def median_s(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def median_rss_mb(self) -> float:
        return statistics.median(s.max_rss_mb for s in self.samples)

    def median_cpu_s(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)


def explain_argv() -> tuple[str, ...]:
    """How to start nanochat-explain with the interpreter running the benchmark: the
    console script users run, else ``python -m`` (which also pays for runpy)."""
    if importlib.util.find_spec("nanochat_explain") is None:
        raise setup_error(f"nanochat_explain is not importable by {sys.executable}; "
                          f"{INSTALL_HINT}")
    script = Path(sys.executable).with_name("nanochat-explain")
    if script.exists():
        return (str(script),)
    if importlib.util.find_spec("nanochat_explain.__main__") is not None:
        return (sys.executable, "-m", "nanochat_explain")
    raise setup_error(f"cannot start nanochat-explain from {sys.executable}; {INSTALL_HINT}")


def require_posix() -> None:
    # os.wait4 gives the child's own peak RSS, which no portable call does
    if not hasattr(os, "wait4"):
        raise setup_error("the benchmarks need os.wait4 (Linux or macOS)")


def nanochat_dir(*, need_git: bool = False) -> Path:
    raw = os.environ.get("NANOCHAT_DIR")
    if not raw:
        raise setup_error("set NANOCHAT_DIR to a nanochat checkout")
    path = Path(raw).expanduser().resolve()
    if not (path / "nanochat" / "gpt.py").is_file():
        raise setup_error(f"NANOCHAT_DIR={raw} is not a nanochat checkout "
                          "(no nanochat/gpt.py)")
    # the top level, not just inside one: a fixture inside another project's repository
    # would otherwise pass with that project's history
    top = git(path, "rev-parse", "--show-toplevel") if need_git else None
    if need_git and (top is None or Path(top).resolve() != path
                     or git(path, "rev-parse", "--verify", "HEAD") is None):
        raise setup_error(f"NANOCHAT_DIR={raw} is not the top of a git checkout with commits")
    return path


def git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                              text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _rss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def child_env(cmd: Command) -> dict[str, str]:
    # Every command must run as an installed package does, from cached bytecode: pip
    # compiles on install, and an editable install compiles on first import unless
    # PYTHONDONTWRITEBYTECODE forbids it, which would charge each run for compiling.
    env = {**os.environ, **cmd.env()}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(cmd: Command, cwd: Path, timeout: float) -> Sample:
    """Run ``cmd`` once: wall time from just before the fork to just after the reap, and
    the child's own peak RSS. Raises BenchError (code 3) when it exits non-zero."""
    env = child_env(cmd)
    # stderr goes to a file, not a pipe: nobody reads a pipe while we wait, so a chatty
    # child could block on a full one and the time would be wrong
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        timed_out = threading.Event()

        def kill() -> None:
            if proc.returncode is None:
                timed_out.set()
                proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if timed_out.is_set():
        raise BenchError(f"{cmd.name}: killed after {timeout:g} s\n  $ {shown(cmd.argv)}", 3)
    if proc.returncode not in cmd.ok:
        raise CommandFailed(cmd, proc.returncode, stderr, _stdout_of_rerun(cmd, cwd, timeout))
    return Sample(seconds, _rss_mb(usage.ru_maxrss), usage.ru_utime + usage.ru_stime)


def _stdout_of_rerun(cmd: Command, cwd: Path, timeout: float) -> str:
    """The timed runs throw stdout away; a failed check says which claim failed only
    there, so run the command once more, untimed, to show it."""
    try:
        done = subprocess.run(cmd.argv, cwd=cwd, env=child_env(cmd),
                              capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = done.stdout.splitlines()
    marked = [line for line in lines if "\u2717" in line or " FAIL" in line or " ERROR" in line]
    return "\n".join([*marked[:10], *lines[-3:]])


class CommandFailed(BenchError):
    def __init__(self, cmd: Command, returncode: int, stderr: str, stdout: str = "") -> None:
        tail = _tail(stderr) or "(no stderr)"
        shown_stdout = f"--- stdout of a rerun (failures, last lines) ---\n{stdout}\n" \
            if stdout.strip() else ""
        super().__init__(f"{cmd.name}: exited {returncode}\n  $ {shown(cmd.argv)}\n"
                         f"{shown_stdout}--- stderr (last lines) ---\n{tail}", 3)
        self.returncode = returncode
        self.stderr = stderr


def shown(argv: Sequence[str]) -> str:
    # the interpreter path is long and the same everywhere; the rest is what matters
    return shlex.join("python" if a == sys.executable else a for a in argv)


def run_rounds(commands: Sequence[Command], *, runs: int | Mapping[str, int], warmup: int,
               cwd: Path, timeout: float, progress: bool = True) -> None:
    """Interleave: every round runs every command once, in a shuffled order, so that a
    slow spell on a shared machine hits all commands alike instead of one of them.
    ``runs`` may give a count per command name; a command then sits out the rounds
    after its count. Warm-up rounds are run the same way and thrown away."""
    counts = {c.name: runs if isinstance(runs, int) else runs[c.name] for c in commands}
    rng = random.Random(SEED)
    order = list(commands)
    timed = max(counts.values())
    for round_no in range(warmup + timed):
        rng.shuffle(order)
        warming = round_no < warmup
        for cmd in order:
            if warming or round_no - warmup < counts[cmd.name]:
                sample = run_once(cmd, cwd, timeout)
                if not warming:
                    cmd.samples.append(sample)
        if progress:
            n, of = (round_no + 1, warmup) if warming else (round_no - warmup + 1, timed)
            print(f"  {'warm-up' if warming else 'round'} {n}/{of}", file=sys.stderr,
                  flush=True)


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class FreshDirs:
    """Hands out a new empty directory per call (a cold cache) and removes the previous
    one, so that cold runs never see each other's entries and the disk does not fill."""

    def __init__(self, root: Path, prefix: str) -> None:
        self.root = root
        self.prefix = prefix
        self.last: Path | None = None

    def __call__(self) -> Path:
        if self.last is not None:
            shutil.rmtree(self.last, ignore_errors=True)
        self.last = Path(tempfile.mkdtemp(prefix=self.prefix, dir=self.root))
        return self.last


def cold_cache_env(dirs: FreshDirs) -> Callable[[], Mapping[str, str]]:
    return lambda: {CACHE_ENV: str(dirs())}


def fixed_cache_env(path: Path) -> Callable[[], Mapping[str, str]]:
    return lambda: {CACHE_ENV: str(path)}


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Hardware", "Processor", "cpu model") and value.strip():
            return value.strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> dict[str, object]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "os": platform.platform(),
        # a busy shared machine explains odd figures; say how busy it was at the start
        "load_1m": round(load[0], 2) if load else None,
    }


def machine_line(info: Mapping[str, object]) -> str:
    cores = f"{info['cores']} cores"
    if info.get("usable_cores") not in (None, info["cores"]):
        cores += f" ({info['usable_cores']} usable)"
    load = f", load {info['load_1m']}" if info.get("load_1m") is not None else ""
    return f"{info['cpu']}, {cores}, Python {info['python']}, {info['os']}{load}"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def nonnegative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def main_guard(body: Callable[[], int]) -> int:
    """Run a benchmark's body; turn a BenchError into its message and exit code."""
    try:
        return body()
    except BenchError as error:
        print(f"{Path(sys.argv[0]).name}: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print(f"{Path(sys.argv[0]).name}: interrupted", file=sys.stderr)
        return 130
