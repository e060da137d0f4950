"""The pipeline: read the files a template needs, extract facts, check claims, fill text.

Pure: returns values, never prints. A claim whose file cannot be read or parsed
becomes an ``error`` result; the rest of the explanation still renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from nanochat_explain.errors import ExplainError, FileMissing
from nanochat_explain.facts.parse import extract_text
from nanochat_explain.model import CheckReport, ClaimSpec, Result, SourceInfo, Status, Template
from nanochat_explain.source.cache import FactsCache
from nanochat_explain.source.locate import Source
from nanochat_explain.templates.load import PLACEHOLDER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.explanation import Checked, Explanation
    from nanochat_explain.facts.model import Class, FileFacts, Function
    from nanochat_explain.facts.uncovered import Uncovered
    from nanochat_explain.reports import CoverageReport, Unmentioned
    from nanochat_explain.templates.forms import Chosen
    from nanochat_explain.templates.load import Planned

_PARSED: dict[tuple[str, str], FileFacts] = {}  # (path, text) -> facts, for this process


def parse_file(source: Source, relpath: str, cache: FactsCache | None = None,
               upstream: bool = True) -> FileFacts:
    """Facts of one file; :class:`SourceError` naming file and line when it does not parse."""
    return parse_text(source.read_text(relpath), relpath, cache, upstream)


def parse_blob(relpath: str, blob: str, read_text: Callable[[], str],
               cache: FactsCache | None = None, upstream: bool = True) -> FileFacts:
    """Facts of ``relpath`` as git blob ``blob``: from the bundled upstream facts or the
    cache by blob id without reading the blob, else read with ``read_text``, parsed and
    cached under both keys. Without ``upstream`` the bundled facts are not used."""
    from nanochat_explain.source.upstream import facts_of_blob

    found = facts_of_blob(blob, relpath) if upstream else None
    if found is None and cache is not None:
        found = cache.get_blob(relpath, blob)
    if found is None:
        found = parse_text(read_text(), relpath, cache)
        if cache is not None:
            cache.put_blob(relpath, blob, found)
    return found


def _bundled_blob(blob: str) -> bool:
    from nanochat_explain.source.upstream import usable

    found = usable()
    return found is not None and found.has(blob)


def _bundled_text(text: str) -> str | None:
    """The blob id of ``text`` when the bundle holds that blob's facts."""
    from nanochat_explain.source.upstream import blob_id

    blob = blob_id(text.encode("utf-8", "surrogateescape"))
    return blob if _bundled_blob(blob) else None


def _from_bundle(relpath: str, text: str, blob: str | None = None) -> FileFacts | None:
    """Facts of a work-tree file's text from the bundle (``blob``: its id, when known)."""
    from nanochat_explain.source.upstream import facts_of_text

    facts = facts_of_text(text, relpath, blob)
    if facts is not None:
        _remember(relpath, text, facts)
    return facts


def parse_text(text: str, relpath: str, cache: FactsCache | None = None,
               upstream: bool = True) -> FileFacts:
    """Facts of the text of ``relpath``: from the caches, or from the bundled upstream
    facts when an upstream blob has this content, else parsed.

    Facts read from the bundle are never written to the facts cache: they hold only the
    comments that the bundle's own claims quote, so another bundle (a package upgrade
    with new comment claims) must not find them there; and reading them from the bundle
    again costs no more than reading them from the cache.
    """
    cached = _known(text, relpath, cache, upstream)
    if cached is not None:
        return cached
    facts = extract_text(text, relpath)
    _parsed(relpath, text, facts, cache)
    return facts


def _known(text: str, relpath: str, cache: FactsCache | None, upstream: bool
           ) -> FileFacts | None:
    """Facts of the text without parsing it: from this run, the cache or the bundle."""
    cached = _PARSED.get((relpath, text))
    if cached is None and cache is not None:
        cached = cache.get(relpath, text)
    if cached is None and upstream:
        cached = _from_bundle(relpath, text)
    return cached


def _parsed(relpath: str, text: str, facts: FileFacts, cache: FactsCache | None) -> None:
    _remember(relpath, text, facts)
    if cache is not None:
        cache.put(relpath, text, facts)


def _remember(relpath: str, text: str, facts: FileFacts) -> None:
    if len(_PARSED) > 64:
        _PARSED.clear()
    _PARSED[(relpath, text)] = facts


