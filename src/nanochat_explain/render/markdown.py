"""GitHub-flavoured Markdown: the diagram in a fenced block, the rest as tables."""

from __future__ import annotations

from collections.abc import Sequence

from nanochat_explain.explanation import Checked, Explanation
from nanochat_explain.model import Result, Status
from nanochat_explain.render import Options
from nanochat_explain.render.mdtext import cell, code
from nanochat_explain.render.mdtext import inline as md
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
    still_claims,
    summary_counts,
    unchanged,
    uncovered_line,
    verdict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.model import CheckReport
    from nanochat_explain.queries.diff import ModuleDiff
    from nanochat_explain.queries.find import FindReport
    from nanochat_explain.queries.history import ModuleHistory
    from nanochat_explain.reports import CoverageReport, Listing


def _row(cells: list[str]) -> str:
    """Cells already in Markdown (see :func:`md`), put on one line."""
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [_row([md(h) for h in head]), "|" + "|".join("---" for _ in head) + "|",
            *(_row(r) for r in rows)]


def _where(check: Checked) -> str:
    return f"{check.status.mark} {code(check.location)}"


def _problems(check: Checked, indent: str = "") -> list[str]:
    """Which of a piece's claims no longer hold, in bold (what the code has now is said
    once, in the drift list at the top)."""
    return [f"{indent}- **{md(line)}**" for line in problem_refs(check)]


def _form(exp: Explanation, section: str, index: int) -> list[str]:
    """Which form of the item the code has, when the template knows several."""
    text = form_text(exp, section, index)
    return [] if text is None else [f"*{md(text)}*", ""]


def _said(check: Checked, text: str) -> str:
    """A statement, marked when it no longer holds (its words, not filled from the code)."""
    label = verdict(check)
    return (f"**{label.strip()}** " if label else "") + md(text)


def explanation(exp: Explanation, options: Options) -> str:
    t = exp.template
    out = [f"# {md(t.title)}", ""]
    sources = ", ".join(code(s) for s in exp.files)
    out += [f"*{md(source_line(exp.source))} · {sources}*", "",
            f"{exp.summary.status.mark} {_said(exp.summary, t.summary)}", ""]
    fork = fork_lines(exp)
    if fork:
        out += [f"**{md(fork[0])}**", "", *(f"- {md(line.strip())}" for line in fork[1:]), ""]
    bad = problems(exp)
    if bad:
        out += [f"> **{md(drift_heading(bad))}**", ">"]
        out += [f"> - {md(line)}" for line in drift_lines(bad)]
        out.append("")
    out += _diagram(exp)
    out += _depth(exp)
    out += _components(exp)
    out += _notes(exp)
    out += _comparisons(exp)
    out += _papers(exp)
    out += _uncovered(exp)
    out += _claims(exp)
    return "\n".join(out).rstrip("\n") + "\n"


def _diagram(exp: Explanation) -> list[str]:
    d = exp.diagram_check
    fence = "````" if "```" in exp.diagram else "```"
    out = ["## Data flow", "", f"{fence}text", exp.diagram.rstrip("\n"), fence, ""]
    out += [f"{d.status.mark} backed by {len(d.results)} claims.", ""]
    out += _form(exp, "diagram", 0)
    if d.problems:
        out += [*_problems(d), ""]
    if exp.boxes:
        rows = [[check.status.mark, code(box.label), code(check.location)]
                for box, check in exp.boxes]
        out += [*_table(["", "Box", "Where"], rows), ""]
        for box, check in exp.boxes:
            if check.problems:
                out += [f"Box {code(box.label)}:", "", *_problems(check), ""]
    return out


def _components(exp: Explanation) -> list[str]:
    """A section per component: a table cell cannot hold a paragraph of prose."""
    out = ["## Components", ""]
    for i, (item, what, why, check) in enumerate(exp.breakdown):
        out += [f"### {check.status.mark} {md(item.name)}", "",
                f"{code(item.symbol)} · {code(check.location)}", "", _said(check, what), ""]
        out += _form(exp, "breakdown", i)
        if why:
            out += [f"Why: {md(why)}", ""]
        if check.problems:
            out += [*_problems(check), ""]
    return out


