"""Speed and memory of nanochat-explain on a real nanochat checkout, as ratios against
baselines timed in the same run (machines differ; ratios travel).

    NANOCHAT_DIR=/path/to/nanochat python bench/perf.py [--runs N] [--warmup N] [--json]

Figures (targets in brackets):
  a. warm `attention --format plain`   / `python -c "import rich.console, click, yaml"` [<= 1.3]
  b. cold `check --format plain`       / `griffe dump nanochat`                      [<= 2.0]
  c. warm `check --format plain`       / `griffe dump nanochat`                      [<= 1.0]
  d. peak RSS of a cold `check`, MB                                                  [<= 100]

"Cold" is an empty facts cache (a fresh $NANOCHAT_EXPLAIN_CACHE per run); "warm" is a
cache filled by an untimed run beforehand. Every command runs as a child process, median
of --runs (default 11), interleaved in shuffled rounds after --warmup untimed rounds.

Exit codes: 0 every figure passes; 1 some figure fails its target; 2 cannot run (no
NANOCHAT_DIR, no griffe, ...); 3 a timed command failed or timed out.
The scaling run (cold check against source size) is bench/scaling.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    INSTALL_HINT,
    Command,
    FreshDirs,
    cold_cache_env,
    explain_argv,
    fixed_cache_env,
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

MIN_RUNS = 10  # fewer and one slow run moves the median


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    value: float
    unit: str  # "x" for a ratio, "MB" for memory
    target: float
    numerator: Command
    baseline: Command | None

    @property
    def passed(self) -> bool:
        return self.value <= self.target

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        value = f"{self.value:.2f}{'x' if self.unit == 'x' else ' MB'}"
        target = f"<= {self.target:g}{'x' if self.unit == 'x' else ' MB'}"
        if self.baseline is not None:
            detail = (f"median {self.numerator.median_s():.3f} s / "
                      f"{self.baseline.median_s():.3f} s")
        else:
            detail = f"median of {len(self.numerator.samples)} cold runs"
        return f"{self.key}. {self.title}\n   {value:>10}  target {target:<10} {verdict}  " \
               f"({detail})"

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "figure": self.key, "title": self.title, "value": round(self.value, 4),
            "unit": "ratio" if self.unit == "x" else "MB", "target": self.target,
            "pass": self.passed, "command": self.numerator.name,
            "median_s": round(self.numerator.median_s(), 4),
        }
        if self.baseline is not None:
            data["baseline"] = self.baseline.name
            data["baseline_median_s"] = round(self.baseline.median_s(), 4)
        return data


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="nanochat-explain speed and memory as ratios against baselines "
                    "(NANOCHAT_DIR must point at a nanochat checkout).")
    parser.add_argument("--runs", type=positive_int, default=11,
                        help=f"timed rounds; the median is reported (default 11, "
                             f"at least {MIN_RUNS} for figures worth comparing)")
    parser.add_argument("--warmup", type=nonnegative_int, default=2,
                        help="untimed rounds first (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds before a single command is killed (default 300)")
    parser.add_argument("--json", action="store_true",
                        help="also print the figures as JSON: JSON on stdout, the text on stderr")
    return parser.parse_args(argv)


def build_commands(repo: Path, root: Path) -> tuple[list[Command], Path]:
    tool = explain_argv()
    warm_cache = root / "warm-cache"
    warm_cache.mkdir()
    cold = cold_cache_env(FreshDirs(root, "cold-cache-"))
    repo_args = ("--repo", str(repo), "--format", "plain")
    commands = [
        Command("import-baseline", (sys.executable, "-c", "import rich.console, click, yaml")),
        Command("explain-attention-warm", (*tool, "attention", *repo_args),
                fixed_cache_env(warm_cache)),
        Command("check-cold", (*tool, "check", *repo_args), cold),
        Command("check-warm", (*tool, "check", *repo_args), fixed_cache_env(warm_cache)),
        # -s finds the package in the checkout without the checkout on sys.path; -o keeps
        # the JSON out of any pipe
        Command("griffe-dump", (sys.executable, "-m", "griffe", "dump", "nanochat",
                                "-s", str(repo), "-o", "/dev/null")),
    ]
    return commands, warm_cache


def figures(by_name: dict[str, Command]) -> list[Figure]:
    def ratio(num: str, base: str) -> float:
        return by_name[num].median_s() / by_name[base].median_s()

    return [
        Figure("a", "warm `attention` / python importing rich, click, yaml",
               ratio("explain-attention-warm", "import-baseline"), "x", 1.3,
               by_name["explain-attention-warm"], by_name["import-baseline"]),
        Figure("b", "cold `check` (empty cache) / griffe dump nanochat",
               ratio("check-cold", "griffe-dump"), "x", 2.0,
               by_name["check-cold"], by_name["griffe-dump"]),
        Figure("c", "warm `check` (filled cache) / griffe dump nanochat",
               ratio("check-warm", "griffe-dump"), "x", 1.0,
               by_name["check-warm"], by_name["griffe-dump"]),
        Figure("d", "peak RSS of a cold `check` (the child process itself)",
               by_name["check-cold"].median_rss_mb(), "MB", 100.0,
               by_name["check-cold"], None),
    ]


def report(commands: list[Command], figs: list[Figure], info: dict[str, object],
           repo: Path, runs: int) -> str:
    lines = [f"machine: {machine_line(info)}",
             f"nanochat: {repo}",
             f"runs: median of {runs} interleaved rounds per command"]
    if runs < MIN_RUNS:
        lines.append(f"note: fewer than {MIN_RUNS} runs; the figures are indicative only")
    lines.append("")
    lines.extend(f.line() for f in figs)
    lines += ["", f"{'command':<24} {'median s':>9} {'min s':>8} {'max s':>8} {'RSS MB':>7}"]
    for cmd in commands:
        secs = [s.seconds for s in cmd.samples]
        lines.append(f"{cmd.name:<24} {cmd.median_s():>9.3f} {min(secs):>8.3f} "
                     f"{max(secs):>8.3f} {cmd.median_rss_mb():>7.1f}")
    lines += ["", "passed " + f"{sum(f.passed for f in figs)}/{len(figs)}: "
              + " ".join(f"{f.key}={'PASS' if f.passed else 'FAIL'}" for f in figs)]
    return "\n".join(lines)


def as_json(commands: list[Command], figs: list[Figure], info: dict[str, object],
            runs: int) -> str:
    return json.dumps({
        "machine": info, "runs": runs,
        "figures": [f.as_json() for f in figs],
        "commands": {c.name: {"argv": shown(c.argv),
                              "seconds": [round(s.seconds, 4) for s in c.samples],
                              "median_s": round(c.median_s(), 4),
                              "median_rss_mb": round(c.median_rss_mb(), 1)}
                     for c in commands},
    }, indent=2)


def bench(args: argparse.Namespace) -> int:
    require_posix()
    repo = nanochat_dir()
    if importlib.util.find_spec("griffe") is None:
        raise setup_error(f"griffe (the baseline) is not importable by {sys.executable}; "
                          f"{INSTALL_HINT}")
    info = machine()
    with scratch_dir("nanochat-explain-bench-") as root:
        commands, warm_cache = build_commands(repo, root)
        by_name = {c.name: c for c in commands}
        # fill the warm cache before anything is timed, warm-up rounds or not
        run_once(Command("fill-cache", by_name["check-warm"].argv,
                         fixed_cache_env(warm_cache)), root, args.timeout)
        print(f"timing {len(commands)} commands, {args.warmup} warm-up + {args.runs} rounds",
              file=sys.stderr)
        # cwd is an empty directory so that `python -m` puts nothing of ours on sys.path
        workdir = root / "cwd"
        workdir.mkdir()
        run_rounds(commands, runs=args.runs, warmup=args.warmup, cwd=workdir,
                   timeout=args.timeout)
    figs = figures(by_name)
    text = report(commands, figs, info, repo, args.runs)
    if args.json:  # stdout stays pure JSON for a pipe; the person still sees the text
        print(text, file=sys.stderr)
        print(as_json(commands, figs, info, args.runs))
    else:
        print(text)
    return 0 if all(f.passed for f in figs) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return main_guard(lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