@dataclass
class Session:
    """One run over one checkout: each file is read and parsed at most once."""

    source: Source
    label: str | None = None  # how the output names the source, instead of path and commit
    cache: FactsCache | None = None
    mentioned: frozenset[str] | None = None  # every symbol the templates name, all modules
    upstream: bool = True  # facts of upstream blobs from the bundle (False: parse them again)
    # each file read, in the order first asked for: its facts, why it cannot be read, or
    # ELSEWHERE when the second process of a check read it (read here when asked for)
    _facts: dict[str, FileFacts | ExplainError | object] = field(default_factory=dict)
    read: dict[str, str] | None = None  # when a dict, the text of each work-tree file read
    # work-tree files prefetch found to be upstream blobs: their text and blob id, so that
    # reading their facts neither reads nor hashes them again
    _bundled: dict[str, tuple[str, str]] = field(default_factory=dict)


    def facts(self, relpath: str) -> FileFacts | ExplainError:
        found = self._facts.get(relpath, ELSEWHERE)
        if found is ELSEWHERE:
            try:
                found = self._read(relpath)
            except ExplainError as exc:
                found = exc
            self._facts[relpath] = found
        return found  # type: ignore[return-value]

    def prefetch(self, relpaths: Iterable[str]) -> None:
        """Parse, together, the files of ``relpaths`` that a run will parse: on two cores,
        in two processes (:func:`~nanochat_explain.facts.parse.extract_many`). What is
        known without parsing, cannot be read, or is the only file to parse, is left to
        :meth:`facts`."""
        source, cache = self.source, self.cache
        if source.bundle is not None:
            return
        texts: dict[str, str] = {}
        for relpath in dict.fromkeys(relpaths):
            if relpath in self._facts or relpath in self._bundled:
                continue
            blob = source.tree.get(relpath) if source.tree is not None else None
            upstream = self.upstream if blob is None else (
                self.upstream or source.upstream is not None)
            if blob is not None and ((upstream and _bundled_blob(blob))
                                     or (cache is not None
                                         and cache.get_blob(relpath, blob) is not None)):
                continue
            try:
                text = source.read_text(relpath)
            except ExplainError as exc:
                self._facts[relpath] = exc
                continue
            if (relpath, text) in _PARSED:
                continue
            if upstream or blob is not None:
                found = _bundled_text(text)
                if found is not None:  # decoded when a claim reads them
                    if blob is None:
                        self._bundled[relpath] = (text, found)
                    continue
            cached = cache.get(relpath, text) if cache is not None else None
            if cached is not None:
                self._known_now(relpath, text, cached)
            else:
                texts[relpath] = text
        if len(texts) < 2:
            return
        from nanochat_explain.facts.parse import extract_many

        for relpath, facts in extract_many(texts).items():
            _parsed(relpath, texts[relpath], facts, cache)
            self._known_now(relpath, texts[relpath], facts)

    def _known_now(self, relpath: str, text: str, facts: FileFacts) -> None:
        """Keep facts found ahead of :meth:`facts`: a work-tree file's in this session (the
        run's memory of parsed texts is bounded, and a long run may have dropped them by
        the time a claim reads the file); a git blob's in that memory, so that reading it
        still files the facts under its blob id."""
        if self.source.tree is None or relpath not in self.source.tree:
            self._facts[relpath] = facts
            if self.read is not None:
                self.read[relpath] = text
        else:
            _remember(relpath, text, facts)

    def _read(self, relpath: str) -> FileFacts:
        source, cache = self.source, self.cache
        if source.bundle is not None:
            return source.bundle.facts(relpath)
        blob = source.tree.get(relpath) if source.tree is not None else None
        if blob is None:
            text, bundled = self._bundled.pop(relpath, None) or (source.read_text(relpath), None)
            if self.read is not None:
                self.read[relpath] = text
            found = _from_bundle(relpath, text, bundled) if bundled is not None else None
            return found or parse_text(text, relpath, cache, self.upstream)
        upstream = self.upstream or source.upstream is not None  # nothing else to read
        return parse_blob(relpath, blob, lambda: source.read_text(relpath), cache, upstream)

    @property
    def info(self) -> SourceInfo:
        s = self.source
        return SourceInfo(s.display, s.commit, bundled=s.bundled, dirty=s.dirty,
                          label=self.label, ref=s.ref)

    def problems(self, shown: Iterable[Result] | None = None) -> list[ExplainError]:
        """The files that could not be read or parsed, in the order they were asked for;
        with ``shown``, only those the shown claims read, in the order of the first claim
        on each (not the order the claims were checked in, which two processes change): a
        file that only another form reads (the optimizer's muon.py at the pin) is expected
        to be missing."""
        if shown is None:
            return [f for f in self._facts.values() if isinstance(f, ExplainError)]
        found = (self._facts.get(r.file) for r in shown)
        return list(dict.fromkeys(f for f in found if isinstance(f, ExplainError)))

    def check_claim(self, claim: ClaimSpec) -> Result:
        from nanochat_explain.claims.checks import evaluate

        facts = self.facts(claim.file)
        if isinstance(facts, ExplainError):
            return Result(claim.id, claim.kind, Status.ERROR, claim.file, facts.line,
                          f"cannot check: {facts.message}",
                          unreadable=not isinstance(facts, FileMissing))
        outcome = evaluate(claim, facts)
        return Result(claim.id, claim.kind, outcome.status, claim.file, outcome.line,
                      outcome.detail, outcome.value)

    def check(self, template: Template) -> tuple[Result, ...]:
        return tuple(self.check_claim(c) for c in template.claims)

    def _briefly(self, template: Template) -> _Detailed:
        """The template's results, each claim checked only when its result is read, and
        each failure's detail computed only when it is read.

        Most claims need not be checked at all: an item's other forms are looked at only
        when its first form does not hold (at the pin, a third of all claims), and most
        failing claims are never shown: ranking what the code has instead of each was a
        third of a check's time.
        """
        from nanochat_explain.claims.checks import BRIEF

        claims = {c.id: c for c in template.claims}
        # a caller that wants no details at all (a history walk) never completes them
        return _Detailed(self, claims, _Brief(self, claims), not BRIEF.get())

    def choose(self, template: Template) -> Chosen:
        """The template in the forms this checkout has, with the claims it shows."""
        from nanochat_explain.templates.forms import choose

        return choose(template, self._briefly(template).brief)

    def explain(self, template: Template) -> Explanation:
        original = template
        self.prefetch(c.file for c in template.claims)
        by_id = self._briefly(template)
        from nanochat_explain.explanation import Checked, Explanation
        from nanochat_explain.templates.forms import choose

        chosen = choose(template, by_id.brief)  # statuses and values: no detail is read
        template, values = chosen.template, chosen.values
        results = tuple(by_id[i] for i in chosen.shown)
        source_of, written = _prose_values(original, by_id.brief, values)

        def checked(ids: Iterable[str], *texts: str) -> Checked:
            """The piece's claims, and those of the placeholders its text uses."""
            used = [source_of[m] for t in texts for m in PLACEHOLDER.findall(t)
                    if m in source_of]
            return Checked(tuple(by_id[i] for i in dict.fromkeys([*ids, *used])))

        return Explanation(
            template=template,
            source=self.info,
            summary=checked(template.summary_claims),
            diagram=fill_diagram(template.diagram, values),
            diagram_check=checked(template.diagram_claims),
            boxes=tuple((box, checked(box.claims)) for box in template.boxes),
            notes=tuple((note, fill(note.text, written), checked(note.claims, note.text))
                        for note in template.notes),
            breakdown=tuple((item, fill(item.what, written), fill(item.why, written),
                             self._inside(item.symbol, checked(item.claims, item.what,
                                                               item.why)))
                            for item in template.breakdown),
            comparisons=tuple((row, fill(row.nanochat, written),
                               checked(row.claims, row.nanochat))
                              for row in template.comparisons),
            results=results,
            values=values,
            choices=chosen.choices,
            uncovered=uncovered(self, original, template),
            original=original,
        )

    def _inside(self, symbol: str, check: Checked) -> Checked:
        """A component's place: its first claim checked inside the symbol it names, else
        the symbol's definition (a claim on an argparse default is not where the schedule
        function is)."""
        for r in check.results:
            facts = self.facts(r.file)
            sym = None if isinstance(facts, ExplainError) else facts.symbol(symbol)
            if sym is None:
                continue
            inside = [x for x in check.results if x.file == r.file and x.line is not None
                      and sym.line <= x.line <= sym.end_line]
            at = inside[0].location if inside else f"{r.file}:{sym.line}"
            return replace(check, at=at)
        return check

    def check_all(self, templates: Iterable[Template]) -> CheckReport:
        from nanochat_explain.templates.load import Planned

        plan = templates if isinstance(templates, Planned) else Planned.of(templates)
        self.prefetch(f for files in plan.files for f in files)
        pieces = _in_two(self, plan)
        return CheckReport(self.info, *(tuple(p[i] for p in pieces) for i in range(4)))

    def _checked(self, template: Template) -> tuple[Any, ...]:
        """One module's part of a check report: (module, results shown), backed items,
        (module, form choices), (module, uncovered code)."""
        from nanochat_explain.templates.forms import choose

        by_id = self._briefly(template)
        c = choose(template, by_id.brief)
        return ((template.module, tuple(by_id[i] for i in c.shown)),
                c.template.backed_items(), (template.module, c.choices),
                (template.module, uncovered(self, template, c.template)))


