"""Rich rendering for a terminal; returns the text with its escape codes."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from nanochat_explain.model import Checked, Explanation, Result, Status
from nanochat_explain.render import Options
from nanochat_explain.render.text import (
    NOTES_HEADING,
    UNCOVERED_HEADING,
    config_rows,
    cost_rows,
    depth_heading,
    drift_heading,
    drift_lines,
    form_text,
    group_rows,
    param_rows,
    problem_line,
    problem_refs,
    problems,
    source_line,
    uncovered_line,
)

if TYPE_CHECKING:
    from nanochat_explain.reports import CheckReport, CoverageReport, Listing

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.ERROR: "bold yellow"}


def _console(options: Options) -> Console:
    return Console(file=io.StringIO(), width=options.width, force_terminal=options.color,
                   color_system="standard" if options.color else None,
                   highlight=False, emoji=False, legacy_windows=False,
                   _environ={})  # colour and width are decided by the caller, not by TERM


def _mark(status: Status) -> Text:
    return Text(status.mark, style=_STYLE[status])


def _problems(results: tuple[Result, ...] | list[Result]) -> Text:
    text = Text()
    for r in results:
        text.append("\n" + problem_line(r), style=_STYLE[r.status])
    return text


def _refs(check: Checked) -> Text:
    text = Text()
    for line in problem_refs(check):
        text.append("\n" + line, style=_STYLE[check.status])
    return text


def _cell(body: str, check: Checked, form: str | None = None) -> Text:
    text = Text(body)
    if form:
        text.append("\n" + form, style="magenta")
    text.append(_refs(check))
    return text


def explanation(exp: Explanation, options: Options) -> str:
    return _text(print_explanation(_console(options), exp))


def print_explanation(console: Console, exp: Explanation) -> Console:
    t = exp.template
    console.print(Text(t.title, style="bold"))
    console.print(Text(f"{source_line(exp.source)} · "
                       f"{', '.join(t.sources)}", style="dim"))
    summary = Text()
    summary.append(exp.summary.status.mark + " ", style=_STYLE[exp.summary.status])
    summary.append(t.summary)
    console.print(summary)
    bad = problems(exp)
    if bad:
        lines = Text("\n").join(Text(line, style="red") for line in drift_lines(bad))
        console.print(Panel(lines, title=drift_heading(bad), border_style="red",
                            title_align="left"))
    d = exp.diagram_check
    console.print(Panel(Text(exp.diagram.rstrip("\n")), title=f"Data flow {d.status.mark}",
                        title_align="left", border_style=_STYLE[d.status], expand=False))
    diagram_form = form_text(exp, "diagram", 0)
    if diagram_form:
        console.print(Text(diagram_form, style="magenta"))
    if d.problems:
        console.print(_refs(d))
    for box, check in exp.boxes:
        line = Text("  ")
        line.append(check.status.mark, style=_STYLE[check.status])
        line.append(f" {box.label}  ")
        line.append(check.location, style="cyan")
        line.append(_refs(check))
        console.print(line)

    if exp.depth_note:
        console.print(Text(f"Shapes stay symbolic: {exp.depth_note}", style="yellow"))
    elif exp.depth is not None:
        dep = exp.depth
        console.print(Text(depth_heading(dep), style="bold"))
        for title, rows in (("Config", config_rows(dep)), ("Parameters", param_rows(dep)),
                            ("Cost", cost_rows(dep))):
            t2 = Table(title=title, title_justify="left", expand=False)
            t2.add_column("")
            t2.add_column("", justify="right")
            for k, v in rows:
                t2.add_row(escape(k), v)
            console.print(t2)
        groups = Table(title="Optimizer groups", title_justify="left", expand=True)
        for col in ("Kind", "Hyperparameters", "Tensors", "Params"):
            groups.add_column(col, ratio=2 if col == "Tensors" else None)
        for group in group_rows(dep):
            groups.add_row(*(Text(c) for c in group))
        console.print(groups)
        for n in dep["notes"]:
            console.print(Text(f"note: {n}", style="dim"))

    table = Table(title="Components", title_justify="left", show_lines=True, expand=True)
    table.add_column("", width=1)
    table.add_column("Component", style="bold", no_wrap=True)
    table.add_column("Where", style="cyan", no_wrap=True)
    table.add_column("What / why", ratio=1)
    for i, (item, what, why, check) in enumerate(exp.breakdown):
        body = what + (f"\nWhy: {why}" if why else "")
        table.add_row(_mark(check.status), item.name, check.location,
                      _cell(body, check, form_text(exp, "breakdown", i)))
    console.print(table)

    if exp.notes:
        notes = Table(title=NOTES_HEADING, title_justify="left", show_lines=True, expand=True)
        notes.add_column("", width=1)
        notes.add_column("Note", ratio=1)
        notes.add_column("Code", style="cyan", no_wrap=True)
        for i, (_, text, check) in enumerate(exp.notes):
            notes.add_row(_mark(check.status), _cell(text, check, form_text(exp, "notes", i)),
                          check.location)
        console.print(notes)

    table = Table(title="Compared with standard implementations", title_justify="left",
                  show_lines=True, expand=True)
    table.add_column("Aspect", style="bold")
    table.add_column("nanochat", ratio=1)
    for col in t.compare_with:
        table.add_column(escape(col), ratio=1)
    for i, (row, text, check) in enumerate(exp.comparisons):
        cell = Text()
        cell.append(check.status.mark + " ", style=_STYLE[check.status])
        cell.append(text)
        cell.append(f"\n{check.location}", style="cyan")
        form = form_text(exp, "comparisons", i)
        if form:
            cell.append("\n" + form, style="magenta")
        cell.append(_refs(check))
        table.add_row(row.aspect, cell, *(Text(o) for _, o in row.others))
    console.print(table)

    table = Table(title="Papers", title_justify="left", expand=True)
    for col in ("Paper", "First author", "Year", "arXiv", "Backs"):
        table.add_column(col, ratio=2 if col in ("Paper", "Backs") else None)
    for p in t.papers:
        table.add_row(Text(p.title), Text(p.first_author), str(p.year), p.arxiv, Text(p.backs))
    console.print(table)

    if exp.uncovered:
        console.print(Text(UNCOVERED_HEADING, style="bold"))
        for u in exp.uncovered:
            console.print(Text("  " + uncovered_line(u)))
    counts = Text("Claims: ")
    for i, s in enumerate(Status):
        n = sum(r.status is s for r in exp.results)
        counts.append(f"{n} {s.value}", style=_STYLE[s] if n and s is not Status.PASS else "")
        if i < len(Status) - 1:
            counts.append(", ")
    console.print(counts)
    return console


def _text(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def document(exps: list[Explanation], options: Options) -> str:
    return _text(print_document(_console(options), exps))


def print_document(console: Console, exps: list[Explanation]) -> Console:
    for e in exps:
        print_explanation(console, e)
        console.rule()
    return console


def check(report: CheckReport, options: Options) -> str:
    return _text(print_check(_console(options), report))


def print_check(console: Console, report: CheckReport) -> Console:
    console.print(Text(source_line(report.source),
                       style="dim"))
    table = Table(expand=True)
    table.add_column("Module", style="bold")
    table.add_column("Holds", justify="right")
    table.add_column("Backed", justify="right")
    table.add_column("Problems", ratio=1)
    for (module, results), (backed, total) in zip(report.modules, report.coverage, strict=True):
        passed = sum(r.status is Status.PASS for r in results)
        bad = [r for r in results if r.status is not Status.PASS]
        style = "green" if not bad else "bold red"
        table.add_row(module, Text(f"{passed}/{len(results)}", style=style),
                      f"{backed}/{total}", _problems(bad))
    console.print(table)
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in Status)
    console.print(Text(counts, style="green" if report.ok else "bold red"))
    return console


def coverage(report: CoverageReport, options: Options) -> str:
    return _text(print_coverage(_console(options), report))


def print_coverage(console: Console, report: CoverageReport) -> Console:
    from nanochat_explain.render import plain

    console.print(Text(plain.coverage(report, Options()).rstrip("\n")))
    return console


def listing(listed: Listing, options: Options) -> str:
    return _text(print_listing(_console(options), listed))


def print_listing(console: Console, listed: Listing) -> Console:
    table = Table(expand=True)
    table.add_column("Module", style="bold")
    table.add_column("Summary", ratio=2)
    table.add_column("Sources", style="cyan")
    if listed.source is not None:
        console.print(escape(source_line(listed.source)))
    for t, missing in listed.rows():
        lost = set(missing or ())
        sources = Text("\n").join(Text(f"{s} (missing)", style="red") if s in lost else Text(s)
                                  for s in t.sources)
        table.add_row(t.module, Text(t.summary), sources)
    console.print(table)
    return console
