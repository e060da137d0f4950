"""Rich rendering for a terminal; returns the text with its escape codes.

It fits the width it is given: the diagram is printed as plain lines, never wrapped (a
diagram wider than the terminal is cut at the right edge with a marker, and the width it
needs is said); below :data:`STACK_BELOW` columns components, comparisons and papers are
stacked instead of tabled; a ``file:line`` is never cut.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from nanochat_explain.explanation import Checked, Explanation
from nanochat_explain.model import Result, Status
from nanochat_explain.render import Options
from nanochat_explain.render.text import (
    NOTES_HEADING,
    UNCOVERED_HEADING,
    config_rows,
    cost_rows,
    depth_heading,
    drift_heading,
    drift_lines,
    fork_lines,
    form_text,
    group_rows,
    param_rows,
    problem_line,
    problem_refs,
    problems,
    source_line,
    uncovered_line,
    verdict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.model import CheckReport
    from nanochat_explain.reports import CoverageReport, Listing

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.ERROR: "bold yellow"}
STACK_BELOW = 100  # narrower than this, tables of long text become stacked lists
LIST_STACK_BELOW = 120  # ``list`` has two columns of names besides its summaries
DIAGRAM_INDENT = 2


CUT_MARKER = "›"


@dataclass(frozen=True)
class DiagramFit:
    """A diagram laid out for a given width: each line whole, or cut with a marker."""

    lines: tuple[tuple[str, bool], ...]  # (text, cut at the edge)
    needs: int  # the columns the widest line takes
    width: int  # the columns it was given
    marker: str = CUT_MARKER

    @property
    def cut(self) -> bool:
        return any(cut for _, cut in self.lines)

    def note(self, indent: int) -> str:
        return (f"The diagram is {self.needs} columns wide and this terminal has "
                f"{self.width + indent}: lines ending in {self.marker} are cut. Widen the "
                f"terminal to {self.needs + indent} columns, or use --format plain.")


def fit_diagram(diagram: str, width: int) -> DiagramFit:
    """Never wraps: a line wider than ``width`` keeps its first ``width - 1`` columns and
    is marked as cut, so that every box edge left of the cut stays in its column."""
    lines = [line.rstrip() for line in diagram.rstrip("\n").split("\n")]
    needs = max((len(line) for line in lines), default=0)
    return DiagramFit(tuple((line[: max(0, width - 1)], True) if len(line) > width
                            else (line, False) for line in lines), needs, width)


class _Buffer(io.StringIO):
    """Where the console writes; its ``encoding`` tells rich whether it may draw tables
    and panels with box characters or must use ASCII."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property  # StringIO's own is read-only too, though typeshed calls it writable
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def _console(options: Options) -> Console:
    return Console(file=_Buffer(options.encoding), width=options.width,
                   force_terminal=options.color,
                   color_system="standard" if options.color else None,
                   highlight=False, emoji=False, legacy_windows=False,
                   _environ={})  # colour and width are decided by the caller, not by TERM


def _stacked(console: Console) -> bool:
    return console.width < STACK_BELOW


def _mark(status: Status) -> Text:
    return Text(status.mark, style=_STYLE[status])


def _problems(results: tuple[Result, ...] | list[Result]) -> Text:
    text = Text()
    for r in results:
        text.append("\n" + problem_line(r), style=_STYLE[r.status])
    return text


def _refs(check: Checked) -> Text:
    """Which of a piece's claims fail (what the code has now is said once, at the top)."""
    text = Text()
    for line in problem_refs(check):
        text.append("\n" + line, style=_STYLE[check.status])
    return text


def _body(body: str, check: Checked, form: str | None = None) -> Text:
    """A statement with, when it no longer holds, the label saying so and its failing
    claims below it; and the form of the item the code has, when there are several."""
    text = Text()
    label = verdict(check)
    if label:
        text.append(label, style=_STYLE[check.status])
    text.append(body)
    if form:
        text.append("\n" + form, style="magenta")
    text.append(_refs(check))
    return text


def _where(check: Checked) -> Text:
    return Text(check.location, style="cyan")


