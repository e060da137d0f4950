"""Time the parser on the files a full check reads: import, guard, parse, positions, walk.

    python bench/parser.py --repo $NANOCHAT_DIR [--runs 11] [--json]

Each stage is timed over all the files together, the median of ``--runs`` runs; the
import of libcst is timed in fresh interpreters. The old ast extractor (tests/ast_oracle.py)
is timed beside it for comparison.
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def files_read(repo: Path) -> list[Path]:
    """The files the shipped templates read."""
    from nanochat_explain.templates.packaged import load_packaged

    paths = sorted({s for t in load_packaged().templates for s in t.sources})
    return [repo / p for p in paths if (repo / p).is_file()]


def import_seconds(runs: int) -> float:
    code = "import time; t = time.perf_counter(); import libcst; print(time.perf_counter() - t)"
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout) for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import libcst as cst

    import ast_oracle
    from nanochat_explain.facts import canon
    from nanochat_explain.facts.extract import _Collector, _comments, _note_compound, extract
    from nanochat_explain.facts.positions import Positions

    paths = files_read(args.repo)
    sources = [(p.read_text(encoding="utf-8"), str(p)) for p in paths]
    stages: dict[str, list[float]] = {k: [] for k in (
        "ast guard", "libcst parse_module", "positions", "walk", "extract (all stages)",
        "old ast extractor", "PositionProvider (public)")}
    from libcst.metadata import MetadataWrapper, PositionProvider

    for _ in range(args.runs):
        canon._PRINTED.clear()
        t0 = time.perf_counter()
        for s, _p in sources:
            ast.parse(s)
        t1 = time.perf_counter()
        modules = [cst.parse_module(s) for s, _p in sources]
        t2 = time.perf_counter()
        positions = [Positions(m, s) for m, (s, _p) in zip(modules, sources, strict=True)]
        t3 = time.perf_counter()
        for pos, module in zip(positions, modules, strict=True):
            collector = _Collector(pos)
            _note_compound(collector)
            collector.visit_all(module.body)
            _comments(collector)
        t4 = time.perf_counter()
        canon._PRINTED.clear()
        for s, p in sources:
            extract(s, p)
        t5 = time.perf_counter()
        for s, p in sources:
            ast_oracle.extract(s, p)
        t6 = time.perf_counter()
        for m in modules:
            MetadataWrapper(m, unsafe_skip_copy=True).resolve(PositionProvider)
        t7 = time.perf_counter()
        for key, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5,
                                       t7 - t6), strict=True):
            stages[key].append(value)
    result = {"files": len(paths), "kB": round(sum(len(s) for s, _ in sources) / 1000),
              "runs": args.runs, "import libcst": round(import_seconds(args.runs), 3),
              **{k: round(statistics.median(v), 3) for k, v in stages.items()}}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}{' s' if isinstance(value, float) else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
