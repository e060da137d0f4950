"""Words shared by the human-facing renderers."""

from __future__ import annotations

from nanochat_explain.model import Result, SourceInfo, Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.explanation import Checked, Explanation
    from nanochat_explain.model import CheckReport
    from nanochat_explain.queries.diff import ModuleDiff
    from nanochat_explain.queries.history import ModuleHistory, Track


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


def verdict(check: Checked) -> str:
    """The words put before a statement that no longer holds (or cannot be checked); its
    placeholders then read as the template wrote them, and the problem lines below say
    what the code has now."""
    if check.status is Status.FAIL:
        return "No longer true: "
    if check.status is Status.ERROR:
        return "Unchecked: "
    return ""


def depth_heading(depth: dict[str, Any]) -> str:
    return f"The model at --depth {depth['depth']} (evaluated from the code)"


CONFIG_KEYS = ("n_layer", "n_embd", "n_head", "n_kv_head", "head_dim", "sequence_len",
               "vocab_size", "padded_vocab_size", "window_pattern")


def config_rows(depth: dict[str, Any]) -> list[tuple[str, str]]:
    config = depth["config"]
    rows = [(k, str(config[k])) for k in CONFIG_KEYS if k in config]
    windows = config.get("window_sizes")
    if windows:
        rows.append(("window per layer", fold_runs([w[0] for w in windows])))
    return rows


