"""Plain text: no colour, no escape codes; what `explain` prints into a pipe."""

from __future__ import annotations

from nanochat_explain.model import Status
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
    problem_line,
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
    from nanochat_explain.explanation import Explanation
    from nanochat_explain.model import CheckReport
    from nanochat_explain.queries.diff import ModuleDiff
    from nanochat_explain.queries.find import FindReport
    from nanochat_explain.queries.history import ModuleHistory
    from nanochat_explain.reports import CoverageReport, Listing


def _wrap(text: str, indent: str, width: int, hanging: str | None = None) -> list[str]:
    import textwrap  # here: a check's report wraps nothing

    return textwrap.wrap(text, width=max(40, width), initial_indent=indent,
                         subsequent_indent=indent if hanging is None else hanging,
                         break_on_hyphens=False) or [indent.rstrip()]


def explanation(exp: Explanation, options: Options) -> str:
    t = exp.template
    w = options.width
    out: list[str] = [t.title, "=" * len(t.title)]
    out.append(f"{source_line(exp.source)} · {', '.join(exp.files)}")
    out.append("")
    out += _wrap(f"{exp.summary.status.mark} {verdict(exp.summary)}{t.summary}", "", w, "  ")
    fork = fork_lines(exp)
    if fork:
        out += ["", *fork]
    bad = problems(exp)
    if bad:
        out += ["", drift_heading(bad)]
        out += [f"  {line}" for line in drift_lines(bad)]
    d = exp.diagram_check
    out += ["", f"Data flow  {d.status.mark} {len(d.results)} claims", ""]
    out += ["    " + line if line else "" for line in exp.diagram.rstrip("\n").split("\n")]
    out += [f"  {line}" for line in problem_refs(d)]
    out += _form(exp, "diagram", 0, "  ")
    if exp.boxes:
        out.append("")
        for box, check in exp.boxes:
            out.append(f"  {check.status.mark} {box.label}  ({check.location})")
            out += [f"      {line}" for line in problem_refs(check)]
    out += _depth(exp)
    out += ["", "Components", ""]
    for i, (item, what, why, check) in enumerate(exp.breakdown):
        out.append(f"  {check.status.mark} {item.name}  ({item.symbol}, {check.location})")
        out += _form(exp, "breakdown", i, "      ")
        out += _wrap(verdict(check) + what, "      ", w)
        if why:
            out += _wrap("Why: " + why, "      ", w)
        out += [f"      {line}" for line in problem_refs(check)]
    if exp.notes:
        out += ["", NOTES_HEADING, ""]
        for i, (_, text, check) in enumerate(exp.notes):
            out += _wrap(f"{check.status.mark} {verdict(check)}{text}  ({check.location})", "  ",
                         w, "    ")
            out += _form(exp, "notes", i, "    ")
            out += [f"      {line}" for line in problem_refs(check)]
    out += ["", "Compared with standard implementations", ""]
    for i, (row, text, check) in enumerate(exp.comparisons):
        out.append(f"  {row.aspect}")
        out.append(f"    {check.status.mark} nanochat: {verdict(check)}{text}  ({check.location})")
        out += _form(exp, "comparisons", i, "      ")
        for col, other in row.others:
            out.append(f"      {col}: {other}")
        out += [f"      {line}" for line in problem_refs(check)]
    out += ["", "Papers", ""]
    for p in t.papers:
        out += _wrap(f"- {p.title}. {p.first_author}, {p.year}. arXiv:{p.arxiv}. "
                     f"Backs: {p.backs}.", "  ", w, "    ")
    if exp.uncovered:
        out += ["", UNCOVERED_HEADING, ""]
        out += [f"  {uncovered_line(u)}" for u in exp.uncovered]
    counts = {s: sum(r.status is s for r in exp.results) for s in Status}
    out += ["", "Claims: " + ", ".join(f"{counts[s]} {s.value}" for s in Status)]
    return "\n".join(out) + "\n"


def _form(exp: Explanation, section: str, index: int, indent: str) -> list[str]:
    text = form_text(exp, section, index)
    return [] if text is None else _wrap(text, indent, 100, indent + "  ")


def document(exps: list[Explanation], options: Options) -> str:
    return "\n\n".join(explanation(e, options) for e in exps)


