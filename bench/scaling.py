"""Does a cold `check` grow linearly with the amount of source? Times it on synthetic
nanochat-shaped trees 1x, 2x, 4x and 8x the size of the project's fixture.

    python bench/scaling.py [--runs N] [--warmup N] [--scales 1,2,4,8] [--json]

No checkout is needed. Each tree is a copy of fixtures/nanochat-mini (made in a temp
dir; the fixture is only read) where, for scale k, every .py file gets k-1 appended
copies of generated code: module-level constants, classes and functions with names of
their own (``_bench_...``, ``Bench...``), about as many bytes per copy as the file had,
so every file is about k times its size. New, uniquely named top-level definitions
leave the facts the claims read unchanged; the script checks that `check` exits 0 on
every tree before timing anything.

Verdict rule (one rule, printed with the result): the marginal cost per byte between
the two largest scales (4x->8x) over that between the two smallest (1x->2x) must lie
within 0.80..1.25 -- "linear within noise". A least-squares fit time = a + b*size and
its R^2 are printed alongside, for information; with a fixed start-up cost and four
points R^2 stays high even for mildly quadratic growth, so it does not decide.

Exit codes: 0 linear within noise; 1 not; 2 cannot run; 3 a command failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    CACHE_ENV,
    BenchError,
    Command,
    CommandFailed,
    FreshDirs,
    cold_cache_env,
    explain_argv,
    machine,
    machine_line,
    main_guard,
    nonnegative_int,
    positive_int,
    require_posix,
    run_once,
    run_rounds,
    scratch_dir,
    setup_error,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "nanochat-mini"
RATIO_RANGE = (0.80, 1.25)
MB = 1_000_000


def synthetic_unit(tag: str) -> str:
    """One block of plausible Python (~1.6 KB) whose every top-level name carries
    ``tag``; a mix of what the extractor walks: assignments, classes, methods,
    signatures with defaults, calls, loops, comprehensions."""
    cls = "Bench" + "".join(part.capitalize() for part in tag.split("_"))
    return f'''

_BENCH_{tag.upper()}_TABLE = {{"alpha": 1, "beta": 2, "gamma": 3, "delta": 4}}
_bench_{tag}_limit = 64 * 1024


class {cls}:
    """Synthetic class appended by bench/scaling.py; never imported."""

    span: int = 8

    def __init__(self, width: int, depth: int = 3, *, label: str = "{tag}") -> None:
        self.width = width
        self.depth = depth
        self.label = label
        self.seen: dict[str, list[int]] = {{}}

    def bench_step(self, xs: list[int], scale: float = 1.0) -> list[float]:
        out: list[float] = []
        for i, x in enumerate(xs):
            if x % 2 == 0:
                out.append(x * self.width * scale + i)
            elif x > self.depth:
                out.append(float(x - self.depth))
            else:
                out.append(0.0)
        return out

    @property
    def bench_size(self) -> int:
        return self.width * self.depth * self.span


def _bench_{tag}_reduce(values: list[float], start: float = 0.0) -> float:
    total = start
    for value in values:
        total = total * 0.5 + value
    return total


def _bench_{tag}_table(rows: int, cols: int = 4, fill: str = "x") -> list[list[str]]:
    grid = [[fill * (r + c) for c in range(cols)] for r in range(rows)]
    return [row for row in grid if any(row)]


def _bench_{tag}_run(n: int = 10) -> dict[str, float]:
    thing = {cls}(n, depth=2)
    steps = thing.bench_step(list(range(n)), scale=0.25)
    return {{"total": _bench_{tag}_reduce(steps), "size": float(thing.bench_size)}}
'''


def synthetic_copy(file_no: int, copy_no: int, target_bytes: int) -> str:
    """Enough units to reach ``target_bytes`` (at least one), named for this file and
    copy so that no two definitions anywhere in the tree share a name."""
    parts: list[str] = []
    size = 0
    unit_no = 0
    while unit_no == 0 or size < target_bytes:
        text = synthetic_unit(f"f{file_no}_c{copy_no}_u{unit_no}")
        parts.append(text)
        size += len(text.encode("utf-8"))
        unit_no += 1
    return "".join(parts)


def build_tree(source: Path, dest: Path, scale: int, keep: frozenset[str]) -> int:
    """Copy ``source`` to ``dest`` with every .py file but those in ``keep`` (paths
    relative to the tree) grown to ``scale`` times; return the tree's .py bytes."""
    shutil.copytree(source, dest)
    total = 0
    for file_no, path in enumerate(sorted(dest.rglob("*.py"))):
        original = path.read_bytes()
        if scale > 1 and path.relative_to(dest).as_posix() not in keep:
            extra = "".join(synthetic_copy(file_no, copy_no, len(original))
                            for copy_no in range(1, scale))
            path.write_bytes(original + extra.encode("utf-8"))
        total += path.stat().st_size
    return total


