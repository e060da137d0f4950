"""Pick the form of each item that the code has.

An item (the summary, the diagram, a component, a comparison row, a note) may describe
nanochat in several forms: the newest upstream one, the ones upstream had before, and the
ones forks commonly use. Each form has its own claims. The form shown is the first whose
claims all hold; when none holds, the one with the largest share of holding claims (the
newest on a tie), shown with its failures. Pure: claim results in, the template as the
reader sees it out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from nanochat_explain.model import Form, Result, Status, Template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    Item = TypeVar("Item")


@dataclass(frozen=True)
class FormChoice:
    """Which form of one item the code has."""

    section: str  # summary, diagram, breakdown, comparisons or notes
    index: int  # the item's place in its section
    key: str  # stable across template edits: the section and the newest form's name
    label: str  # the chosen form's label
    newest: bool  # the chosen form is the template's own, upstream's newest
    held: bool  # every claim of the chosen form holds
    differs: str  # for a form beyond upstream: how the code differs from upstream
    labels: tuple[str, ...]  # every form's label, newest first

    @property
    def upstream(self) -> bool:
        return not self.differs

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "index": self.index, "key": self.key,
                "form": self.label, "newest": self.newest, "held": self.held,
                "upstream": self.upstream, "differs": self.differs or None,
                "forms": list(self.labels)}


@dataclass(frozen=True)
class Chosen:
    """The template with every item in the form the code has."""

    template: Template
    choices: tuple[FormChoice, ...]
    shown: tuple[str, ...]  # the ids of the claims the reader is shown, in template order
    values: dict[str, Any]

    def choice(self, section: str, index: int) -> FormChoice | None:
        for c in self.choices:
            if c.section == section and c.index == index:
                return c
        return None


def _pick(candidates: list[tuple[str, ...]], status: Callable[[str], Status],
          unknown: Callable[[str], bool] = lambda cid: False) -> tuple[int, bool]:
    """(index of the form shown, whether all its claims hold). A form's claims are read
    only until one fails, and the other forms' only when the first does not hold: results
    are computed as they are read.

    When no form holds, the form with the largest share of claims that hold is shown (the
    newest of equals). Claims that are ``unknown`` (their file could not be read or
    parsed) count for no form: a file that does not parse must not turn the explanation to
    an older form that the readable files contradict. A form with no other claim says
    nothing either way: the newest (the first) keeps its place, another takes none."""
    for i, claims in enumerate(candidates):
        if all(status(c) is Status.PASS for c in claims):
            return i, True

    def share(i: int, claims: tuple[str, ...]) -> float:
        known = [c for c in claims if not unknown(c)]
        if not known:
            return 1.0 if i == 0 else 0.0
        return sum(status(c) is Status.PASS for c in known) / len(known)

    best = max((share(i, claims), -i) for i, claims in enumerate(candidates))
    return -best[1], False


def item_key(section: str, item: Any, index: int = 0) -> str:
    """How an item is named in the shipped timeline and in tests: by its newest form's
    name or aspect; a note by its place."""
    name = {"breakdown": "name", "comparisons": "aspect"}.get(section)
    if name is not None:
        return f"{section}:{getattr(item, name)}"
    return f"{section}:{index}" if section == "notes" else section


def _choose_items(section: str, items: Iterable[Item], status: Callable[[str], Status],
                  unknown: Callable[[str], bool], choices: list[FormChoice]
                  ) -> tuple[Item, ...]:
    out = []
    for index, item in enumerate(items):
        forms: tuple[Form, ...] = getattr(item, "forms", ())
        if not forms:
            out.append(item)
            continue
        own: tuple[str, ...] = getattr(item, "claims")  # noqa: B009 - items differ in type
        at, held = _pick([own, *(f.claims for f in forms)], status, unknown)
        labels = (getattr(item, "form"), *(f.label for f in forms))  # noqa: B009
        if at == 0:
            chosen = dataclasses.replace(item, forms=())  # type: ignore[type-var]
            differs = ""
        else:
            form = forms[at - 1]
            chosen = dataclasses.replace(item, **dict(form.fields),  # type: ignore[type-var]
                                         claims=form.claims, form=form.label, forms=())
            differs = form.differs
        choices.append(FormChoice(section, index, item_key(section, item, index), labels[at],
                                  at == 0, held, differs, labels))
        out.append(chosen)
    return tuple(out)


def choose(template: Template, results: Mapping[str, Result]) -> Chosen:
    """The template in the forms ``results`` say the code has."""
    from nanochat_explain.templates.load import PLACEHOLDER

    def status(cid: str) -> Status:
        return results[cid].status

    def unknown(cid: str) -> bool:
        return results[cid].unreadable

    choices: list[FormChoice] = []
    replace: dict[str, Any] = {}
    if template.summary_forms:
        forms = template.summary_forms
        at, held = _pick([template.summary_claims, *(f.claims for f in forms)], status, unknown)
        labels = (template.summary_form, *(f.label for f in forms))
        if at:
            replace.update(summary=dict(forms[at - 1].fields).get("summary", template.summary),
                           summary_claims=forms[at - 1].claims)
        choices.append(FormChoice("summary", 0, "summary", labels[at], at == 0, held,
                                  forms[at - 1].differs if at else "", labels))
    if template.diagram_forms:
        forms = template.diagram_forms
        at, held = _pick([template.diagram_claims, *(f.claims for f in forms)], status, unknown)
        labels = (template.diagram_form, *(f.label for f in forms))
        if at:
            fields = dict(forms[at - 1].fields)
            replace.update(diagram=fields.get("diagram", template.diagram),
                           boxes=fields.get("boxes", ()), diagram_claims=forms[at - 1].claims)
        choices.append(FormChoice("diagram", 0, "diagram", labels[at], at == 0, held,
                                  forms[at - 1].differs if at else "", labels))
    replace["breakdown"] = _choose_items("breakdown", template.breakdown, status, unknown, choices)
    replace["comparisons"] = _choose_items("comparisons", template.comparisons, status, unknown,
                                           choices)
    replace["notes"] = _choose_items("notes", template.notes, status, unknown, choices)
    # a paper backs a statement about the code: cited only while its claims hold
    replace["papers"] = tuple(p for p in template.papers
                              if all(status(c) is Status.PASS for c in p.claims))
    replace.update(summary_forms=(), diagram_forms=())
    shown_template = dataclasses.replace(template, **replace)

    ids: set[str] = set(shown_template.summary_claims) | set(shown_template.diagram_claims)
    for box in shown_template.boxes:
        ids.update(box.claims)
    for group in (shown_template.breakdown, shown_template.comparisons, shown_template.notes,
                  shown_template.papers):
        for item in group:
            ids.update(item.claims)
    texts = [shown_template.diagram, *(c.what + " " + c.why for c in shown_template.breakdown),
             *(r.nanochat for r in shown_template.comparisons),
             *(n.text for n in shown_template.notes),
             *(c.label for c in choices)]
    wanted = {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}
    values: dict[str, Any] = {}
    supplying: dict[str, list[str]] = {}
    for c in template.claims:
        if c.placeholder is not None and c.placeholder in wanted:
            supplying.setdefault(c.placeholder, []).append(c.id)
    for name in sorted(wanted):
        suppliers = supplying.get(name, [])
        # the first that holds with a value, else the first with a value, else the first:
        # the later suppliers are checked only when the first ones do not hold
        pick = next((cid for cid in suppliers if results[cid].status is Status.PASS
                     and results[cid].value is not None), None)
        if pick is None:
            pick = next((cid for cid in suppliers if results[cid].value is not None),
                        next(iter(suppliers), None))
        if pick is not None:
            ids.add(pick)
            if results[pick].value is not None:
                values[name] = results[pick].value
    shown = tuple(c.id for c in template.claims if c.id in ids)
    return Chosen(shown_template, tuple(choices), shown, values)


def shown_items(exp: Any) -> list[tuple[str, bool]]:
    """(key, holds) for each item an explanation shows that states something about the
    code: the summary, the diagram's boxes, components, comparison rows and notes."""
    out = [("summary", exp.summary.status is Status.PASS)]
    out += [(f"box:{b.label}", c.status is Status.PASS) for b, c in exp.boxes]
    out += [(f"breakdown:{i.name}", c.status is Status.PASS) for i, _, _, c in exp.breakdown]
    out += [(f"comparisons:{r.aspect}", c.status is Status.PASS)
            for r, _, c in exp.comparisons]
    out += [(f"notes:{t[:40]}", c.status is Status.PASS) for _, t, c in exp.notes]
    return out