def _longest(locations: list[str]) -> int:
    return max((len(x) for x in locations), default=1)


def explanation(exp: Explanation, options: Options) -> str:
    return _text(print_explanation(_console(options), exp))


def print_explanation(console: Console, exp: Explanation) -> Console:
    _print_header(console, exp)
    _print_diagram(console, exp)
    _print_depth(console, exp)
    _print_components(console, exp)
    _print_notes(console, exp)
    _print_comparisons(console, exp)
    _print_papers(console, exp)
    _print_uncovered(console, exp)
    _print_counts(console, exp)
    return console


def _print_header(console: Console, exp: Explanation) -> None:
    t = exp.template
    console.print(Text(t.title, style="bold"))
    console.print(Text(f"{source_line(exp.source)} · {', '.join(exp.files)}", style="dim"))
    summary = Text()
    summary.append(exp.summary.status.mark + " ", style=_STYLE[exp.summary.status])
    summary.append(_body(t.summary, exp.summary))
    console.print(summary)
    fork = fork_lines(exp)
    if fork:
        console.print(Text("\n".join(fork), style="magenta"))
    bad = problems(exp)
    if bad:
        lines = Text("\n").join(Text(line, style="red") for line in drift_lines(bad))
        console.print(Panel(lines, title=drift_heading(bad), border_style="red",
                            title_align="left"))


def _print_diagram(console: Console, exp: Explanation) -> None:
    """The diagram as plain lines outside any panel, so that a wide one is never wrapped:
    when it is wider than the terminal, each line is cut at the edge with a marker and the
    width it needs is said above it."""
    d = exp.diagram_check
    heading = Text("\nData flow ", style="bold")
    heading.append(d.status.mark, style=_STYLE[d.status])
    heading.append(f" {len(d.results)} claims", style="dim")
    console.print(heading)
    fit: DiagramFit = fit_diagram(exp.diagram, console.width - DIAGRAM_INDENT)
    if fit.cut:
        console.print(Text(fit.note(DIAGRAM_INDENT), style="yellow"))
    console.print()
    for drawn, cut in fit.lines:
        row = Text(" " * DIAGRAM_INDENT + drawn)
        if cut:
            row.append(fit.marker, style="reverse yellow")
        console.print(row, no_wrap=True, overflow="ignore", crop=False)
    diagram_form = form_text(exp, "diagram", 0)
    if diagram_form:
        console.print(Text(diagram_form, style="magenta"))
    if d.problems:
        console.print(_refs(d)[1:])
    if exp.boxes:
        console.print()
    for box, check in exp.boxes:
        entry = Text("  ")
        entry.append(check.status.mark, style=_STYLE[check.status])
        entry.append(f" {box.label}  ")
        entry.append(_where(check))
        entry.append(_refs(check))
        console.print(entry)


def _print_depth(console: Console, exp: Explanation) -> None:
    if exp.depth_note:
        console.print(Text(f"Shapes stay symbolic: {exp.depth_note}", style="yellow"))
        return
    if exp.depth is None:
        return
    dep = exp.depth
    console.print(Text(depth_heading(dep), style="bold"))
    for title, rows in (("Config", config_rows(dep)), ("Parameters", param_rows(dep)),
                        ("Cost", cost_rows(dep))):
        table = Table(title=title, title_justify="left", expand=False)
        table.add_column("")
        table.add_column("", justify="right")
        for k, v in rows:
            table.add_row(escape(k), Text(v))
        console.print(table)
    groups = Table(title="Optimizer groups", title_justify="left", expand=True)
    for col in ("Kind", "Hyperparameters", "Tensors", "Params"):
        groups.add_column(col, ratio=2 if col == "Tensors" else None)
    for group in group_rows(dep):
        groups.add_row(*(Text(c) for c in group))
    console.print(groups)
    for n in dep["notes"]:
        console.print(Text(f"note: {n}", style="dim"))


def _section(console: Console, title: str) -> None:
    console.print()
    console.print(Text(title, style="bold italic"))


