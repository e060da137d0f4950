"""When upstream nanochat had each form of each item: runs of commits along its history.

The runs are computed from nanochat's upstream history (``nanochat-explain snapshot
--timeline``) and shipped in ``data/forms.json``; an item whose key or forms are not in
the data gets no dates, never wrong ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from nanochat_explain.templates.packaged import PACKAGE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FILE = "forms.json"


@dataclass(frozen=True)
class Run:
    """A run of upstream commits that had one form of an item."""

    form: str  # the label as the template writes it
    shown: str  # the label filled with the values the code had in this run
    first: str  # short hash of the first upstream commit with this form
    first_date: str
    last: str  # and of the last, before the next form
    last_date: str

    def as_list(self) -> list[str]:
        return [self.form, self.shown, self.first, self.first_date, self.last, self.last_date]


@cache
def _data() -> dict[str, Any]:
    try:
        data = json.loads((PACKAGE / "data" / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def runs_of(module: str, key: str) -> tuple[Run, ...]:
    raw = _data().get("modules", {}).get(module, {}).get(key, [])
    try:
        return tuple(Run(*map(str, r)) for r in raw)
    except TypeError:
        return ()


# -- building the runs from a clone of upstream nanochat ---------------------------------


def first_parent_commits(root: Any, until: str = "HEAD") -> list[tuple[str, str, str]]:
    """(full hash, short hash, date) of each commit on the first-parent line to ``until``,
    oldest first."""
    from nanochat_explain.source.git import _run

    out = _run(root, "log", "--first-parent", "--reverse", "--format=%H %h %ad",
               "--date=short", "--abbrev=7", until)
    return [tuple(line.split(" ", 2)) for line in out.splitlines() if line]  # type: ignore[misc]


def build(root: Any, templates: Any, until: str = "HEAD",
          progress: Any = None) -> dict[str, Any]:
    """The runs of every item with forms along upstream's first-parent history."""
    from pathlib import Path

    from nanochat_explain.core import Session, fill
    from nanochat_explain.source.cache import FactsCache
    from nanochat_explain.source.locate import at_ref, locate
    from nanochat_explain.templates.forms import choose

    base = locate(str(Path(root)))
    cache = FactsCache()
    commits = first_parent_commits(base.root, until)
    runs: dict[str, dict[str, list[list[str]]]] = {}
    for n, (sha, short, date) in enumerate(commits):
        session = Session(at_ref(base, sha), cache=cache)
        for template in templates:
            results = {r.id: r for r in session.check(template)}
            chosen = choose(template, results)
            for c in chosen.choices:
                item = runs.setdefault(template.module, {}).setdefault(c.key, [])
                shown = fill(c.label, chosen.values)
                if item and item[-1][0] == c.label:
                    item[-1][1], item[-1][4], item[-1][5] = shown, short, date
                else:
                    item.append([c.label, shown, short, date, short, date])
        if progress is not None:
            progress(n + 1, len(commits))
    from nanochat_explain.source.git import _run

    every = _run(base.root, "rev-list", "--topo-order", "--reverse", until).split()
    return {"schema_version": 1, "upstream_head": commits[-1][1] if commits else None,
            "upstream_commits": every,
            "modules": {m: dict(sorted(items.items())) for m, items in sorted(runs.items())}}


def upstream_commits() -> frozenset[str]:
    """The full ids of every upstream nanochat commit the timeline was built from."""
    return frozenset(_data().get("upstream_commits", ()))


def upstream_head() -> str | None:
    head = _data().get("upstream_head")
    return head if isinstance(head, str) else None


def main(argv: list[str] | None = None) -> int:
    """Rebuild data/forms.json from a clone of upstream nanochat:
    ``python -m nanochat_explain.queries.timeline --repo CLONE [--until REV] [-o FILE]``."""
    import argparse
    import sys

    from nanochat_explain.templates.packaged import load_packaged

    parser = argparse.ArgumentParser(prog="python -m nanochat_explain.queries.timeline",
                                     description=main.__doc__)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--until", default="HEAD")
    parser.add_argument("-o", "--out", default=str(PACKAGE / "data" / FILE))
    args = parser.parse_args(argv)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total}", end="", file=sys.stderr)

    text = dumps(build(args.repo, load_packaged(cache=False).templates, args.until, progress))
    from pathlib import Path

    from nanochat_explain.source.files import write_atomic

    write_atomic(Path(args.out), text, force=True)  # the data file is rebuilt, by intent
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
