"""How long `nanochat-explain history MODULE --format plain` takes over nanochat's whole
git history, cold and warm.

    NANOCHAT_DIR=/path/to/nanochat python bench/history.py [--cold-runs 5] [--warm-runs 11]
                                    [--runs N] [--module attention] [--since REV] [--json]

Cold: a fresh, empty $NANOCHAT_EXPLAIN_CACHE for every run, so every revision is read
and parsed. Warm: one cache filled by an untimed run first. Medians of the runs, cold and
warm interleaved (a round runs each once, until a kind has its count). The targets are
absolute, for a 2-core machine: cold < 60 s, warm < 3 s. --since REV passes through to
`history` to time a shorter range; the targets are meant for the full history.

Exit codes: 0 both pass; 1 one fails its target; 2 cannot run (no NANOCHAT_DIR or git
history, or `history` does not exist yet); 3 a timed command failed or timed out.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Command,
    CommandFailed,
    FreshDirs,
    cold_cache_env,
    explain_argv,
    fixed_cache_env,
    git,
    machine,
    machine_line,
    main_guard,
    nanochat_dir,
    nonnegative_int,
    positive_int,
    require_posix,
    run_once,
    run_rounds,
    scratch_dir,
    setup_error,
    shown,
)

TARGETS = {"cold": 60.0, "warm": 3.0}  # seconds, strict upper bounds, on 2 cores


@dataclass(frozen=True)
class Result:
    kind: str
    command: Command

    @property
    def target(self) -> float:
        return TARGETS[self.kind]

    @property
    def passed(self) -> bool:
        return self.command.median_s() < self.target

    def line(self) -> str:
        secs = [s.seconds for s in self.command.samples]
        label = "cold (empty cache)" if self.kind == "cold" else "warm (filled cache)"
        target = f"< {self.target:g} s"
        return (f"{label:<20} {self.command.median_s():>8.2f} s   target {target:<7}"
                f"   {'PASS' if self.passed else 'FAIL'}   (n={len(secs)}, "
                f"{min(secs):.2f}..{max(secs):.2f} s, RSS {self.command.median_rss_mb():.0f} MB)")

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "median_s": round(self.command.median_s(), 4),
                "target_s": self.target, "pass": self.passed,
                "median_rss_mb": round(self.command.median_rss_mb(), 1),
                "seconds": [round(s.seconds, 4) for s in self.command.samples]}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time `nanochat-explain history` over nanochat's git history "
                    "(NANOCHAT_DIR must point at a nanochat git checkout).")
    parser.add_argument("--cold-runs", type=positive_int, default=5,
                        help="cold runs, each with an empty cache (default 5)")
    parser.add_argument("--warm-runs", type=positive_int, default=11,
                        help="warm runs on a filled cache (default 11)")
    parser.add_argument("--runs", type=positive_int, default=None,
                        help="set both --cold-runs and --warm-runs")
    parser.add_argument("--warmup", type=nonnegative_int, default=1,
                        help="untimed warm runs after the run that fills the cache "
                             "(default 1); cold runs get none, the fill is one")
    parser.add_argument("--module", default="attention", help="the module (default attention)")
    parser.add_argument("--since", metavar="REV",
                        help="pass --since REV to `history` (default: the full history)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before a single run is killed (default 900)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON on stdout (the text goes to stderr)")
    args = parser.parse_args(argv)
    if args.runs is not None:
        args.cold_runs = args.warm_runs = args.runs
    return args


def history_argv(args: argparse.Namespace, repo: Path) -> tuple[str, ...]:
    since = ("--since", args.since) if args.since else ()
    return (*explain_argv(), "history", args.module, "--repo", str(repo), "--format", "plain",
            *since)


def fill(cmd: Command, cwd: Path, timeout: float) -> None:
    """The first, untimed run; a usage error here means `history` is not there yet."""
    try:
        run_once(cmd, cwd, timeout)
    except CommandFailed as failed:
        if failed.returncode == 2:
            last = (failed.stderr.strip().splitlines() or ["(no message)"])[-1]
            # until `history` exists, `history MODULE` parses as `explain history MODULE`
            missing = any(s in failed.stderr for s in ("Usage:", "No such command",
                                                        "unexpected extra argument"))
            hint = "; does this nanochat-explain have the `history` command yet?" \
                if missing else ""
            raise setup_error(f"`nanochat-explain history` ended in a usage error "
                              f"(exit 2: {last}){hint}") from None
        raise


def span(repo: Path, since: str | None) -> str:
    head = git(repo, "rev-parse", "--short", "HEAD") or "?"
    rng = f"{since}..HEAD" if since else "HEAD"
    count = git(repo, "rev-list", "--count", rng) or "?"
    scope = f"since {since}" if since else "full history"
    return f"{repo} @ {head}, {count} commits ({scope})"


def bench(args: argparse.Namespace) -> int:
    require_posix()
    repo = nanochat_dir(need_git=True)
    info = machine()
    argv = history_argv(args, repo)
    with scratch_dir("nanochat-explain-history-") as root:
        workdir = root / "cwd"
        workdir.mkdir()
        warm_cache = root / "warm-cache"
        cold = Command("history-cold", argv, cold_cache_env(FreshDirs(root, "cold-cache-")))
        warm = Command("history-warm", argv, fixed_cache_env(warm_cache))
        print("filling the warm cache (one untimed cold run)", file=sys.stderr, flush=True)
        fill(warm, workdir, args.timeout)
        for _ in range(args.warmup):
            run_once(warm, workdir, args.timeout)
        print(f"timing {args.cold_runs} cold and {args.warm_runs} warm runs, interleaved",
              file=sys.stderr, flush=True)
        run_rounds([cold, warm], runs={cold.name: args.cold_runs, warm.name: args.warm_runs},
                   warmup=0, cwd=workdir, timeout=args.timeout)
    results = [Result("cold", cold), Result("warm", warm)]
    lines = [f"machine: {machine_line(info)}",
             f"nanochat: {span(repo, args.since)}",
             f"command: {shown(argv)}",
             "targets are absolute seconds for a 2-core machine"
             + ("; they are meant for the full history, not --since" if args.since else ""),
             "",
             *(r.line() for r in results),
             "",
             "passed " + f"{sum(r.passed for r in results)}/2: "
             + " ".join(f"{r.kind}={'PASS' if r.passed else 'FAIL'}" for r in results)]
    text = "\n".join(lines)
    if args.json:
        print(text, file=sys.stderr)
        print(json.dumps({"machine": info, "nanochat": span(repo, args.since),
                          "command": shown(argv), "results": [r.as_json() for r in results]},
                         indent=2))
    else:
        print(text)
    return 0 if all(r.passed for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return main_guard(lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
