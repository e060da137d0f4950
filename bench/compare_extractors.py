"""Compare the libcst extractor with the old ast one, fact by fact, over nanochat's history.

For each of N revisions spread evenly over the history of a nanochat clone, every ``.py``
file is read from git (each distinct blob once) and extracted by both: the product's
libcst extractor and the ast extractor it replaced (tests/ast_oracle.py). Every field the
old extractor produced must be equal; comments and docstrings are new and not compared.

    python bench/compare_extractors.py --repo $NANOCHAT_DIR [--revisions 30] [--json]

Exit 0 when every file's facts are equal, 1 otherwise (the first differences are shown).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import ast_oracle
from nanochat_explain.facts.extract import extract
from nanochat_explain.facts.model import FileFacts

FIELDS = ("line_count", "classes", "functions", "assigns", "calls", "conditions", "imports")


@dataclass
class Comparison:
    revisions: list[str] = field(default_factory=list)
    files: int = 0  # (revision, path) pairs
    blobs: int = 0  # distinct blobs compared
    equal: int = 0
    unparsable: int = 0  # rejected by both extractors alike
    differences: list[str] = field(default_factory=list)
    seconds_old: float = 0.0
    seconds_new: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"revisions": len(self.revisions), "files": self.files, "blobs": self.blobs,
                "equal": self.equal, "unparsable": self.unparsable,
                "different": len(self.differences), "first_differences": self.differences[:10],
                "seconds_old": round(self.seconds_old, 2),
                "seconds_new": round(self.seconds_new, 2)}


def differences(old: FileFacts, new: FileFacts) -> list[str]:
    """Each field of the old facts that the new ones do not reproduce, item by item."""
    out = []
    new = replace(new, comments=(), docstrings=())
    for name in FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if isinstance(a, tuple) and isinstance(b, tuple):
            for i, (x, y) in enumerate(zip(a, b, strict=False)):
                if x != y:
                    out.append(f"{name}[{i}]: ast {x!r} / libcst {y!r}")
                    break
            else:
                out.append(f"{name}: {len(a)} items with ast, {len(b)} with libcst")
        else:
            out.append(f"{name}: ast {a!r} / libcst {b!r}")
    return out


def spread(repo: Path, n: int) -> list[str]:
    """N commits spread evenly over the history, the first and the newest included."""
    commits = subprocess.run(["git", "-C", str(repo), "rev-list", "--reverse", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split()
    if len(commits) <= n:
        return commits
    return [commits[round(i * (len(commits) - 1) / (n - 1))] for i in range(n)]


def compare(repo: Path, n: int) -> Comparison:
    result = Comparison(revisions=spread(repo, n))
    seen: set[str] = set()
    pending: list[tuple[str, str]] = []
    for rev in result.revisions:
        listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", rev],
                                 capture_output=True, text=True, check=True).stdout
        for row in listing.splitlines():
            meta, path = row.split("\t", 1)
            _, kind, blob = meta.split()
            if kind == "blob" and path.endswith(".py"):
                result.files += 1
                if blob not in seen:
                    seen.add(blob)
                    pending.append((blob, path))
    cat = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"],
                         input="".join(f"{b}\n" for b, _ in pending).encode(),
                         capture_output=True, check=True).stdout
    at = 0
    for blob, path in pending:
        header_end = cat.index(b"\n", at)
        size = int(cat[at:header_end].split()[2])
        text = cat[header_end + 1:header_end + 1 + size].decode("utf-8", "replace")
        at = header_end + 1 + size + 1
        result.blobs += 1
        started = time.perf_counter()
        try:
            old: FileFacts | None = ast_oracle.extract(text, path)
        except (SyntaxError, ValueError, RecursionError):
            old = None
        middle = time.perf_counter()
        try:
            new: FileFacts | None = extract(text, path)
        except (SyntaxError, ValueError, RecursionError):
            new = None
        result.seconds_old += middle - started
        result.seconds_new += time.perf_counter() - middle
        if old is None and new is None:
            result.unparsable += 1
        elif old is None or new is None:
            result.differences.append(f"{path} ({blob[:7]}): only one extractor parses it")
        else:
            found = differences(old, new)
            if found:
                result.differences.append(f"{path} ({blob[:7]}): {found[0]}")
            else:
                result.equal += 1
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="a nanochat git clone")
    parser.add_argument("--revisions", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = compare(args.repo, args.revisions)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    else:
        d = result.as_dict()
        print(f"{d['revisions']} revisions, {d['files']} .py files, {d['blobs']} distinct blobs: "
              f"{d['equal']} equal, {d['different']} different, {d['unparsable']} rejected "
              f"by both")
        print(f"extraction time: ast {d['seconds_old']} s, libcst {d['seconds_new']} s")
        for line in d["first_differences"]:
            print("  " + line)
    return 0 if not result.differences else 1


if __name__ == "__main__":
    sys.exit(main())
