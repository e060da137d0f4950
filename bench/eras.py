"""How much of each explanation holds at every upstream nanochat commit.

    python bench/eras.py --repo CLONE [--module M ...] [--every N] [--format json]

For each commit on the first-parent line up to the clone's HEAD (every N-th with
``--every``), every module is explained at that revision (from git's objects; the facts
cache makes a second run fast) and rendered as plain text; the items an explanation shows
(summary, diagram boxes, components, comparison rows, notes) are counted, with those whose
claims all hold. Prints per module the lowest and median share that holds, the commits
under 98%, and the items that fail most often, each with its first and last failing commit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from nanochat_explain.commands.app import catalog
from nanochat_explain.core import Session
from nanochat_explain.queries.timeline import first_parent_commits
from nanochat_explain.render import render
from nanochat_explain.source.cache import FactsCache
from nanochat_explain.source.git import _run
from nanochat_explain.source.locate import at_ref, locate
from nanochat_explain.templates.forms import shown_items

TARGET = 0.98


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--module", action="append", default=[])
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--first-parent", action="store_true",
                        help="only the commits on the first-parent line (default: every commit)")
    parser.add_argument("--templates", default=None)
    parser.add_argument("--format", choices=("plain", "json"), default="plain")
    args = parser.parse_args()

    base = locate(args.repo)
    cat = catalog(args.templates, cache=False)
    templates = [t for t in cat.templates if not args.module or t.module in args.module]
    if args.first_parent:
        commits = first_parent_commits(base.root)
    else:
        out = _run(base.root, "log", "--reverse", "--topo-order", "--format=%H %h %ad",
                   "--date=short", "--abbrev=7", "HEAD")
        commits = [tuple(line.split(" ", 2)) for line in out.splitlines() if line]
    commits = commits[::args.every] + ([] if (len(commits) - 1) % args.every == 0
                                        else [commits[-1]])
    cache = FactsCache()
    shares: dict[str, list[tuple[str, float, int]]] = {t.module: [] for t in templates}
    failing: dict[str, dict[str, list[str]]] = {t.module: {} for t in templates}
    for n, (sha, short, _) in enumerate(commits):
        session = Session(at_ref(base, sha), cache=cache)
        session.mentioned = cat.mentioned
        for t in templates:
            exp = session.explain(t)
            render("plain", "explanation", exp)  # it must render
            its = shown_items(exp)
            held = sum(ok for _, ok in its)
            shares[t.module].append((short, held / len(its), len(its)))
            for key, ok in its:
                if not ok:
                    failing[t.module].setdefault(key, []).append(short)
        if sys.stderr.isatty():
            print(f"\r{n + 1}/{len(commits)}", end="", file=sys.stderr)
    report = {}
    for module, rows in shares.items():
        values = [s for _, s, _ in rows]
        report[module] = {
            "commits": len(rows), "min": min(values), "median": statistics.median(values),
            "under_target": [c for c, s, _ in rows if s < TARGET],
            "failing_items": {k: {"count": len(v), "first": v[0], "last": v[-1]}
                              for k, v in sorted(failing[module].items(),
                                                 key=lambda kv: -len(kv[1]))},
        }
    if args.format == "json":
        print(json.dumps(report, indent=1, sort_keys=True))
        return 0
    for module, r in report.items():
        print(f"{module}: {r['commits']} commits, min {r['min']:.1%}, median {r['median']:.1%}, "
              f"{len(r['under_target'])} under {TARGET:.0%}")
        for key, f in list(r["failing_items"].items())[:15]:
            print(f"    {f['count']:4d}x {key}  ({f['first']} .. {f['last']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
