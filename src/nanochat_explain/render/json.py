"""JSON for agents and CI scripts: ``schema_version`` 1, keys sorted, stable."""

from __future__ import annotations

import json

from nanochat_explain.explanation import Explanation
from nanochat_explain.render import Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.model import CheckReport
    from nanochat_explain.queries.diff import ModuleDiff
    from nanochat_explain.queries.find import FindReport
    from nanochat_explain.queries.history import ModuleHistory
    from nanochat_explain.reports import CoverageReport, Listing


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def explanation(exp: Explanation, options: Options) -> str:
    return _dump(exp.as_dict())


def document(exps: list[Explanation], options: Options) -> str:
    return _dump({"schema_version": 1, "modules": [e.as_dict() for e in exps]})


def check(report: CheckReport, options: Options) -> str:
    return _dump(report.as_dict())


def coverage(report: CoverageReport, options: Options) -> str:
    return _dump(report.as_dict())


def diff(d: ModuleDiff, options: Options) -> str:
    return _dump(d.as_dict())


def history(h: ModuleHistory, options: Options) -> str:
    return _dump(h.as_dict())


def listing(listed: Listing, options: Options) -> str:
    return _dump(listed.as_dict())


def find(report: FindReport, options: Options) -> str:
    return _dump(report.as_dict())