def _depth(exp: Explanation) -> list[str]:
    if exp.depth_note:
        return ["", f"Shapes stay symbolic: {exp.depth_note}"]
    if exp.depth is None:
        return []
    d = exp.depth
    out = ["", depth_heading(d), ""]
    for title, rows in (("config", config_rows(d)), ("parameters", param_rows(d)),
                        ("cost", cost_rows(d))):
        width = max(len(k) for k, _ in rows)
        out.append(f"  {title}")
        out += [f"    {k.ljust(width)}  {v}" for k, v in rows]
    out.append("  optimizer groups")
    for kind, hyper, names, numel in group_rows(d):
        out += _wrap(f"{kind}: {hyper}; {names} ({numel} params)", "    ", 100, "      ")
    out += [f"  note: {n}" for n in d["notes"]]
    return out


def check(report: CheckReport, options: Options) -> str:
    out = [source_line(report.source)]
    for (module, results), (backed, total) in zip(report.modules, report.coverage, strict=True):
        passed = sum(r.status is Status.PASS for r in results)
        out.append(f"{module}: {passed}/{len(results)} claims hold; "
                   f"{coverage_text(backed, total)}")
        for r in results:
            if r.status is not Status.PASS:
                out.append(f"  {problem_line(r)}")
    out.append(summary_counts(report))
    return "\n".join(out) + "\n"


def coverage(report: CoverageReport, options: Options) -> str:
    out = [source_line(report.source)]
    current = None
    for u in report.unmentioned:
        if u.file != current:
            out.append(f"{u.file}:")
            current = u.file
        out.append(f"  {u.line:>5}  {u.kind:<8} {u.name}")
    pct = 100 * report.mentioned / report.total if report.total else 100.0
    out.append(f"{report.mentioned}/{report.total} classes and functions mentioned ({pct:.0f}%) "
               f"in {len(report.files)} files")
    return "\n".join(out) + "\n"


def diff(d: ModuleDiff, options: Options) -> str:
    return diff_text(d, markdown=False)


def history(h: ModuleHistory, options: Options) -> str:
    out = [history_heading(h)]
    for title, tracks, values in (("Values", h.values, True), ("Claims", h.claims, False)):
        if not tracks:
            continue
        out += ["", title]
        for t in tracks:
            rows = history_rows(t, values)
            if not rows:
                continue
            out.append(f"  {t.name}: {shown(t.now) if values else t.now} now  ({t.file})")
            if t.statement:
                out += _wrap(f"checks: {t.statement}", "      ", options.width, "        ")
            width = max(len(r[2]) for r in rows)
            out += [f"    {commit} {date}  {change.ljust(width)}  {subject}"
                    for commit, date, change, subject in rows]
        still = unchanged(tracks, values)
        if still:
            out += _wrap(still, "  ", options.width, "    ")
        for status, claims in ([] if values else still_claims(tracks)):
            out.append(f"  no change in the commits walked, {status} now:")
            out += [line for t in claims
                    for line in _wrap(f"{t.name}: {t.statement}", "    ", options.width,
                                      "      ")]
    return "\n".join(out) + "\n"


def listing(listed: Listing, options: Options) -> str:
    out = [] if listed.source is None else [source_line(listed.source), ""]
    width = max(len(t.module) for t in listed.templates)
    for t, missing in listed.rows():
        out.append(f"{t.module.ljust(width)}  {t.summary}")
        extra = f"sources: {', '.join(t.sources)}"
        if t.aliases:
            extra += f"; aliases: {', '.join(t.aliases)}"
        out.append(f"{' ' * width}  {extra}")
        if missing is not None:
            out.append(f"{' ' * width}  {missing_text(missing)}")
    return "\n".join(out) + "\n"


def find(report: FindReport, options: Options) -> str:
    head = f"find {report.query!r}: {source_line(report.source)}"
    if report.empty_query:
        out = [head, "", "No words to search for; the modules (explain one with: "
               "nanochat-explain explain MODULE):"]
    elif not report.modules:
        return (f"{head}\nnothing matches {' '.join(report.terms)!r}; the modules: "
                f"{', '.join(report.all_modules)}\n")
    else:
        out = [head, "", "Modules"]
    width = max(len(m.module) for m in report.modules)
    for m in report.modules:
        partial = m.matched and len(m.matched) < len(report.terms)
        matched = f"  (matches: {', '.join(m.matched)})" if partial else ""
        out += _wrap(f"{m.module.ljust(width)}  {m.status.mark} {m.title}{matched}", "  ",
                     options.width, " " * (width + 6))
    if report.hits:
        out += ["", "Statements"]
    for h in report.hits:
        where = f"  ({h.location})" if h.location else ""
        out += _wrap(f"{h.status.mark} {h.module} · {h.kind} · {h.name}{where}", "  ",
                     options.width, "      ")
        if h.text != h.name:
            out += _wrap(h.text, "      ", options.width)
    return "\n".join(out) + "\n"
