"""Words shared by the human-facing renderers."""

from __future__ import annotations

from nanochat_explain.model import CheckReport, Explanation, Result, SourceInfo, Status


def source_line(source: SourceInfo) -> str:
    return f"checked against {source.text}"


def drift_heading(problems: list[Result]) -> str:
    n = len(problems)
    noun = "statement no longer holds" if n == 1 else "statements no longer hold"
    return f"DRIFT: {n} {noun} against this code"


def problem_line(r: Result) -> str:
    word = "CHANGED" if r.status is Status.FAIL else "UNCHECKED"
    return f"{r.status.mark} {word} [{r.id}] {r.location}: {r.detail}"


def problems(exp: Explanation) -> list[Result]:
    return [r for r in exp.results if r.status is not Status.PASS]


NOTES_HEADING = "Where nanochat's comments disagree with its code"


def coverage_text(backed: int, total: int) -> str:
    return f"{backed}/{total} items backed"


def summary_counts(report: CheckReport) -> str:
    return ", ".join(f"{report.count(s)} {s.value}" for s in Status)