def _notes(exp: Explanation) -> list[str]:
    if not exp.notes:
        return []
    out = [f"## {md(NOTES_HEADING)}", ""]
    for i, (_, text, check) in enumerate(exp.notes):
        form = form_text(exp, "notes", i)
        out.append(f"- {check.status.mark} {_said(check, text)} ({code(check.location)})"
                   + (f" *({md(form)})*" if form else ""))
        out += _problems(check, "  ")
    return [*out, ""]


def _comparisons(exp: Explanation) -> list[str]:
    t = exp.template
    out = ["## Compared with standard implementations", ""]
    rows = [[md(row.aspect), f"{_said(check, text)} ({_where(check)})",
             *(md(o) for _, o in row.others)]
            for row, text, check in exp.comparisons]
    out += [*_table(["Aspect", "nanochat", *t.compare_with], rows), ""]
    for i, (row, _, check) in enumerate(exp.comparisons):
        form = form_text(exp, "comparisons", i)
        if form or check.problems:  # below the table, to keep its cells short
            out += [f"{md(row.aspect)}:", "", *([f"- *{md(form)}*"] if form else []),
                    *_problems(check), ""]
    return out


def _papers(exp: Explanation) -> list[str]:
    rows = [[md(p.title), md(p.first_author), str(p.year),
             f"[{p.arxiv}](https://arxiv.org/abs/{p.arxiv})", md(p.backs)]
            for p in exp.template.papers]
    return ["## Papers", "", *_table(["Paper", "First author", "Year", "arXiv", "Backs"], rows),
            ""]


def _uncovered(exp: Explanation) -> list[str]:
    if not exp.uncovered:
        return []
    return [f"## {md(UNCOVERED_HEADING)}", "",
            *(f"- {code(uncovered_line(u))}" for u in exp.uncovered), ""]


def _claims(exp: Explanation) -> list[str]:
    """Each claim with what it checks, in words; a list, since a detail can be long."""
    out = ["## Claims", ""]
    out += [f"- {r.status.mark} {r.status.value} {code(r.id)} at {code(r.location)}: "
            f"{md(r.detail)}" for r in exp.results]
    return out


def _depth(exp: Explanation) -> list[str]:
    if exp.depth_note:
        return [f"*{md('Shapes stay symbolic: ' + exp.depth_note)}*", ""]
    if exp.depth is None:
        return []
    d = exp.depth

    def rows(found: Sequence[tuple[str, ...]]) -> list[list[str]]:
        return [[md(c) for c in r] for r in found]

    out = [f"## {md(depth_heading(d))}", ""]
    out += [*_table(["Config", "Value"], rows(config_rows(d))), ""]
    out += [*_table(["Parameters", "Count"], rows(param_rows(d))), ""]
    out += [*_table(["Cost", "Value"], rows(cost_rows(d))), ""]
    out += [*_table(["Optimizer group", "Hyperparameters", "Tensors", "Params"],
                    rows(group_rows(d))), ""]
    out += [f"- {md(n)}" for n in d["notes"]]
    return [*out, ""] if d["notes"] else out