@dataclass(frozen=True)
class Tree:
    scale: int
    path: Path
    size: int
    command: Command


def fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least squares y = a + b*x; returns a, b, R^2."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    a = my - b * mx
    ss_res = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return a, b, 1.0 - ss_res / ss_tot if ss_tot else 1.0


def marginal_cost(small: Tree, large: Tree) -> float:
    """Seconds per MB added between two trees: the start-up cost cancels out."""
    return (large.command.median_s() - small.command.median_s()) / (
        (large.size - small.size) / MB)


def check_argv(tool: tuple[str, ...], tree: Path, modules: Sequence[str] = (),
               fmt: str = "plain") -> tuple[str, ...]:
    return (*tool, "check", *modules, "--repo", str(tree), "--format", fmt)


def check_json(tool: tuple[str, ...], tree: Path, modules: Sequence[str], root: Path,
               timeout: float) -> tuple[list[str], list[dict[str, Any]]]:
    """Untimed `check --format json` with an empty cache: the module names, and the
    claims that did not pass (each with its module)."""
    argv = check_argv(tool, tree, modules, "json")
    with scratch_dir("nanochat-explain-probe-cache-") as cache:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=root, timeout=timeout,
                              env={**os.environ, CACHE_ENV: str(cache)}, check=False)
    if done.returncode not in (0, 1):  # 1 is "a claim fails"; anything else is an error
        raise CommandFailed(Command(f"check {tree.name}", argv), done.returncode, done.stderr)
    data = json.loads(done.stdout)
    failing = [{**claim, "module": m["module"]} for m in data["modules"]
               for claim in m["claims"] if claim["status"] != "pass"]
    return [m["module"] for m in data["modules"]], failing


def described(claims: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {c['module']}: [{c['id']}] {c.get('file')}:{c.get('line')}: "
                     f"{c['status']}: {c.get('detail')}" for c in claims[:10])


@dataclass(frozen=True)
class Plan:
    modules: tuple[str, ...] | None  # None: all of them
    kept: dict[str, list[str]]  # files left at their size -> the claims that needed it


def plan(tool: tuple[str, ...], fixture: Path, root: Path, top_scale: int,
         timeout: float) -> Plan:
    """Which modules to check and which files to leave ungrown so that every claim
    holds. Some claims read a whole file ("evaluate_bpb is loss_eval.py's only
    function"); appending definitions to such a file rightly fails them."""
    base = root / "probe-1x"
    build_tree(fixture, base, 1, frozenset())
    names, failing = check_json(tool, base, (), root, timeout)
    modules: tuple[str, ...] | None = None
    if failing:  # the fixture lags behind the templates: time what it does support
        bad = {c["module"] for c in failing}
        modules = tuple(n for n in names if n not in bad)
        if not modules:
            raise setup_error(f"`check` passes for no module on {fixture}")
    kept: dict[str, list[str]] = {}
    while True:
        tree = root / f"probe-{top_scale}x-{len(kept)}"
        build_tree(fixture, tree, top_scale, frozenset(kept))
        _, failing = check_json(tool, tree, modules or (), root, timeout)
        shutil.rmtree(tree, ignore_errors=True)
        if not failing:
            return Plan(modules, kept)
        files = {c.get("file") for c in failing}
        if None in files or not files.isdisjoint(kept) or \
                not all((fixture / str(f)).is_file() for f in files):
            raise BenchError("growing the fixture breaks claims that no file choice "
                             f"explains (a bug in this script?):\n{described(failing)}", 3)
        for claim in failing:
            kept.setdefault(str(claim["file"]), []).append(str(claim["id"]))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Cold `nanochat-explain check` time against source size.")
    parser.add_argument("--runs", type=positive_int, default=11,
                        help="timed rounds; the median is reported (default 11)")
    parser.add_argument("--warmup", type=nonnegative_int, default=1,
                        help="untimed rounds after the verifying one (default 1)")
    parser.add_argument("--scales", default="1,2,4,8",
                        help="comma-separated scales; the verdict needs 1,2 and the two "
                             "largest (default 1,2,4,8)")
    parser.add_argument("--fixture", type=Path, default=FIXTURE,
                        help="the nanochat-shaped tree to grow (default: the project's "
                             "fixtures/nanochat-mini)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before a single command is killed (default 600)")
    parser.add_argument("--json", action="store_true",
                        help="print the result as JSON on stdout (the text goes to stderr)")
    return parser.parse_args(argv)


def scales_of(text: str) -> list[int]:
    try:
        scales = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise setup_error(f"--scales: not a list of integers: {text!r}") from None
    if len(scales) < 3 or scales[0] < 1:
        raise setup_error("--scales needs at least three scales >= 1")
    return scales


