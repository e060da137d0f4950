"""GitHub-flavoured Markdown: the diagram in a fenced block, the rest as tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nanochat_explain.model import Checked, Explanation, Status
from nanochat_explain.render import Options
from nanochat_explain.render.text import (
    NOTES_HEADING,
    UNCOVERED_HEADING,
    config_rows,
    cost_rows,
    coverage_text,
    depth_heading,
    diff_text,
    drift_heading,
    drift_lines,
    fork_lines,
    form_text,
    group_rows,
    history_heading,
    history_rows,
    missing_text,
    param_rows,
    problem_refs,
    problems,
    shown,
    source_line,
    summary_counts,
    unchanged,
    uncovered_line,
)

if TYPE_CHECKING:
    from nanochat_explain.diffing import ModuleDiff
    from nanochat_explain.finding import FindReport
    from nanochat_explain.history import ModuleHistory
    from nanochat_explain.reports import CheckReport, CoverageReport, Listing


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(head), "|" + "|".join("---" for _ in head) + "|", *(_row(r) for r in rows)]


def _where(check: Checked) -> str:
    return f"{check.status.mark} `{check.location}`"


def _now(check: Checked) -> str:
    """Which of a piece's claims fail, to append in place (the details are listed once)."""
    return "".join(f" **{line}**" for line in problem_refs(check))


def _form(exp: Explanation, section: str, index: int) -> str:
    text = form_text(exp, section, index)
    return "" if text is None else f" *({text})*"


def explanation(exp: Explanation, options: Options) -> str:
    t = exp.template
    out = [f"# {t.title}", ""]
    sources = ", ".join(f"`{s}`" for s in t.sources)
    out += [f"*{source_line(exp.source)} · {sources}*", "",
            f"{exp.summary.status.mark} {t.summary}{_now(exp.summary)}", ""]
    fork = fork_lines(exp)
    if fork:
        out += [f"**{fork[0]}**", "", *(f"- {line.strip()}" for line in fork[1:]), ""]
    bad = problems(exp)
    if bad:
        out += [f"> **{drift_heading(bad)}**", ">"]
        out += [f"> - {line}" for line in drift_lines(bad)]
        out.append("")
    d = exp.diagram_check
    out += ["## Data flow", "", "```text", exp.diagram.rstrip("\n"), "```", ""]
    out += [f"{d.status.mark} backed by {len(d.results)} claims.{_now(d)}"
            f"{_form(exp, 'diagram', 0)}", ""]
    if exp.boxes:
        rows = [[check.status.mark, box.label, f"`{check.location}`" + _now(check)]
                for box, check in exp.boxes]
        out += _table(["", "Box", "Where"], rows)
        out.append("")
    out += _depth(exp)
    out += ["## Components", ""]
    rows = [[check.status.mark, item.name, f"`{check.location}`",
             what + _form(exp, "breakdown", i) + _now(check), why]
            for i, (item, what, why, check) in enumerate(exp.breakdown)]
    out += _table(["", "Component", "Where", "What", "Why"], rows)
    if exp.notes:
        out += ["", f"## {NOTES_HEADING}", ""]
        rows = [[check.status.mark, text + _form(exp, "notes", i) + _now(check),
                 f"`{check.location}`"] for i, (_, text, check) in enumerate(exp.notes)]
        out += _table(["", "Note", "Code"], rows)
    out += ["", "## Compared with standard implementations", ""]
    rows = [[row.aspect, f"{text} ({_where(check)}){_form(exp, 'comparisons', i)}{_now(check)}",
             *(o for _, o in row.others)] for i, (row, text, check) in enumerate(exp.comparisons)]
    out += _table(["Aspect", "nanochat", *t.compare_with], rows)
    out += ["", "## Papers", ""]
    rows = [[p.title, p.first_author, str(p.year),
             f"[{p.arxiv}](https://arxiv.org/abs/{p.arxiv})", p.backs] for p in t.papers]
    out += _table(["Paper", "First author", "Year", "arXiv", "Backs"], rows)
    if exp.uncovered:
        out += ["", f"## {UNCOVERED_HEADING}", ""]
        out += [f"- `{uncovered_line(u)}`" for u in exp.uncovered]
    out += ["", "## Claims", ""]
    rows = [[r.status.mark + " " + r.status.value, f"`{r.id}`", f"`{r.location}`", r.detail]
            for r in exp.results]
    out += _table(["Status", "Claim", "Where", "Detail"], rows)
    return "\n".join(out) + "\n"


def _depth(exp: Explanation) -> list[str]:
    if exp.depth_note:
        return [f"*Shapes stay symbolic: {exp.depth_note}*", ""]
    if exp.depth is None:
        return []
    d = exp.depth
    out = [f"## {depth_heading(d)}", ""]
    out += [*_table(["Config", "Value"], [list(r) for r in config_rows(d)]), ""]
    out += [*_table(["Parameters", "Count"], [list(r) for r in param_rows(d)]), ""]
    out += [*_table(["Cost", "Value"], [list(r) for r in cost_rows(d)]), ""]
    out += [*_table(["Optimizer group", "Hyperparameters", "Tensors", "Params"],
                    [list(r) for r in group_rows(d)]), ""]
    out += [f"- {n}" for n in d["notes"]]
    return [*out, ""] if d["notes"] else out