def fold_runs(values: list[Any]) -> str:
    """A per-layer list folded so that it stays short at any depth: a run of one value is
    ``v×n``, a repeating group of runs is ``(a×3, b)×5``; layers are listed in order."""  # noqa: RUF002
    runs: list[tuple[Any, int]] = []
    for v in values:
        if runs and runs[-1][0] == v:
            runs[-1] = (v, runs[-1][1] + 1)
        else:
            runs.append((v, 1))

    def run(r: tuple[Any, int]) -> str:
        return str(r[0]) if r[1] == 1 else f"{r[0]}×{r[1]}"

    parts: list[str] = []
    i = 0
    while i < len(runs):
        best_period, best_count = 1, 1
        for period in range(2, (len(runs) - i) // 2 + 1):
            group = runs[i:i + period]
            count = 1
            while runs[i + count * period:i + (count + 1) * period] == group:
                count += 1
            if count > 1 and period * count > best_period * best_count:
                best_period, best_count = period, count
        if best_count > 1:
            parts.append(f"({', '.join(run(r) for r in runs[i:i + best_period])})"
                         f"×{best_count}")
            i += best_period * best_count
        else:
            parts.append(run(runs[i]))
            i += 1
    return ", ".join(parts)


def param_rows(depth: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(c["name"], f"{c['numel']:,}") for c in depth["components"]]
    rows += [(f"= {k} (num_scaling_params)", f"{v:,}") for k, v in depth["params"].items()]
    return rows


def cost_rows(depth: dict[str, Any]) -> list[tuple[str, str]]:
    return [("FLOPs per token (estimate_flops)", f"{depth['flops_per_token']:,}"),
            ("KV-cache bytes per token (kv_bytes_per_token)", f"{depth['kv_bytes_per_token']:,}")]


def group_rows(depth: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    for g in depth["optimizer_groups"]:
        hyper = ", ".join(f"{k}={_short(v)}" for k, v in g.items()
                          if k not in ("kind", "params", "numel", "names", "tensors"))
        names = g.get("params") or g.get("names") or g.get("tensors") or []
        rows.append((str(g.get("kind", "?")), hyper,
                     ", ".join(names) if isinstance(names, list) else str(names),
                     f"{g.get('numel', 0):,}" if isinstance(g.get("numel"), int) else ""))
    return rows


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return str(value)


NO_CHANGE = ("No change: every claim has the same status and every value read from the code "
             "is the same")


def diff_text(d: ModuleDiff, markdown: bool) -> str:
    """The changes between two revisions as sections of bullets (markdown adds #s and
    puts names and values in code spans)."""
    if markdown:
        from nanochat_explain.render.mdtext import code
        from nanochat_explain.render.mdtext import inline as prose
    else:
        def code(text: str) -> str:
            return text

        def prose(text: str) -> str:
            return text

    lines = [f"{'# ' if markdown else ''}{prose(f'{d.module}: {d.base} .. {d.head}')}", ""]
    if not (d.claims or d.values):
        lines += [NO_CHANGE + ("." if d.symbols else "; no symbol was added, removed or moved."),
                  ""]
    for title, rows in (
        ("Values", [f"{code(n)}: {code(_repr(a))} -> {code(_repr(b))}"
                    for n, a, b in d.values]),
        ("Claims", [f"{code(i)}: {a} -> {b} ({prose(det)})" for i, a, b, det in d.claims]),
        ("Symbols", [f"{c} {code(n)} ({code(w)})" for c, n, w in d.symbols]),
    ):
        if rows:
            lines += [f"{'## ' if markdown else ''}{title}", "", *(f"- {r}" for r in rows), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def coverage_text(backed: int, total: int) -> str:
    return f"{backed}/{total} items name a claim"


def summary_counts(report: CheckReport) -> str:
    return ", ".join(f"{report.count(s)} {s.value}" for s in Status)


def history_heading(h: ModuleHistory) -> str:
    span = f"after {h.since}" if h.since else "since the first"
    n = len(h.commits)
    return (f"{h.module}: history in {h.source} up to {h.head}, {n} commit{'s' * (n != 1)} "
            f"{span} touching {', '.join(h.files)}")


def _repr(value: object) -> str:
    """A value in a diff, as Python writes it; None, a value the code did not yield, as
    a history shows it."""
    return "(none)" if value is None else repr(value)


def shown(value: object) -> str:
    """A value in a history: None is a value the code did not yield."""
    return "(none)" if value is None else _short(value)


def history_rows(track: Track, values: bool) -> list[tuple[str, str, str, str]]:
    """(commit, date, before -> after, subject) for each change of one track."""
    show = shown if values else str
    return [(c.commit.short, c.commit.date, f"{show(c.before)} -> {show(c.after)}",
             _clip(c.commit.subject, 60)) for c in track.changes]


def unchanged(tracks: tuple[Track, ...], values: bool) -> str:
    """For values, one line for those with no change in the commits walked, with their
    value now; claims are listed one by one with what they check (:func:`still_claims`)."""
    if not values:
        return ""
    still = [f"{t.name} = {shown(t.now)}" for t in tracks if not t.changes]
    return f"no change in the commits walked: {'; '.join(still)}" if still else ""


def still_claims(tracks: tuple[Track, ...]) -> list[tuple[str, list[Track]]]:
    """The claims with no change in the commits walked, by their status now."""
    by_status: dict[str, list[Track]] = {}
    for t in tracks:
        if not t.changes:
            by_status.setdefault(t.now, []).append(t)
    return list(by_status.items())


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def missing_text(missing: tuple[str, ...]) -> str:
    """What a checkout lacks of the files that the forms it has read (the sources also
    name an older form's files, which a newer nanochat need not have)."""
    return (f"missing here: {', '.join(missing)}" if missing
            else "every file that the forms found here read is present")


# -- one failure, said once -------------------------------------------------------

MAX_IDS = 6  # claim ids listed on one line before the rest are counted


def _ids(ids: list[str]) -> str:
    shown_ids = ", ".join(f"[{i}]" for i in ids[:MAX_IDS])
    more = len(ids) - MAX_IDS
    return shown_ids + (f" and {more} more" if more > 0 else "")


def drift_lines(results: list[Result] | tuple[Result, ...]) -> list[str]:
    """Each failing claim once; claims that fail for one cause (a file that is missing or
    does not parse, a class that is gone) as one line naming the cause and the count."""
    causes: dict[str, list[Result]] = {}
    for r in results:
        if r.status is Status.ERROR and r.detail.startswith("cannot check: "):
            causes.setdefault(f"{r.file}: {r.detail.removeprefix('cannot check: ')}",
                              []).append(r)
        elif r.status is Status.ERROR and " not found in " in r.detail:
            causes.setdefault(r.detail.split(" (nearest")[0], []).append(r)
        else:
            causes.setdefault(f"\0{r.id}", []).append(r)
    lines = []
    for cause, group in causes.items():
        if cause.startswith("\0") or len(group) == 1:
            lines += [problem_line(r) for r in group]
        else:
            lines.append(f"{Status.ERROR.mark} UNCHECKED {cause}: {len(group)} claims cannot "
                         f"be checked: {_ids([r.id for r in group])}")
    return lines


def problem_refs(check: Any) -> list[str]:
    """What an item says of its failing claims: their ids; the details are said once, in
    the drift list at the top."""
    bad = check.problems
    if not bad:
        return []
    return [f"{Status.FAIL.mark} no longer holds: {_ids([r.id for r in bad])} (see the drift "
            "list above)"]


# -- forms --------------------------------------------------------------------------


def form_text(exp: Explanation, section: str, index: int) -> str | None:
    """Which form of the item the code has, and when upstream had it."""
    from nanochat_explain.queries.timeline import runs_of

    choice = exp.choice(section, index)
    if choice is None:
        return None
    from nanochat_explain.core import fill

    label = fill(choice.label, exp.values)
    if choice.differs:
        return f"form: {label} — not upstream nanochat: {choice.differs}"
    runs = runs_of(exp.template.module, choice.key)
    newest = fill(choice.labels[0], exp.values)
    mine = [i for i, run in enumerate(runs) if run.form == choice.label]
    if not mine:
        return f"form: {label}" + ("" if choice.newest else f"; upstream now: {newest}")
    i = mine[-1]
    run = runs[i]
    text = f"form: {label} — upstream since {run.first} ({run.first_date})"
    if i + 1 < len(runs):
        text = (f"form: {label} — upstream from {run.first} ({run.first_date}) to {run.last}; "
                f"now: {runs[-1].shown}")
    elif i > 0:
        text += f"; before: {runs[i - 1].shown}"
    return text


# -- code no statement covers ---------------------------------------------------------

UNCOVERED_HEADING = "Code here that no statement covers"


def uncovered_line(u: Any) -> str:
    calls = f"  calls: {', '.join(u.calls)}" if u.calls else ""
    what = "class " if u.kind == "class" else ""
    return f"{u.location}  {what}{u.qualname}{u.signature}{calls}"


# -- a fork against its base ----------------------------------------------------------


def fork_lines(exp: Explanation) -> list[str]:
    """What the fork's own commits changed, apart from what upstream changed since."""
    f = exp.fork
    if f is None:
        return []
    how = "--base" if f.named else "the newest upstream nanochat commit in this history"
    lines = [f"Fork of nanochat at {f.base} ({f.base_date}; {how})"]
    if f.own:
        lines.append("  changed by this checkout since its base:")
        lines += [f"    {c.key}: {c.before} -> {c.after}" for c in f.own]
    else:
        lines.append("  nothing this explanation says changed since the base")
    if f.upstream:
        head = f" (to {f.upstream_head})" if f.upstream_head else ""
        lines.append(f"  changed upstream since the base{head}, not in this checkout:")
        lines += [f"    {c.key}: {c.before} -> {c.after}" for c in f.upstream]
    return lines
