"""What each command does, as functions over the core that return values.

The CLI only parses flags, calls these, renders and maps errors to exit codes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from nanochat_explain.core import Session
from nanochat_explain.core import coverage as core_coverage
from nanochat_explain.errors import ExplainError, UsageError
from nanochat_explain.locate import locate
from nanochat_explain.model import CheckReport, CoverageReport, Explanation, Template
from nanochat_explain.templates import Catalog, load_dir, load_packaged


def catalog(templates_dir: str | None = None) -> Catalog:
    if templates_dir is None:
        return load_packaged()
    path = Path(templates_dir)
    if not path.is_dir():
        raise UsageError(f"--templates {templates_dir}: no such directory")
    return load_dir(path)


def resolve(cat: Catalog, name: str) -> Template:
    template = cat.get(name)
    if template is not None:
        return template
    aliases = cat.aliases()
    names = sorted({*cat.names(), *aliases})
    close = difflib.get_close_matches(name.lower(), names, n=5, cutoff=0.6)
    modules = list(dict.fromkeys(aliases.get(c, c) for c in close))[:3]
    hint = f"; did you mean {' or '.join(modules)}?" if modules else ""
    raise UsageError(f"unknown module {name!r}{hint} (modules: {', '.join(cat.names())})")


@dataclass(frozen=True)
class ExplainRun:
    explanation: Explanation
    unreadable: tuple[ExplainError, ...]  # files the module needs that could not be parsed


def explain(module: str, repo: str | None, templates_dir: str | None = None) -> ExplainRun:
    template = resolve(catalog(templates_dir), module)
    session = Session(locate(repo))
    exp = session.explain(template)
    return ExplainRun(exp, tuple(session.problems()))


def coverage(repo: str | None, templates_dir: str | None = None) -> CoverageReport:
    session = Session(locate(repo))
    return core_coverage(session, catalog(templates_dir).templates)


@dataclass(frozen=True)
class CheckRun:
    report: CheckReport
    unreadable: tuple[ExplainError, ...]


def check(modules: tuple[str, ...], repo: str | None,
          templates_dir: str | None = None) -> CheckRun:
    cat = catalog(templates_dir)
    chosen = [resolve(cat, m) for m in modules] if modules else list(cat.templates)
    session = Session(locate(repo))
    report = session.check_all(chosen)
    return CheckRun(report, tuple(session.problems()))