def report(trees: list[Tree], chosen: Plan, runs: int,
           info: dict[str, object]) -> tuple[str, dict[str, object], bool]:
    sizes = [t.size / MB for t in trees]
    times = [t.command.median_s() for t in trees]
    a, b, r2 = fit(sizes, times)
    low, high = marginal_cost(trees[0], trees[1]), marginal_cost(trees[-2], trees[-1])
    # a non-positive small-scale cost means noise swamped the step: no verdict can be
    # drawn from it, and "not linear" with the reason is the honest answer
    ratio = high / low if low > 0 else float("nan")
    linear = RATIO_RANGE[0] <= ratio <= RATIO_RANGE[1]
    modules = chosen.modules
    scope = "all modules" if modules is None else \
        f"only the modules that pass on the fixture: {', '.join(modules)}"
    lines = [f"machine: {machine_line(info)}",
             f"cold `check --format plain` ({scope}); median of {runs} interleaved rounds"]
    lines += [f"not grown: {path} (a claim reads the whole file: {', '.join(ids)})"
              for path, ids in sorted(chosen.kept.items())]
    lines += ["",
             f"{'scale':>5} {'bytes':>9} {'median s':>9} {'s/MB':>7} {'marginal s/MB':>14} "
             f"{'RSS MB':>7}"]
    prev: Tree | None = None
    for tree in trees:
        marginal = f"{marginal_cost(prev, tree):>14.2f}" if prev else f"{'-':>14}"
        lines.append(f"{tree.scale:>4}x {tree.size:>9} {tree.command.median_s():>9.3f} "
                     f"{tree.command.median_s() / (tree.size / MB):>7.2f} {marginal} "
                     f"{tree.command.median_rss_mb():>7.1f}")
        prev = tree
    s0, s1, s2, s3 = (trees[i].scale for i in (0, 1, -2, -1))
    verdict = "linear within noise" if linear else "NOT linear within noise"
    if low <= 0:
        verdict += f" (time did not grow from {s0}x to {s1}x: too noisy; use more --runs)"
    lines += ["",
              f"fit: time = {a:.3f} s + {b:.3f} s/MB * size   R^2 = {r2:.4f}",
              f"marginal s/MB {s2}x->{s3}x over {s0}x->{s1}x: {ratio:.2f}",
              f"rule: linear within noise when that ratio is within "
              f"{RATIO_RANGE[0]:.2f}..{RATIO_RANGE[1]:.2f} (R^2 is for information)",
              f"verdict: {verdict}"]
    data: dict[str, object] = {
        "machine": info, "runs": runs, "modules": list(modules) if modules else "all",
        "not_grown": chosen.kept,
        "scales": [{"scale": t.scale, "bytes": t.size,
                    "median_s": round(t.command.median_s(), 4),
                    "s_per_mb": round(t.command.median_s() / (t.size / MB), 4),
                    "median_rss_mb": round(t.command.median_rss_mb(), 1),
                    "seconds": [round(s.seconds, 4) for s in t.command.samples]}
                   for t in trees],
        "fit": {"a_s": round(a, 4), "b_s_per_mb": round(b, 4), "r2": round(r2, 5)},
        "marginal_ratio": round(ratio, 4) if low > 0 else None,
        "rule": list(RATIO_RANGE), "linear": linear,
    }
    return "\n".join(lines), data, linear


def bench(args: argparse.Namespace) -> int:
    require_posix()
    scales = scales_of(args.scales)
    fixture = args.fixture.resolve()
    if not (fixture / "nanochat" / "gpt.py").is_file():
        raise setup_error(f"{fixture} is not a nanochat-shaped tree (no nanochat/gpt.py)")
    tool = explain_argv()
    info = machine()
    with scratch_dir("nanochat-explain-scaling-") as root:
        workdir = root / "cwd"
        workdir.mkdir()
        cold = cold_cache_env(FreshDirs(root, "cold-cache-"))
        print("choosing what to grow (untimed checks)", file=sys.stderr)
        chosen = plan(tool, fixture, root, scales[-1], args.timeout)
        trees: list[Tree] = []
        for scale in scales:
            path = root / f"tree-{scale}x"
            size = build_tree(fixture, path, scale, frozenset(chosen.kept))
            argv = check_argv(tool, path, chosen.modules or ())
            trees.append(Tree(scale, path, size, Command(f"check {scale}x", argv, cold)))
        print(f"verifying `check` passes on {len(trees)} trees, then {args.warmup} warm-up "
              f"+ {args.runs} rounds", file=sys.stderr)
        for tree in trees:  # also the first warm-up: a failing claim stops us here
            run_once(tree.command, workdir, args.timeout)
        run_rounds([t.command for t in trees], runs=args.runs, warmup=args.warmup,
                   cwd=workdir, timeout=args.timeout)
    text, data, linear = report(trees, chosen, args.runs, info)
    if args.json:
        print(text, file=sys.stderr)
        print(json.dumps(data, indent=2))
    else:
        print(text)
    return 0 if linear else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return main_guard(lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
