"""A fork against its base: what the fork's own commits changed, and what upstream changed
since.

A checkout shares history with upstream nanochat when one of its commits is an upstream
commit (the ids are shipped with the timeline); the newest such commit in its history is
the fork's base, unless ``--base REV`` names one. The items' forms and holding at the base
are compared with the checkout now (the fork's own commits and uncommitted changes) and
with upstream's newest (what changed upstream since the base).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from nanochat_explain.explanation import Explanation
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.core import Session

MAX_WALK = 20_000  # commits of the checkout's history looked at for an upstream one


@dataclass(frozen=True)
class Change:
    key: str  # the item: summary, diagram, breakdown:<name>, comparisons:<aspect>, notes:<i>
    before: str  # its form (or "holds"/"no longer holds") at the base
    after: str  # and now

    def as_dict(self) -> dict[str, str]:
        return {"item": self.key, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ForkDrift:
    base: str  # short id of the base commit
    base_date: str
    named: bool  # the base was named with --base rather than found
    own: tuple[Change, ...]  # what the checkout changed since its base
    upstream: tuple[Change, ...]  # what upstream changed since the base (by the timeline)
    upstream_head: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "base_date": self.base_date, "named": self.named,
                "own": [c.as_dict() for c in self.own],
                "upstream": [c.as_dict() for c in self.upstream],
                "upstream_head": self.upstream_head}


def _git(root: Any, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def find_base(root: Any, upstream: frozenset[str], rev: str = "HEAD") -> str | None:
    """The newest upstream commit in the history of ``rev`` (the revision explained)."""
    if not upstream:
        return None
    listed = _git(root, "rev-list", f"--max-count={MAX_WALK}", rev)
    for sha in (listed or "").split():
        if sha in upstream:
            return sha
    return None


def _state(exp: Explanation) -> dict[str, str]:
    """What the reader is told of each item: its form when it has several, else whether it
    holds."""
    out: dict[str, str] = {}
    for c in exp.choices:
        out[c.key] = c.label if c.held else f"{c.label} (no longer holds)"
    plain = [("summary", exp.summary.status)]
    plain += [(f"breakdown:{item.name}", check.status) for item, _, _, check in exp.breakdown]
    plain += [(f"comparisons:{row.aspect}", check.status) for row, _, check in exp.comparisons]
    plain += [(f"notes:{i}", check.status) for i, (_, _, check) in enumerate(exp.notes)]
    for key, status in plain:
        out.setdefault(key, "holds" if status is Status.PASS else "no longer holds")
    return out


def drift(session: Session, base_session: Session, exp: Explanation, base: str,
          named: bool) -> ForkDrift:
    """How ``exp`` (the checkout now) differs from the same module at the fork's base."""
    from nanochat_explain.queries.timeline import runs_of, upstream_head

    then = base_session.explain(exp.original or exp.template)
    before, after = _state(then), _state(exp)
    own = tuple(Change(k, before[k], after[k]) for k in after
                if k in before and before[k] != after[k])
    upstream = []
    for key, was in before.items():
        runs = runs_of(exp.template.module, key)
        if runs and runs[-1].form != was.removesuffix(" (no longer holds)"):
            upstream.append(Change(key, was, runs[-1].shown))
    date = (_git(session.source.root, "show", "-s", "--format=%ad", "--date=short", base)
            or "").strip()
    return ForkDrift(base[:7], date, named, own, tuple(upstream), upstream_head())