def _cost(plan: Planned, i: int) -> int:
    """About how long checking a template takes, in claims: a file to read and decode
    costs about a hundred."""
    return plan.claim_counts[i] + 100 * len(plan.files[i])


# a file the second process of a check read (see _in_two); Session.facts reads it when asked
ELSEWHERE = object()


def _in_two(session: Session, templates: Planned) -> list[tuple[Any, ...]]:
    """Each template's part of the check report; on two cores, in two processes.

    A cold check of many modules spends most of its time decoding facts and checking
    claims, and each module's claims are checked on their own: a forked process checks
    some of the modules and sends their parts back, with the files it read (those it
    could not read with their errors; the others are read here when asked for). If the
    second process fails in any way, this one checks its modules too. Files read through
    git (a revision) are read by one process only: the two would share git's pipe.
    """
    import os

    from nanochat_explain.facts.processes import can_fork, shared

    if (len(templates) < 4 or len(templates) > 255 or session.source.tree is not None
            or not can_fork()):
        return [session._checked(t) for t in templates]

    # the modules to check, as one byte each in a pipe, the costliest first (claims to
    # check, files to read): each process takes the next module when it has checked the
    # last, so neither waits for the other longer than one module takes
    queue_read, queue_write = os.pipe()
    order = sorted(range(len(templates)), key=lambda i: -_cost(templates, i))
    os.write(queue_write, bytes(order))
    os.close(queue_write)

    def take() -> dict[int, tuple[Any, ...]]:
        done = {}
        while (byte := os.read(queue_read, 1)):
            done[byte[0]] = session._checked(templates[byte[0]])
        return done

    before = set(session._facts)

    def second() -> tuple[dict[int, tuple[Any, ...]], dict[str, ExplainError | None]]:
        parts = take()
        return parts, {rel: f if isinstance(f, ExplainError) else None
                       for rel, f in session._facts.items() if rel not in before}

    try:
        ours, sent = shared(take, second)
    finally:
        os.close(queue_read)
    theirs = set(range(len(templates))) - set(ours)
    if (isinstance(sent, tuple) and len(sent) == 2 and isinstance(sent[0], dict)
            and set(sent[0]) == theirs and isinstance(sent[1], dict)):
        parts, read = sent
        for relpath, error in read.items():
            session._facts.setdefault(relpath, ELSEWHERE if error is None else error)
    else:
        parts = {i: session._checked(templates[i]) for i in sorted(theirs)}
    ours.update(parts)
    return [ours[i] for i in range(len(templates))]


