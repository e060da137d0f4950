"""Speed and memory of nanochat-explain on nanochat, as ratios against baselines timed in
the same run (machines differ; ratios travel). The figures of issue 12.

    NANOCHAT_DIR=/path/to/nanochat-clone python bench/perf.py [--runs N] [--json]

NANOCHAT_DIR is a git clone of upstream nanochat holding --pin (default 92d63d4) and
--old (default 3a5e0bc); plain trees of both (no .git, by ``git archive``) and a copy of
the pin's tree with every .py file edited are made in a temporary folder.

Figures (targets in brackets):
  a. cold `check`, plain tree of the pin    / `griffe dump nanochat` on it          [<= 1.0]
  b. cold `check`, plain tree of --old      / `griffe dump nanochat` on it          [<= 1.0]
  c. cold `check`, every .py file edited    / libcst.parse_module of the files read [<= 1.5]
  d. warm `attention --format plain`        / `python -c "import rich.console, click, yaml"`
                                                                                    [<= 1.0]
  e. warm `check`, the pin's tree           / `griffe dump nanochat`                [<= 1.0]
  f. cold `history attention` over every upstream commit, seconds                  [<= 2]
  g. warm `history attention`, seconds                                              [<= 0.5]
  h. peak RSS of a cold `check`, MB (the largest of a, b, c)                        [<= 100]

Figure c's baseline runs libcst (a dependency of nanochat-explain) with this interpreter;
`ast.parse` of the same files is timed too, for the parser's share of that check.
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
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
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
    unit: str  # "x" for a ratio, "MB" for memory, "s" for seconds
    target: float
    numerator: Command
    baseline: Command | None

    @property
    def passed(self) -> bool:
        return self.value <= self.target

    def _fmt(self, value: float) -> str:
        return {"x": f"{value:.2f}x", "MB": f"{value:.1f} MB"}.get(self.unit, f"{value:.2f} s")

    def line(self) -> str:
        target = f"<= {self.target:g}{'x' if self.unit == 'x' else ' ' + self.unit}"
        verdict = "PASS" if self.passed else "FAIL"
        if self.baseline is not None:
            cpu = self.numerator.median_cpu_s() / max(self.baseline.median_cpu_s(), 1e-9)
            detail = (f"median {self.numerator.median_s():.3f} s / "
                      f"{self.baseline.median_s():.3f} s; CPU time {cpu:.2f}x")
        else:
            detail = (f"median of {len(self.numerator.samples)} runs; CPU time "
                      f"{self.numerator.median_cpu_s():.2f} s")
        return f"{self.key}. {self.title}\n   {self._fmt(self.value):>10}  target " \
               f"{target:<10} {verdict}  ({detail})"

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "figure": self.key, "title": self.title,
            "value": round(self.value, 4),
            "unit": {"x": "ratio"}.get(self.unit, self.unit), "target": self.target,
            "pass": self.passed, "command": self.numerator.name,
        }
        data["median_s"] = round(self.numerator.median_s(), 4)
        if self.baseline is not None:
            data["baseline"] = self.baseline.name
            data["baseline_median_s"] = round(self.baseline.median_s(), 4)
        return data


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="nanochat-explain speed and memory as ratios against baselines "
                    "(NANOCHAT_DIR must point at a git clone of nanochat).")
    parser.add_argument("--runs", type=positive_int, default=11,
                        help=f"timed rounds; the median is reported (default 11, "
                             f"at least {MIN_RUNS} for figures worth comparing)")
    parser.add_argument("--warmup", type=nonnegative_int, default=2,
                        help="untimed rounds first (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds before a single command is killed (default 300)")
    parser.add_argument("--pin", default="92d63d4",
                        help="the upstream commit the package is pinned to (default 92d63d4)")
    parser.add_argument("--old", default="3a5e0bc",
                        help="an old upstream commit (default 3a5e0bc, the first)")
    parser.add_argument("--json", action="store_true",
                        help="also print the figures as JSON: JSON on stdout, the text on stderr")
    return parser.parse_args(argv)


def plain_tree(repo: Path, rev: str, dest: Path) -> Path:
    """The files of ``rev`` in ``dest``, without .git: what a user has who downloaded them."""
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", rev],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        raise setup_error(f"NANOCHAT_DIR has no commit {rev}: "
                          f"{archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.12, and 3.8-3.11 security releases
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)  # our own git's output of upstream's files
    return dest


def edited_tree(source: Path, dest: Path) -> Path:
    """A copy of ``source`` with a comment added to every .py file: nothing is upstream's."""
    shutil.copytree(source, dest)
    for path in dest.rglob("*.py"):
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    return dest