def _slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def index(exps: list[Explanation], options: Options | None = None) -> str:
    out = ["# nanochat, explained", ""]
    if exps:
        out += [f"*{source_line(exps[0].source)}*", ""]
    rows = [[f"[{e.template.module}]({e.template.module}.md)", e.template.summary,
             f"{sum(r.status is Status.PASS for r in e.results)}/{len(e.results)}"]
            for e in exps]
    out += _table(["Module", "Summary", "Claims holding"], rows)
    return "\n".join(out) + "\n"


def document(exps: list[Explanation], options: Options) -> str:
    """Every module in one document, with a table of contents."""
    out = ["# nanochat, explained", ""]
    if exps:
        out += [f"*{source_line(exps[0].source)}*", ""]
    out += ["## Contents", ""]
    out += [f"- [{e.template.title}](#{_slug(e.template.title)}): {e.template.summary}"
            for e in exps]
    for e in exps:
        # one level down: each module's title becomes a section of this document
        fenced = False
        for line in explanation(e, options).split("\n"):
            fenced ^= line.startswith("```")
            out.append("#" + line if line.startswith("#") and not fenced else line)
    return "\n".join(out).rstrip("\n") + "\n"


def check(report: CheckReport, options: Options) -> str:
    out = ["# nanochat-explain check", "",
           f"*{source_line(report.source)}*", ""]
    rows = [[module, f"{sum(r.status is Status.PASS for r in results)}/{len(results)}",
             coverage_text(*cov)]
            for (module, results), cov in zip(report.modules, report.coverage, strict=True)]
    out += _table(["Module", "Claims holding", "Coverage"], rows)
    out.append("")
    rows = []
    for module, results in report.modules:
        for r in results:
            rows.append([module, r.status.mark + " " + r.status.value, f"`{r.id}`",
                         f"`{r.location}`", r.detail])
    out += _table(["Module", "Status", "Claim", "Where", "Detail"], rows)
    out += ["", summary_counts(report)]
    failing = [r for _, results in report.modules for r in results if r.status is not Status.PASS]
    if failing:
        out += ["", f"**{len(failing)} claims do not hold.**"]
    return "\n".join(out) + "\n"


def coverage(report: CoverageReport, options: Options) -> str:
    out = ["# nanochat-explain coverage", "",
           f"*{source_line(report.source)}*", "",
           f"{report.mentioned}/{report.total} classes and functions mentioned by a template.",
           ""]
    rows = [[f"`{u.file}:{u.line}`", f"`{u.name}`", u.kind] for u in report.unmentioned]
    out += _table(["Where", "Not mentioned", "Kind"], rows)
    return "\n".join(out) + "\n"


def diff(d: ModuleDiff, options: Options) -> str:
    return diff_text(d, markdown=True)


def history(h: ModuleHistory, options: Options) -> str:
    out = [f"# {history_heading(h)}"]
    for title, tracks, values in (("Values", h.values, True), ("Claims", h.claims, False)):
        rows = [[f"`{t.name}`", f"`{shown(t.now)}`" if values else t.now, commit, date,
                 change, subject]
                for t in tracks for commit, date, change, subject in history_rows(t, values)]
        still = unchanged(tracks, values)
        if rows or still:
            out += ["", f"## {title}", ""]
        if rows:
            out += _table([title[:-1], "now", "commit", "date", "change", "subject"], rows)
        if still:
            out += ["", still]
    return "\n".join(out) + "\n"


def listing(listed: Listing, options: Options) -> str:
    head = ["Module", "Summary", "Sources", "Aliases"]
    rows = [[f"`{t.module}`", t.summary, ", ".join(f"`{s}`" for s in t.sources),
             ", ".join(t.aliases)] + ([] if missing is None else [missing_text(missing)])
            for t, missing in listed.rows()]
    if listed.source is None:
        return "\n".join(_table(head, rows)) + "\n"
    lines = [source_line(listed.source), "", *_table([*head, "Files"], rows)]
    return "\n".join(lines) + "\n"


def find(report: FindReport, options: Options) -> str:
    out = [f"# find: {_cell(report.query) or '(no words)'}", "",
           f"*{source_line(report.source)}*", ""]
    if not report.empty_query and not report.modules:
        out.append(f"Nothing matches *{' '.join(report.terms)}*; the modules: "
                   + ", ".join(f"`{m}`" for m in report.all_modules) + ".")
        return "\n".join(out) + "\n"
    if report.empty_query:
        out += ["No words to search for; the modules (explain one with "
                "`nanochat-explain explain MODULE`):", ""]
    out += _table(["Module", "", "Title", "Matches"],
                  [[f"`{m.module}`", m.status.mark, m.title, ", ".join(m.matched)]
                   for m in report.modules])
    if report.hits:
        out += ["", "## Statements", ""]
        out += _table(["", "Module", "Kind", "Statement", "Where"],
                      [[h.status.mark, f"`{h.module}`", h.kind,
                        h.name if h.text == h.name else f"{h.name}: {h.text}",
                        f"`{h.location}`" if h.location else ""] for h in report.hits])
    return "\n".join(out) + "\n"