class _Brief(dict[str, Result]):
    """Results by claim id, each checked (without the detail of a failure) the first time
    it is read: a result nobody reads is never computed."""

    def __init__(self, session: Session, claims: dict[str, ClaimSpec]) -> None:
        super().__init__()
        self.session, self.claims = session, claims

    def __missing__(self, cid: str) -> Result:
        from nanochat_explain.claims.checks import BRIEF

        claim = self.claims[cid]
        token = BRIEF.set(True)
        try:
            found = self[cid] = self.session.check_claim(claim)
        finally:
            BRIEF.reset(token)
        return found


class _Detailed(dict[str, Result]):
    """Results by claim id, read from ``brief`` (statuses, lines and values; failures
    without what was found instead) and completed, the first time each is read here, by
    checking the claim again with its full detail."""

    def __init__(self, session: Session, claims: dict[str, ClaimSpec],
                 brief: dict[str, Result], shortened: bool) -> None:
        super().__init__()
        self.session, self.claims, self.brief, self.shortened = (session, claims, brief,
                                                                 shortened)

    def __missing__(self, cid: str) -> Result:
        found = self.brief[cid]
        # only a claim that does not hold has a detail that the brief check shortens
        if self.shortened and found.status is not Status.PASS:
            found = self.session.check_claim(self.claims[cid])
        self[cid] = found
        return found