def files_read(tree: Path) -> list[str]:
    """The files a full `check` reads: every template's sources present in ``tree``."""
    from nanochat_explain.templates.packaged import load_packaged

    sources = sorted({s for t in load_packaged().templates for s in t.sources})
    return [str(tree / s) for s in sources if (tree / s).is_file()]


def parse_argv(module: str, files: list[str]) -> tuple[str, ...]:
    call = "parse_module" if module == "libcst" else "parse"
    return (sys.executable, "-c", f"import sys, {module}\n"
            f"[{module}.{call}(open(f, encoding='utf-8').read()) for f in sys.argv[1:]]",
            *files)


def build_commands(repo: Path, root: Path, pin: str, old: str) -> tuple[list[Command], Path]:
    tool = explain_argv()
    warm_cache = root / "warm-cache"
    warm_cache.mkdir()
    cold = cold_cache_env(FreshDirs(root, "cold-cache-"))
    pin_tree = plain_tree(repo, pin, root / "pin")
    old_tree = plain_tree(repo, old, root / "old")
    edited = edited_tree(pin_tree, root / "edited")
    files = files_read(edited)
    plain = ("--format", "plain")

    def griffe(tree: Path) -> tuple[str, ...]:
        # -s finds the package in the tree without the tree on sys.path; -o keeps the JSON
        # out of any pipe
        return (sys.executable, "-m", "griffe", "dump", "nanochat", "-s", str(tree),
                "-o", "/dev/null")

    commands = [
        Command("import-baseline", (sys.executable, "-c", "import rich.console, click, yaml")),
        Command("python-startup", (sys.executable, "-c", "pass")),
        Command("explain-attention-warm", (*tool, "attention", "--repo", str(pin_tree), *plain),
                fixed_cache_env(warm_cache)),
        Command("check-cold-pin", (*tool, "check", "--repo", str(pin_tree), *plain), cold),
        # the templates' newest forms do not all exist at the first commit: exit 1 is data
        Command("check-cold-old", (*tool, "check", "--repo", str(old_tree), *plain), cold,
                ok=(0, 1)),
        Command("check-cold-edited", (*tool, "check", "--repo", str(edited), *plain), cold),
        Command("check-warm", (*tool, "check", "--repo", str(pin_tree), *plain),
                fixed_cache_env(warm_cache)),
        Command("griffe-pin", griffe(pin_tree)),
        Command("griffe-old", griffe(old_tree)),
        Command("ast-parse", parse_argv("ast", files)),
        Command("history-cold", (*tool, "history", "attention", "--repo", str(repo), *plain),
                cold),
        Command("history-warm", (*tool, "history", "attention", "--repo", str(repo), *plain),
                fixed_cache_env(warm_cache)),
        Command("libcst-parse", parse_argv("libcst", files)),
    ]
    return commands, warm_cache


def figures(by_name: dict[str, Command]) -> list[Figure]:
    def ratio(num: str, base: str) -> float:
        return by_name[num].median_s() / by_name[base].median_s()

    cold = ("check-cold-pin", "check-cold-old", "check-cold-edited")
    heaviest = max(cold, key=lambda n: by_name[n].median_rss_mb())
    return [
        Figure("a", "cold `check`, plain tree of the pin / griffe dump nanochat",
               ratio("check-cold-pin", "griffe-pin"), "x", 1.0,
               by_name["check-cold-pin"], by_name["griffe-pin"]),
        Figure("b", "cold `check`, plain tree of the old commit / griffe dump nanochat",
               ratio("check-cold-old", "griffe-old"), "x", 1.0,
               by_name["check-cold-old"], by_name["griffe-old"]),
        Figure("c", "cold `check`, every .py edited / libcst.parse_module of the files read",
               ratio("check-cold-edited", "libcst-parse"), "x", 1.5,
               by_name["check-cold-edited"], by_name["libcst-parse"]),
        Figure("d", "warm `attention --format plain` / python importing rich, click, yaml",
               ratio("explain-attention-warm", "import-baseline"), "x", 1.0,
               by_name["explain-attention-warm"], by_name["import-baseline"]),
        Figure("e", "warm `check` / griffe dump nanochat",
               ratio("check-warm", "griffe-pin"), "x", 1.0,
               by_name["check-warm"], by_name["griffe-pin"]),
        Figure("f", "cold `history attention` over every upstream commit",
               by_name["history-cold"].median_s(), "s", 2.0, by_name["history-cold"], None),
        Figure("g", "warm `history attention` over every upstream commit",
               by_name["history-warm"].median_s(), "s", 0.5, by_name["history-warm"], None),
        Figure("h", f"peak RSS of a cold `check` (the largest: {heaviest})",
               by_name[heaviest].median_rss_mb(), "MB", 100.0, by_name[heaviest], None),
    ]


