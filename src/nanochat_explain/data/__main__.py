"""Rebuild the data the package ships, from a clone of upstream nanochat at the pinned
commit::

    python -m nanochat_explain.data --repo CLONE [--until REV] [--only FILE]...

In this folder: ``templates.pickle`` (the templates, validated ahead of time),
``upstream.facts.zlib`` (the facts of every version of every file the templates read, at
every upstream commit up to ``--until``), ``nanochat.facts.json`` (the facts of the clone's
checkout, used when no checkout is found) and ``forms.json`` (when upstream had each form).
A file is written only when it changes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent


def _templates(repo: str, until: str, path: Path) -> str:
    from nanochat_explain.source.files import write_atomic
    from nanochat_explain.templates import packaged

    fresh = packaged.load_packaged(cache=False)
    shipped = packaged._unpack(packaged._read_bytes(path), packaged.packaged_key())
    if shipped is not None and shipped.templates == fresh.templates:
        return f"unchanged: {path}"  # pickling is not byte-stable: keep what holds
    write_atomic(path, packaged.prebuilt(), force=True)
    return f"wrote {path}"


def _upstream(repo: str, until: str, path: Path) -> str:
    from nanochat_explain.commands import publish

    return "\n".join(publish.snapshot_upstream(repo, str(path), True, until=until)
                     .told(str(path)).err)


def _snapshot(repo: str, until: str, path: Path) -> str:
    from nanochat_explain.commands import publish

    return "\n".join(publish.snapshot(repo, str(path), True).told(str(path)).err)


def _forms(repo: str, until: str, path: Path) -> str:
    from nanochat_explain.queries import timeline
    from nanochat_explain.source.files import write_atomic
    from nanochat_explain.templates.packaged import load_packaged

    text = timeline.dumps(timeline.build(repo, load_packaged(cache=False).templates, until))
    return f"{'wrote' if write_atomic(path, text, force=True) else 'unchanged:'} {path}"


# in the order they are built: the bundle and the snapshot read the validated templates
REBUILD: dict[str, Callable[[str, str, Path], str]] = {
    "templates.pickle": _templates,
    "upstream.facts.zlib": _upstream,
    "nanochat.facts.json": _snapshot,
    "forms.json": _forms,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nanochat_explain.data",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True, help="a clone of upstream nanochat")
    parser.add_argument("--until", default="HEAD",
                        help="the newest upstream commit the bundle and the forms cover")
    parser.add_argument("--only", action="append", choices=tuple(REBUILD), metavar="FILE",
                        help="rebuild only FILE (repeatable): " + ", ".join(REBUILD))
    args = parser.parse_args(argv)
    for name, rebuild in REBUILD.items():
        if args.only is None or name in args.only:
            print(rebuild(args.repo, args.until, DATA / name), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