def _slug(title: str) -> str:
    """GitHub's anchor for a heading (as written, before any escaping)."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def _holding(e: Explanation) -> str:
    return f"{sum(r.status is Status.PASS for r in e.results)}/{len(e.results)}"


def index(exps: list[Explanation], options: Options | None = None) -> str:
    out = ["# nanochat, explained", ""]
    if exps:
        out += [f"*{md(source_line(exps[0].source))}*", ""]
    rows = [[f"[{e.template.module}]({e.template.module}.md)", md(e.template.summary),
             _holding(e)] for e in exps]
    out += _table(["Module", "Summary", "Claims holding"], rows)
    return "\n".join(out) + "\n"


def document(exps: list[Explanation], options: Options) -> str:
    """Every module in one document, with a table of contents."""
    out = ["# nanochat, explained", ""]
    if exps:
        out += [f"*{md(source_line(exps[0].source))}*", ""]
    out += ["## Contents", ""]
    out += [f"- [{md(e.template.title)}](#{_slug(e.template.title)}): "
            f"{md(e.template.summary)}" for e in exps]
    for e in exps:
        # one level down: each module's title becomes a section of this document
        out.append("")
        fence = ""
        for line in explanation(e, options).split("\n"):
            if fence and line == fence:
                fence = ""
            elif not fence and line.startswith("```"):
                fence = line[: len(line) - len(line.lstrip("`"))]
            out.append("#" + line if line.startswith("#") and not fence else line)
    return "\n".join(out).rstrip("\n") + "\n"


def check(report: CheckReport, options: Options) -> str:
    out = ["# nanochat-explain check", "", f"*{md(source_line(report.source))}*", ""]
    rows = [[code(module), _count(results), md(coverage_text(*cov))]
            for (module, results), cov in zip(report.modules, report.coverage, strict=True)]
    out += _table(["Module", "Claims holding", "Coverage"], rows)
    for module, results in report.modules:
        out += ["", f"## {md(module)}", ""]
        out += [f"- {r.status.mark} {r.status.value} {code(r.id)} at {code(r.location)}: "
                f"{md(r.detail)}" for r in results]
    out += ["", md(summary_counts(report))]
    failing = [r for _, results in report.modules for r in results if r.status is not Status.PASS]
    if failing:
        out += ["", f"**{len(failing)} claims do not hold.**"]
    return "\n".join(out) + "\n"


def _count(results: tuple[Result, ...]) -> str:
    return f"{sum(r.status is Status.PASS for r in results)}/{len(results)}"


def coverage(report: CoverageReport, options: Options) -> str:
    out = ["# nanochat-explain coverage", "", f"*{md(source_line(report.source))}*", "",
           f"{report.mentioned}/{report.total} classes and functions mentioned by a template.",
           ""]
    rows = [[code(f"{u.file}:{u.line}"), code(u.name), u.kind] for u in report.unmentioned]
    out += _table(["Where", "Not mentioned", "Kind"], rows)
    return "\n".join(out) + "\n"


def diff(d: ModuleDiff, options: Options) -> str:
    return diff_text(d, markdown=True)


def history(h: ModuleHistory, options: Options) -> str:
    out = [f"# {md(history_heading(h))}"]
    for title, tracks, values in (("Values", h.values, True), ("Claims", h.claims, False)):
        rows = [[code(t.name), code(shown(t.now)) if values else t.now, commit, date,
                 md(change), md(subject)]
                for t in tracks for commit, date, change, subject in history_rows(t, values)]
        still = unchanged(tracks, values)
        quiet = [] if values else still_claims(tracks)
        if rows or still or quiet:
            out += ["", f"## {title}", ""]
        if rows:
            out += _table([title[:-1], "now", "commit", "date", "change", "subject"], rows)
        if not values:
            checks = [t for t in tracks if t.changes and t.statement]
            if checks:
                out += ["", *(f"- {code(t.name)} checks: {md(t.statement)}" for t in checks)]
        if still:
            out += ["", md(still)]
        for status, claims in quiet:
            out += ["", f"No change in the commits walked, {status} now:", ""]
            out += [f"- {code(t.name)}: {md(t.statement)}" for t in claims]
    return "\n".join(out) + "\n"


def listing(listed: Listing, options: Options) -> str:
    head = ["Module", "Summary", "Sources", "Aliases"]
    rows = [[code(t.module), md(t.summary), ", ".join(code(s) for s in t.sources),
             md(", ".join(t.aliases))] + ([] if missing is None else [md(missing_text(missing))])
            for t, missing in listed.rows()]
    if listed.source is None:
        return "\n".join(_table(head, rows)) + "\n"
    lines = [md(source_line(listed.source)), "", *_table([*head, "Files"], rows)]
    return "\n".join(lines) + "\n"


def find(report: FindReport, options: Options) -> str:
    out = [f"# find: {md(report.query) or '(no words)'}", "",
           f"*{md(source_line(report.source))}*", ""]
    if not report.empty_query and not report.modules:
        out.append(f"Nothing matches *{md(' '.join(report.terms))}*; the modules: "
                   + ", ".join(code(m) for m in report.all_modules) + ".")
        return "\n".join(out) + "\n"
    if report.empty_query:
        out += ["No words to search for; the modules (explain one with "
                "`nanochat-explain explain MODULE`):", ""]
    out += _table(["Module", "", "Title", "Matches"],
                  [[code(m.module), m.status.mark, md(m.title), md(", ".join(m.matched))]
                   for m in report.modules])
    if report.hits:
        out += ["", "## Statements", ""]
        out += _table(["", "Module", "Kind", "Statement", "Where"],
                      [[h.status.mark, code(h.module), md(h.kind),
                        md(h.name if h.text == h.name else f"{h.name}: {h.text}"),
                        code(h.location) if h.location else ""] for h in report.hits])
    return "\n".join(out) + "\n"