def report(commands: list[Command], figs: list[Figure], info: dict[str, object],
           repo: Path, runs: int) -> str:
    lines = [f"machine: {machine_line(info)}"
             + (f" (at the end: {info['load_1m_end']})" if info.get("load_1m_end") else ""),
             f"nanochat: {repo}",
             f"runs: median of {runs} interleaved rounds per command"]
    if runs < MIN_RUNS:
        lines.append(f"note: fewer than {MIN_RUNS} runs; the figures are indicative only")
    lines.append("")
    lines.extend(f.line() for f in figs)
    lines += ["", f"{'command':<24} {'median s':>9} {'min s':>8} {'max s':>8} {'CPU s':>7} "
              f"{'RSS MB':>7}"]
    for cmd in commands:
        secs = [s.seconds for s in cmd.samples]
        lines.append(f"{cmd.name:<24} {cmd.median_s():>9.3f} {min(secs):>8.3f} "
                     f"{max(secs):>8.3f} {cmd.median_cpu_s():>7.3f} {cmd.median_rss_mb():>7.1f}")
    parser = by_name_share(commands)
    if parser:
        lines += ["", parser]
    lines += ["", "passed " + f"{sum(f.passed for f in figs)}/{len(figs)}: "
              + " ".join(f"{f.key}={'PASS' if f.passed else 'FAIL'}" for f in figs)]
    return "\n".join(lines)


def by_name_share(commands: list[Command]) -> str:
    """The parser's share of a cold check of the edited tree, as far as a baseline that
    only parses tells it (its interpreter start-up subtracted)."""
    by_name = {c.name: c for c in commands}
    start = by_name["python-startup"].median_s()
    check = by_name["check-cold-edited"].median_s()
    out = []
    for name in ("ast-parse", "libcst-parse"):
        if name in by_name:
            parse = by_name[name].median_s()
            out.append(f"{name}: {parse:.3f} s; beyond starting python: "
                       f"{max(0.0, parse - start):.3f} s = "
                       f"{max(0.0, parse - start) / check:.0%} of the edited tree's cold check "
                       f"({check:.3f} s)")
    return "\n".join(out)


def as_json(commands: list[Command], figs: list[Figure], info: dict[str, object],
            runs: int) -> str:
    return json.dumps({
        "machine": info, "runs": runs,
        "figures": [f.as_json() for f in figs],
        "commands": {c.name: {"argv": shown(c.argv),
                              "seconds": [round(s.seconds, 4) for s in c.samples],
                              "median_s": round(c.median_s(), 4),
                              "median_cpu_s": round(c.median_cpu_s(), 4),
                              "median_rss_mb": round(c.median_rss_mb(), 1)}
                     for c in commands},
    }, indent=2)


def bench(args: argparse.Namespace) -> int:
    require_posix()
    repo = nanochat_dir(need_git=True)
    for baseline in ("griffe", "libcst"):
        if importlib.util.find_spec(baseline) is None:
            raise setup_error(f"{baseline} (a baseline) is not importable by "
                              f"{sys.executable}; {INSTALL_HINT}")
    info = machine()
    with scratch_dir("nanochat-explain-bench-") as root:
        commands, warm_cache = build_commands(repo, root, args.pin, args.old)
        by_name = {c.name: c for c in commands}
        # fill the warm cache before anything is timed, warm-up rounds or not
        for filler in ("check-warm", "history-warm", "explain-attention-warm"):
            run_once(Command(f"fill-cache-{filler}", by_name[filler].argv,
                             fixed_cache_env(warm_cache)), root, args.timeout)
        print(f"timing {len(commands)} commands, {args.warmup} warm-up + {args.runs} rounds",
              file=sys.stderr)
        # cwd is an empty directory so that `python -m` puts nothing of ours on sys.path
        workdir = root / "cwd"
        workdir.mkdir()
        run_rounds(commands, runs=args.runs, warmup=args.warmup, cwd=workdir,
                   timeout=args.timeout)
    # the load at the start alone says little about a run of several minutes
    info["load_1m_end"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
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