def _print_components(console: Console, exp: Explanation) -> None:
    if _stacked(console):
        _section(console, "Components")
        for i, (item, what, why, check) in enumerate(exp.breakdown):
            _stacked_item(console, check, item.name, f"{item.symbol} · ",
                          what + (f"\nWhy: {why}" if why else ""),
                          form_text(exp, "breakdown", i))
        return
    table = Table(title="Components", title_justify="left", show_lines=True, expand=True)
    table.add_column("", width=1)
    table.add_column("Component / where", no_wrap=True,
                     min_width=_longest([c.location for *_, c in exp.breakdown]))
    table.add_column("What / why", ratio=1, overflow="fold")
    for i, (item, what, why, check) in enumerate(exp.breakdown):
        name = Text(item.name, style="bold")
        name.append("\n")
        name.append(_where(check))
        body = what + (f"\nWhy: {why}" if why else "")
        table.add_row(_mark(check.status), name,
                      _body(body, check, form_text(exp, "breakdown", i)))
    console.print(table)


def _stacked_item(console: Console, check: Checked, name: str, context: str,
                  body: str, form: str | None = None) -> None:
    """``✓ name  context file:line`` and the body below it, indented."""
    head = Text("  ")
    head.append(check.status.mark, style=_STYLE[check.status])
    head.append(f" {name}", style="bold")
    head.append(f"  {context}", style="dim")
    head.append(_where(check))
    console.print(head)
    console.print(Padding(_body(body, check, form), (0, 0, 0, 6), expand=False))


def _print_notes(console: Console, exp: Explanation) -> None:
    if not exp.notes:
        return
    if _stacked(console):
        _section(console, NOTES_HEADING)
        for i, (_, text, check) in enumerate(exp.notes):
            line = Text("  ")
            line.append(check.status.mark, style=_STYLE[check.status])
            line.append(" ")
            line.append(_where(check))
            console.print(line)
            console.print(Padding(_body(text, check, form_text(exp, "notes", i)),
                                  (0, 0, 0, 4), expand=False))
        return
    notes = Table(title=NOTES_HEADING, title_justify="left", show_lines=True, expand=True)
    notes.add_column("", width=1)
    notes.add_column("Note", ratio=1, overflow="fold")
    notes.add_column("Code", style="cyan", no_wrap=True,
                     min_width=_longest([c.location for *_, c in exp.notes]))
    for i, (_, text, check) in enumerate(exp.notes):
        notes.add_row(_mark(check.status), _body(text, check, form_text(exp, "notes", i)),
                      check.location)
    console.print(notes)


def _print_comparisons(console: Console, exp: Explanation) -> None:
    t = exp.template
    title = "Compared with standard implementations"
    if _stacked(console):
        _section(console, title)
        for i, (row, text, check) in enumerate(exp.comparisons):
            console.print(Text(f"  {row.aspect}", style="bold"))
            head = Text("    ")
            head.append(check.status.mark + " ", style=_STYLE[check.status])
            head.append("nanochat  ", style="bold")
            head.append(_where(check))
            console.print(head)
            console.print(Padding(_body(text, check, form_text(exp, "comparisons", i)),
                                  (0, 0, 0, 6), expand=False))
            for col, other in row.others:
                console.print(Padding(Text(f"{col}: ", style="bold").append(other),
                                      (0, 0, 0, 4)))
        return
    table = Table(title=title, title_justify="left", show_lines=True, expand=True)
    table.add_column("Aspect", style="bold", max_width=24)
    # for a column with a ratio, rich treats ``width`` as its least width: the file:line
    # (and its mark) fit on one line of the cell
    table.add_column("nanochat", ratio=1, overflow="fold",
                     width=_longest([c.location for *_, c in exp.comparisons]) + 2)
    for col in t.compare_with:
        table.add_column(escape(col), ratio=1, overflow="fold")
    for i, (row, text, check) in enumerate(exp.comparisons):
        cell = Text()
        cell.append(check.status.mark + " ", style=_STYLE[check.status])
        cell.append(_body(text, check, form_text(exp, "comparisons", i)))
        cell.append("\n")
        cell.append(_where(check))
        table.add_row(row.aspect, cell, *(Text(o) for _, o in row.others))
    console.print(table)