def uncovered(session: Session, template: Template,
              shown: Template) -> tuple[Uncovered, ...]:
    from nanochat_explain.facts.uncovered import uncovered as find

    return find(session.facts, template, shown, session.mentioned)


def _prose_values(template: Template, by_id: dict[str, Result], values: dict[str, Any]
                  ) -> tuple[dict[str, str], dict[str, Any]]:
    """For each placeholder, the claim its value comes from, and the values prose is
    filled with.

    A sentence filled with a value its claim no longer expects can read as nonsense
    ("the default already is 10000" under a TODO to raise it to 100K): when no claim
    supplying a placeholder holds, prose keeps the value it was written for and is shown
    as no longer true, with the code's value in the failing claim. The diagram and the
    JSON values show the code's values.
    """
    suppliers: dict[str, list[ClaimSpec]] = {}
    for c in template.claims:
        if c.placeholder:
            suppliers.setdefault(c.placeholder, []).append(c)
    source_of: dict[str, str] = {}
    written = dict(values)
    for name, claims in suppliers.items():
        holding = next((c for c in claims if by_id[c.id].status is Status.PASS), None)
        if holding is not None:
            source_of[name] = holding.id
            continue
        pick = next((c for c in claims if by_id[c.id].value is not None), claims[0])
        source_of[name] = pick.id
        if pick.get("expect") is not None:
            written[name] = pick.get("expect")
    return source_of, written


COVERAGE_SCOPE = ("nanochat/", "scripts/base_train.py")


def coverage(session: Session, templates: Iterable[Template]) -> CoverageReport:
    from nanochat_explain.facts.uncovered import mentioned_names
    from nanochat_explain.reports import CoverageReport, Unmentioned

    names = mentioned_names(templates)
    files = session.source.list_files(COVERAGE_SCOPE)
    total = 0
    unmentioned: list[Unmentioned] = []
    for relpath in files:
        facts = session.facts(relpath)
        if isinstance(facts, ExplainError):
            continue
        functions = {f.qualname for f in facts.functions}
        symbols: list[Class | Function] = [*facts.classes, *facts.functions]
        for sym in sorted(symbols, key=lambda s: s.line):
            if sym.qualname.rpartition(".")[0] in functions:
                continue  # a function nested in a function is part of its body
            total += 1
            if sym.qualname not in names:
                unmentioned.append(Unmentioned(relpath, sym.qualname, sym.kind, sym.line))
    return CoverageReport(session.info, tuple(files), total, tuple(unmentioned))


UNKNOWN = "?"


def format_value(value: Any) -> str:
    """A value as prose shows it: floats to six significant digits (JSON keeps them
    exact), so a coefficient reads 8.15655, not 8.156554524902461."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    if isinstance(value, float):
        short = f"{value:.6g}"
        return short if len(short) < len(repr(value)) else repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def fill(text: str, values: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(
        lambda m: format_value(values[m.group(1)]) if m.group(1) in values else UNKNOWN, text)


_PADDED = re.compile(PLACEHOLDER.pattern + r"( *)")


def fill_diagram(text: str, values: dict[str, Any]) -> str:
    """Fill placeholders and keep the columns to their right where they were.

    A run of two or more spaces after a placeholder is alignment: it absorbs a
    longer value and grows for a shorter one, so what is drawn to its right stays in
    its column (one space is always kept). A single space is just a space.
    """

    def sub(m: re.Match[str]) -> str:
        name, spaces = m.group(1), m.group(2)
        value = format_value(values[name]) if name in values else UNKNOWN
        if len(spaces) < 2:
            return value + spaces
        width = len(m.group(0))
        return value + " " * max(1, width - len(value))

    return _PADDED.sub(sub, text)
