"""``find``: free text to the checked statements that match it, best first.

No model and no embeddings: the words of the query are matched against what the
templates say (module names and aliases, titles, components, comparison rows, notes,
diagram boxes), the claim ids, symbols and details, and the values read from the code.
Every hit carries the status and ``file:line`` of the claims behind it, from checking
them against the code at hand, so a hit is a statement, not a snippet of text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from nanochat_explain.explanation import Checked, Explanation
from nanochat_explain.model import Result, SourceInfo, Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Words that say what kind of question it is, not what it is about.
STOPWORDS = frozenset({
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "could", "did", "do",
    "does", "doing", "done", "explain", "explained", "explains", "for", "from", "give", "has",
    "have", "how", "i", "in", "into", "is", "it", "its", "me", "my", "nanochat", "of", "on",
    "or", "please", "should", "show", "tell", "that", "the", "their", "them", "there",
    "these", "this", "those", "to", "use", "used", "uses", "using", "was", "way", "we",
    "what", "whats", "when", "where", "which", "who", "why", "will", "with", "work", "works",
    "working", "would", "you", "your",
})

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+(?:\.\d+)?(?:e-?\d+)?")
_RUN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]*|\d+(?:\.\d+)?(?:e-?\d+)?")

# How much a matched word counts, by where it was found.
NAME, LABEL, TEXT = 10, 3, 1
PHRASE = 4  # the words of the query next to each other, in order


def words(text: str) -> list[str]:
    """Lower-case words of ``text``; identifiers split at ``_``, ``.``, ``-`` and camel
    case (``KVCache`` → ``kv``, ``cache``), plurals folded (``windows`` → ``window``)."""
    return [_fold(w.lower()) for w in _WORD.findall(text)]


def vocabulary(text: str) -> set[str]:
    """The words of ``text`` and its unsplit runs of letters and digits (``SwiGLU`` is
    ``swi``, ``glu`` and ``swiglu``), for membership."""
    return {*words(text), *(_fold(w.lower()) for w in _RUN.findall(text))}


def _fold(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(query: str) -> tuple[str, ...]:
    """The words of the query that say what it is about, in order, without repeats.

    A word is kept whole (``RoPE`` is ``rope``, ``KVCache`` is ``kvcache``): the text it
    is looked for in is indexed both split and whole.
    """
    kept = (_fold(w.lower()) for w in _TERM.findall(query.replace("'", ""))
            if w.lower() not in STOPWORDS)
    return tuple(dict.fromkeys(w for w in kept if w not in STOPWORDS))


@dataclass(frozen=True)
class Hit:
    """One statement that matches the query, with what checking it found."""

    module: str
    kind: str  # summary, box, component, comparison, note, value, claim
    name: str
    text: str
    status: Status
    file: str | None
    line: int | None
    claims: tuple[str, ...]
    matched: tuple[str, ...]  # the query's terms it contains
    score: int

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def as_dict(self) -> dict[str, Any]:
        return {"module": self.module, "kind": self.kind, "name": self.name,
                "text": self.text, "status": self.status.value, "file": self.file,
                "line": self.line, "claims": list(self.claims),
                "matched": list(self.matched), "score": self.score}


@dataclass(frozen=True)
class ModuleMatch:
    module: str
    title: str
    summary: str
    status: Status  # of the claims behind the summary
    matched: tuple[str, ...]
    score: int

    def as_dict(self) -> dict[str, Any]:
        return {"module": self.module, "title": self.title, "summary": self.summary,
                "status": self.status.value, "matched": list(self.matched),
                "score": self.score}


@dataclass(frozen=True)
class FindReport:
    query: str
    terms: tuple[str, ...]
    source: SourceInfo
    modules: tuple[ModuleMatch, ...]  # best first; every module when no terms were given
    hits: tuple[Hit, ...]  # best first
    all_modules: tuple[str, ...]  # to name when nothing matches

    @property
    def empty_query(self) -> bool:
        return not self.terms

    @property
    def found(self) -> bool:
        return self.empty_query or bool(self.modules)

    def as_dict(self) -> dict[str, Any]:
        return {"schema_version": 1, "query": self.query, "terms": list(self.terms),
                "source": self.source.as_dict(),
                "modules": [m.as_dict() for m in self.modules],
                "hits": [h.as_dict() for h in self.hits]}


@dataclass(frozen=True)
class _Candidate:
    kind: str
    name: str
    text: str
    fields: tuple[tuple[int, str], ...]  # (weight, text) searched
    check: Checked
    claims: tuple[str, ...]


def _candidates(exp: Explanation) -> Iterator[_Candidate]:
    t = exp.template
    yield _Candidate("summary", t.title, t.summary,
                     ((NAME, t.module), *((NAME, a) for a in t.aliases), (LABEL, t.title),
                      (TEXT, t.summary)), exp.summary, t.summary_claims)
    for box, check in exp.boxes:
        yield _Candidate("box", box.label, box.label, ((LABEL, box.label),), check, box.claims)
    for item, what, why, check in exp.breakdown:
        yield _Candidate("component", item.name, what,
                         ((LABEL, item.name), (LABEL, item.symbol), (TEXT, what), (TEXT, why)),
                         check, item.claims)
    for row, text, check in exp.comparisons:
        others = " ".join(o for _, o in row.others)
        yield _Candidate("comparison", row.aspect, text,
                         ((LABEL, row.aspect), (TEXT, text), (TEXT, others)), check, row.claims)
    for note, text, check in exp.notes:
        yield _Candidate("note", text, text, ((TEXT, text),), check, note.claims)
    specs = {c.id: c for c in t.claims}
    for result in exp.results:  # the claims the explanation shows, in its order
        spec = specs.get(result.id)
        if spec is None:
            continue
        if spec.placeholder and spec.placeholder in exp.values:
            shown = f"{spec.placeholder} = {_value(exp.values[spec.placeholder])}"
            yield _Candidate("value", spec.placeholder, shown,
                             ((LABEL, spec.placeholder), (TEXT, shown)),
                             Checked((result,)), (spec.id,))
        yield _Candidate("claim", spec.id, result.detail,
                         ((LABEL, spec.id), (LABEL, spec.symbol or ""), (TEXT, result.detail)),
                         Checked((result,)), (spec.id,))


def _value(value: Any) -> str:
    from nanochat_explain.core import format_value

    return format_value(value)


def _score(candidate: _Candidate, query: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    matched: set[str] = set()
    score = 0
    for weight, text in candidate.fields:
        found = words(text)
        present = vocabulary(text) & set(query)
        if weight == NAME and found and found == [w for w in found if w in query]:
            score += NAME * len(present)  # the whole name or alias is in the query
        else:
            score += (weight if weight != NAME else LABEL) * len(present)
        matched |= present
        if len(query) > 1 and _adjacent(found, query):
            score += PHRASE
    return tuple(t for t in query if t in matched), score


def _adjacent(found: list[str], query: tuple[str, ...]) -> bool:
    n = len(query)
    return any(tuple(found[i:i + n]) == query for i in range(len(found) - n + 1))


def _first(check: Checked) -> Result | None:
    return check.results[0] if check.results else None


def find(query: str, explanations: Iterable[Explanation], source: SourceInfo,
         limit: int = 10) -> FindReport:
    """The modules and statements of ``explanations`` matching ``query``, best first.

    A statement ranks by how many of the query's terms it holds, then by where they
    occur (a module's name or alias, a label, running text) and whether they occur
    together; ties keep the catalogue's order, so the result is the same every run.
    """
    exps = list(explanations)
    wanted = terms(query)
    names = tuple(e.template.module for e in exps)
    if not wanted:
        modules = tuple(ModuleMatch(e.template.module, e.template.title, e.template.summary,
                                    e.summary.status, (), 0) for e in exps)
        return FindReport(query, wanted, source, modules, (), names)
    scored: list[tuple[tuple[int, int, int, int], Hit]] = []
    per_module: dict[str, list[Hit]] = {}
    for m, exp in enumerate(exps):
        for n, cand in enumerate(_candidates(exp)):
            matched, score = _score(cand, wanted)
            if not matched:
                continue
            first = _first(cand.check)
            hit = Hit(exp.template.module, cand.kind, cand.name, cand.text, cand.check.status,
                      first.file if first else None, first.line if first else None,
                      cand.claims, matched, score)
            scored.append(((-len(matched), -score, m, n), hit))
            per_module.setdefault(hit.module, []).append(hit)
    best = max((len(h.matched) for _, h in scored), default=0)
    # a statement holding every term beats any number holding some of them
    hits = tuple(h for _, h in sorted(scored, key=lambda pair: pair[0])
                 if len(h.matched) == best)[:limit]
    ranked: list[tuple[tuple[int, int, int], ModuleMatch]] = []
    for m, exp in enumerate(exps):
        found = per_module.get(exp.template.module)
        if not found:
            continue
        covered = tuple(t for t in wanted if any(t in h.matched for h in found))
        top = sorted((h.score for h in found if len(h.matched) == max(
            len(x.matched) for x in found)), reverse=True)
        own = next((h.score for h in found if h.kind == "summary"), 0)
        score = own + sum(top[:3])
        ranked.append(((-len(covered), -score, m),
                       ModuleMatch(exp.template.module, exp.template.title,
                                   exp.template.summary, exp.summary.status, covered, score)))
    widest = max((len(mm.matched) for _, mm in ranked), default=0)
    modules = tuple(mm for _, mm in sorted(ranked, key=lambda pair: pair[0])
                    if len(mm.matched) == widest)
    return FindReport(query, wanted, source, modules, hits, names)