def _print_papers(console: Console, exp: Explanation) -> None:
    papers = exp.template.papers
    if _stacked(console):
        _section(console, "Papers")
        for p in papers:
            entry = Text("- ")
            entry.append(p.title, style="bold")
            entry.append(f". {p.first_author}, {p.year}. arXiv:{p.arxiv}. Backs: {p.backs}.")
            console.print(Padding(entry, (0, 0, 0, 2), expand=False))
        return
    table = Table(title="Papers", title_justify="left", expand=True)
    for col in ("Paper", "First author", "Year", "arXiv", "Backs"):
        table.add_column(col, ratio=2 if col in ("Paper", "Backs") else None,
                         no_wrap=col in ("Year", "arXiv"), overflow="fold")
    for p in papers:
        table.add_row(Text(p.title), Text(p.first_author), str(p.year), p.arxiv, Text(p.backs))
    console.print(table)


def _print_uncovered(console: Console, exp: Explanation) -> None:
    if not exp.uncovered:
        return
    _section(console, UNCOVERED_HEADING)
    for u in exp.uncovered:
        console.print(Text("  " + uncovered_line(u)))


def _print_counts(console: Console, exp: Explanation) -> None:
    counts = Text("Claims: ")
    for i, s in enumerate(Status):
        n = sum(r.status is s for r in exp.results)
        counts.append(f"{n} {s.value}", style=_STYLE[s] if n and s is not Status.PASS else "")
        if i < len(Status) - 1:
            counts.append(", ")
    console.print(counts)


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
    console.print(Text(source_line(report.source), style="dim"))
    rows: list[tuple[str, Text, str, list[Result]]] = []
    for (module, results), (backed, total) in zip(report.modules, report.coverage, strict=True):
        passed = sum(r.status is Status.PASS for r in results)
        bad = [r for r in results if r.status is not Status.PASS]
        rows.append((module, Text(f"{passed}/{len(results)}",
                                  style="green" if not bad else "bold red"),
                     f"{backed}/{total}", bad))
    if _stacked(console):
        for module, holds, items, bad in rows:
            line = Text(f"{module}: ", style="bold")
            line.append(holds)
            line.append(f" claims hold; {items} items name a claim")
            console.print(line)
            if bad:
                console.print(Padding(_problems(bad)[1:], (0, 0, 0, 2), expand=False))
    else:
        table = Table(expand=True)
        table.add_column("Module", style="bold")
        table.add_column("Holds", justify="right")
        table.add_column("Items claimed", justify="right")
        table.add_column("Problems", ratio=1, overflow="fold")
        for module, holds, items, bad in rows:
            table.add_row(module, holds, items, _problems(bad)[1:])
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
    from nanochat_explain.render.text import missing_text

    if listed.source is not None:
        console.print(escape(source_line(listed.source)))

    def sources(t_sources: tuple[str, ...], missing: tuple[str, ...] | None) -> Text:
        lost = set(missing or ())
        return Text("\n").join(Text(f"{s} (missing)", style="red") if s in lost else Text(s)
                               for s in t_sources)

    if console.width < LIST_STACK_BELOW:
        for t, missing in listed.rows():
            console.print(Text(t.module, style="bold"))
            console.print(Padding(Text(t.summary), (0, 0, 0, 2), expand=False))
            details = Text("sources: ", style="dim")
            details.append(Text(", ").join(sources(t.sources, missing).split("\n")))
            if t.aliases:
                details.append("\naliases: ", style="dim")
                details.append(", ".join(t.aliases))
            if missing is not None:
                details.append(f"\n{missing_text(missing)}", style="red" if missing else "")
            console.print(Padding(details, (0, 0, 0, 2), expand=False))
        return console
    table = Table(expand=True)
    table.add_column("Module", style="bold", no_wrap=True)
    table.add_column("Summary", ratio=2, overflow="fold")
    table.add_column("Sources", style="cyan", no_wrap=True)
    table.add_column("Aliases", no_wrap=True)
    for t, missing in listed.rows():
        table.add_row(t.module, Text(t.summary), sources(t.sources, missing),
                      Text("\n".join(t.aliases)))
    console.print(table)
    return console
