"""Load the YAML templates, one per module, and validate them strictly."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nanochat_explain.errors import TemplateError
from nanochat_explain.facts.canon import canonical_forms, remember
from nanochat_explain.model import (
    Box,
    ClaimSpec,
    Comparison,
    Component,
    Form,
    Note,
    Paper,
    Template,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, overload

    from nanochat_explain.templates.yamlsafe import Path_

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_TOP_KEYS = {
    "module": (str, True),
    "title": (str, True),
    "summary": (str, True),
    "summary_claims": (list, True),
    "aliases": (list, False),
    "sources": (list, True),
    "diagram": (dict, True),
    "breakdown": (list, True),
    "compare_with": (list, True),
    "comparisons": (list, True),
    "papers": (list, True),
    "claims": (list, True),
    "notes": (list, False),
    "summary_form": (str, False),
    "summary_forms": (list, False),
    "entry": (list, False),
}
_FORM_KEYS = {"form": (str, False), "forms": (list, False)}
_DIAGRAM_KEYS = {"text": (str, True), "claims": (list, True), "boxes": (list, False),
                 **_FORM_KEYS}
_BOX_KEYS = {"label": (str, True), "claims": (list, True)}
_NOTE_KEYS = {"text": (str, True), "claims": (list, True), **_FORM_KEYS}
_COMPONENT_KEYS = {
    "name": (str, True),
    "symbol": (str, True),
    "what": (str, True),
    "why": (str, False),
    "claims": (list, True),
    **_FORM_KEYS,
}
_COMPARISON_KEYS = {
    "aspect": (str, True),
    "nanochat": (str, True),
    "claims": (list, True),
    "others": (dict, True),
    **_FORM_KEYS,
}
# what another form of an item may replace: (key in the template, field of the item)
_FORM_FIELDS: dict[str, dict[str, str]] = {
    "component": {"name": "name", "symbol": "symbol", "what": "what", "why": "why"},
    "comparison": {"nanochat": "nanochat"},
    "note": {"text": "text"},
    "summary": {"text": "summary"},
    "diagram": {"text": "diagram", "boxes": "boxes"},
}
_PAPER_KEYS = {
    "title": (str, True),
    "first_author": (str, True),
    "year": (int, True),
    "arxiv": (str, True),
    "backs": (str, True),
    "claims": (list, False),
}
_CLAIM_COMMON = {"id", "kind", "file", "symbol", "as"}
_ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass
class _Ctx:
    """Where validation is: the template file, for messages."""

    filename: str
    lines: dict[Path_, int]

    def line(self, path: Path_) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def error(self, message: str, path: Path_) -> TemplateError:
        from nanochat_explain.templates.yamlsafe import key_text

        return TemplateError(message, file=self.filename, line=self.line(path),
                             key=key_text(path) or None)


def _type_name(types: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
             list: "a list", dict: "a mapping", type(None): "null"}
    seq = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in seq)


def _is(value: Any, types: type | tuple[type, ...]) -> bool:
    seq = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in seq:
        return False
    return isinstance(value, seq)


def _mapping(
    ctx: _Ctx, data: Any, path: Path_, spec: Mapping[str, tuple[type, bool]]
) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ctx.error("expected a mapping", path)
    for key in data:
        if key not in spec:
            raise ctx.error(f"unknown key (allowed: {', '.join(spec)})", (*path, key))
    for key, (typ, required) in spec.items():
        if key not in data:
            if required:
                raise ctx.error(f"missing required key {key!r}", path)
            continue
        if not _is(data[key], typ):
            raise ctx.error(f"expected {_type_name(typ)}", (*path, key))
    return data


def _strings(
    ctx: _Ctx, items: list[Any], path: Path_, *, nonempty: bool
) -> tuple[str, ...]:
    if nonempty and not items:
        raise ctx.error("must not be empty", path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ctx.error("expected a string", (*path, i))
    return tuple(items)


def _expressions(claims: Iterable[ClaimSpec]) -> Iterable[str]:
    """Every scalar in the claims' fields, as the text a claim would canonicalise."""
    def walk(value: Any) -> Iterable[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield str(value)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)

    for claim in claims:
        for _, value in claim.fields:
            yield from walk(value)


def _prepared(claims: tuple[ClaimSpec, ...]) -> tuple[tuple[str, str, Any], ...]:
    from nanochat_explain.claims.checks import KINDS  # noqa: F401 - every kind registered
    from nanochat_explain.claims.texts import prepare

    return prepare(claims)


def _relpath(ctx: _Ctx, value: str, path: Path_) -> str:
    p = PurePosixPath(value)
    if p.is_absolute() or "\\" in value or any(part == ".." for part in p.parts) or not p.parts:
        raise ctx.error(f"{value!r}: must be a relative path inside the repository", path)
    return p.as_posix()


def parse(text: str, filename: str) -> Template:
    """Validate one template's text; raise :class:`TemplateError` naming file, line and key."""
    from nanochat_explain.templates import yamlsafe  # only when the template cache misses

    data, lines = yamlsafe.load(text, filename)
    ctx = _Ctx(filename, lines)
    top = _mapping(ctx, data, (), {k: v for k, v in _TOP_KEYS.items()})
    module = top["module"]
    sources = tuple(_relpath(ctx, s, ("sources", i)) for i, s in
                    enumerate(_strings(ctx, top["sources"], ("sources",), nonempty=True)))

    claims = _claims(ctx, top["claims"], sources)
    ids = {c.id for c in claims}

    def refs(items: list[Any], path: Path_, nonempty: bool = True) -> tuple[str, ...]:
        out = _strings(ctx, items, path, nonempty=nonempty)
        for i, ref in enumerate(out):
            if ref not in ids:
                raise ctx.error(f"unknown claim id {ref!r}", (*path, i))
        return out

    def boxes_of(text: str, raw_boxes: list[Any], path: Path_,
                 text_path: Path_) -> tuple[Box, ...]:
        boxes = []
        for i, raw in enumerate(raw_boxes):
            box = _mapping(ctx, raw, (*path, i), _BOX_KEYS)
            if box["label"] not in text:
                raise ctx.error(f"label {box['label']!r} does not occur in the diagram",
                                (*path, i, "label"))
            boxes.append(Box(box["label"], refs(box["claims"], (*path, i, "claims"))))
        for line, content in drawn_boxes(text):
            if not any(b.label in content for b in boxes):
                raise ctx.error(f"the box drawn at diagram line {line} "
                                f"({' '.join(content.split())!r}) is not backed: name it in "
                                f"{'.'.join(str(p) for p in path)}", text_path)
        return tuple(boxes)

    def forms(raw: dict[str, Any], path: Path_, kind: str,
              key: str = "forms") -> tuple[Form, ...]:
        allowed = _FORM_FIELDS[kind]
        spec: dict[str, tuple[type, bool]] = {
            "form": (str, True), "claims": (list, True), "differs": (str, False),
            **{key: (list if key == "boxes" else str, False) for key in allowed}}
        out = []
        labels = {raw.get("form", "")}
        for i, form_raw in enumerate(raw.get(key, [])):
            fpath = (*path, key, i)
            form = _mapping(ctx, form_raw, fpath, spec)
            if form["form"] in labels:
                raise ctx.error(f"form {form['form']!r} is named twice", (*fpath, "form"))
            labels.add(form["form"])
            fields: list[tuple[str, Any]] = []
            for key, field_name in allowed.items():
                if key == "boxes":
                    continue
                if key in form:
                    fields.append((field_name, form[key]))
            if kind == "diagram":
                text = form.get("text", raw["text"])
                fields.append(("boxes", boxes_of(text, form.get("boxes", []), (*fpath, "boxes"),
                                                 (*fpath, "text"))))
            out.append(Form(form["form"], refs(form["claims"], (*fpath, "claims")),
                            tuple(fields), form.get("differs", "")))
        if out and not raw.get("form"):
            raise ctx.error(f"an item with other forms names its own with "
                            f"'{'summary_form' if kind == 'summary' else 'form'}'", path)
        return tuple(out)

    diagram = _mapping(ctx, top["diagram"], ("diagram",), _DIAGRAM_KEYS)
    boxes = boxes_of(diagram["text"], diagram.get("boxes", []), ("diagram", "boxes"),
                     ("diagram", "text"))
    notes = []
    for i, raw in enumerate(top.get("notes", [])):
        note = _mapping(ctx, raw, ("notes", i), _NOTE_KEYS)
        notes.append(Note(note["text"], refs(note["claims"], ("notes", i, "claims")),
                          note.get("form", ""), forms(note, ("notes", i), "note")))
    breakdown = []
    for i, raw in enumerate(top["breakdown"]):
        item = _mapping(ctx, raw, ("breakdown", i), _COMPONENT_KEYS)
        breakdown.append(Component(item["name"], item["symbol"], item["what"],
                                   item.get("why", ""),
                                   refs(item["claims"], ("breakdown", i, "claims")),
                                   item.get("form", ""), forms(item, ("breakdown", i),
                                                               "component")))
    compare_with = _strings(ctx, top["compare_with"], ("compare_with",), nonempty=True)
    comparisons = []
    for i, raw in enumerate(top["comparisons"]):
        row = _mapping(ctx, raw, ("comparisons", i), _COMPARISON_KEYS)
        others = row["others"]
        for col in others:
            if col not in compare_with:
                raise ctx.error(f"column {col!r} is not in compare_with",
                                ("comparisons", i, "others", col))
        for col in compare_with:
            if not isinstance(others.get(col), str):
                raise ctx.error(f"needs a string for column {col!r}",
                                ("comparisons", i, "others"))
        comparisons.append(Comparison(row["aspect"], row["nanochat"],
                                      refs(row["claims"], ("comparisons", i, "claims")),
                                      tuple((col, others[col]) for col in compare_with),
                                      row.get("form", ""),
                                      forms(row, ("comparisons", i), "comparison")))
    papers = []
    for i, raw in enumerate(top["papers"]):
        p = _mapping(ctx, raw, ("papers", i), _PAPER_KEYS)
        if not _ARXIV.match(p["arxiv"]):
            raise ctx.error("expected an arXiv id like 2104.09864", ("papers", i, "arxiv"))
        papers.append(Paper(p["title"], p["first_author"], p["year"], p["arxiv"], p["backs"],
                            refs(p.get("claims", []), ("papers", i, "claims"), nonempty=False)))

    template = Template(
        module=module,
        path=filename,
        title=top["title"],
        summary=top["summary"],
        summary_claims=refs(top["summary_claims"], ("summary_claims",)),
        sources=sources,
        diagram=diagram["text"],
        diagram_claims=refs(diagram["claims"], ("diagram", "claims")),
        boxes=boxes,
        breakdown=tuple(breakdown),
        compare_with=compare_with,
        comparisons=tuple(comparisons),
        papers=tuple(papers),
        claims=claims,
        notes=tuple(notes),
        aliases=_strings(ctx, top.get("aliases", []), ("aliases",), nonempty=False),
        canon=canonical_forms(_expressions(claims)),
        prepared=_prepared(claims),
        summary_form=top.get("summary_form", ""),
        summary_forms=forms({"form": top.get("summary_form", ""), "text": top["summary"],
                             "summary_forms": top.get("summary_forms", [])},
                            (), "summary", "summary_forms"),
        diagram_form=diagram.get("form", ""),
        diagram_forms=forms(diagram, ("diagram",), "diagram"),
        entry=_strings(ctx, top.get("entry", []), ("entry",), nonempty=False),
    )
    _check_placeholders(ctx, template)
    return template


def drawn_boxes(text: str) -> list[tuple[int, str]]:
    """The boxes drawn with ┌─┐ │ │ └─┘ in a diagram: (first line, text inside)."""
    lines = text.split("\n")
    boxes = []
    for row, line in enumerate(lines):
        for top in re.finditer(r"┌─*┐", line):
            left, right = top.start(), top.end() - 1
            inside: list[str] = []
            for below in lines[row + 1:]:
                if len(below) > right and below[left] == "└" and below[right] == "┘":
                    break
                if len(below) <= right or below[left] != "│" or below[right] != "│":
                    inside = []  # not a closed box after all
                    break
                inside.append(below[left + 1:right])
            if inside:
                boxes.append((row + 1, " ".join(inside)))
    return boxes


def _claims(ctx: _Ctx, raw_claims: list[Any], sources: tuple[str, ...]) -> tuple[ClaimSpec, ...]:
    # the claim kinds are read only to validate: templates shipped validated never need them
    from nanochat_explain.claims import inside
    from nanochat_explain.claims.checks import KINDS

    out: list[ClaimSpec] = []
    seen_ids: set[str] = set()
    for i, raw in enumerate(raw_claims):
        path: Path_ = ("claims", i)
        if not isinstance(raw, dict):
            raise ctx.error("expected a mapping", path)
        for key in ("id", "kind"):
            if not isinstance(raw.get(key), str):
                raise ctx.error(f"missing required key {key!r} (a string)", path)
        cid, kind_name = raw["id"], raw["kind"]
        if not _ID.match(cid):
            raise ctx.error(f"{cid!r}: ids are lowercase words joined by '-'", (*path, "id"))
        if cid in seen_ids:
            raise ctx.error(f"duplicate claim id {cid!r}", (*path, "id"))
        seen_ids.add(cid)
        kind = KINDS.get(kind_name)
        if kind is None:
            raise ctx.error(f"unknown claim kind {kind_name!r} (known: {', '.join(KINDS)})",
                            (*path, "kind"))
        for key, value in raw.items():
            if key in _CLAIM_COMMON:
                if key != "kind" and not isinstance(value, str):
                    raise ctx.error("expected a string", (*path, key))
                continue
            if key not in kind.keys:
                allowed = ", ".join(sorted(_CLAIM_COMMON | set(kind.keys)))
                raise ctx.error(f"unknown key for a {kind_name} claim (allowed: {allowed})",
                                (*path, key))
            if not _is(value, kind.keys[key]):
                raise ctx.error(f"expected {_type_name(kind.keys[key])}", (*path, key))
        for key in kind.required:
            if key not in raw:
                raise ctx.error(f"missing required key {key!r} for a {kind_name} claim", path)
        for group in kind.one_of:
            given = [k for k in group if k in raw]
            if len(given) != 1:
                raise ctx.error(f"a {kind_name} claim needs exactly one of "
                                f"{', '.join(group)}", path)
        if kind.symbol == "required" and "symbol" not in raw:
            raise ctx.error(f"missing required key 'symbol' for a {kind_name} claim", path)
        # several claims may supply one placeholder: other forms read the value elsewhere
        if "as" in raw and not kind.supplies_value:
            raise ctx.error(f"a {kind_name} claim supplies no value for 'as'", (*path, "as"))
        if "inside" in raw:
            try:
                inside.parse(raw["inside"])
            except inside.InsideError as exc:
                raise ctx.error(exc.message, (*path, "inside", *exc.path)) from None
        file = _relpath(ctx, raw.get("file", sources[0]), (*path, "file"))
        if file not in sources:
            raise ctx.error(f"{file!r} is not among the template's sources", (*path, "file"))
        fields = tuple((k, v) for k, v in raw.items() if k not in _CLAIM_COMMON)
        out.append(ClaimSpec(cid, kind_name, file, raw.get("symbol"), fields, raw.get("as"),
                             ctx.line(path) or 0))
    return tuple(out)


def _texts(t: Template) -> Iterable[tuple[Path_, str]]:
    def of_forms(path: Path_, forms: tuple[Form, ...]) -> Iterable[tuple[Path_, str]]:
        for j, form in enumerate(forms):
            for name, value in form.fields:
                if isinstance(value, str):
                    yield (*path, "forms", j, name), value
            yield (*path, "forms", j, "form"), form.label

    yield ("diagram", "text"), t.diagram
    yield from of_forms(("diagram",), t.diagram_forms)
    for i, item in enumerate(t.breakdown):
        yield ("breakdown", i, "what"), item.what
        yield ("breakdown", i, "why"), item.why
        yield from of_forms(("breakdown", i), item.forms)
    for i, row in enumerate(t.comparisons):
        yield ("comparisons", i, "nanochat"), row.nanochat
        yield from of_forms(("comparisons", i), row.forms)
    for i, note in enumerate(t.notes):
        yield ("notes", i, "text"), note.text
        yield from of_forms(("notes", i), note.forms)


def _check_placeholders(ctx: _Ctx, t: Template) -> None:
    # `list` shows summaries without reading any code, so they carry no values
    m = PLACEHOLDER.search(" ".join([t.summary, *(dict(f.fields).get("summary", "")
                                                  for f in t.summary_forms)]))
    if m:
        raise ctx.error(f"placeholder {{{m.group(1)}}} is not allowed in a summary, which "
                        "`list` shows without reading the code", ("summary",))
    supplied = {c.placeholder for c in t.claims if c.placeholder}
    for path, text in _texts(t):
        for m in PLACEHOLDER.finditer(text):
            if m.group(1) not in supplied:
                raise ctx.error(f"placeholder {{{m.group(1)}}} has no value: no claim "
                                f"says 'as: {m.group(1)}'", path)


# -- the packaged set ----------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """The templates by module name and alias.

    Each template is kept pickled until asked for, so explaining one module from the
    template cache unpickles one template, not thirteen.
    """

    modules: tuple[str, ...]
    alias_of: tuple[tuple[str, str], ...]  # (alias, module)
    packed: tuple[bytes, ...] = field(repr=False)  # a pickled Template per module
    # every symbol any template names, so one module's uncovered code needs one template
    mentioned: frozenset[str] = frozenset()
    # per module, what a check plans with before it unpickles the template: the files its
    # claims read (in the order of the first claim on each) and how many claims it has
    files: tuple[tuple[str, ...], ...] = ()
    claim_counts: tuple[int, ...] = ()
    _loaded: dict[str, Template] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, templates: Iterable[Template]) -> Catalog:
        import pickle

        from nanochat_explain.facts.uncovered import mentioned_names

        templates = tuple(templates)
        catalog = cls(tuple(t.module for t in templates),
                      tuple((a, t.module) for t in templates for a in t.aliases),
                      tuple(pickle.dumps(t, protocol=pickle.HIGHEST_PROTOCOL)
                            for t in templates),
                      mentioned_names(templates),
                      tuple(Planned.files_of(t) for t in templates),
                      tuple(len(t.claims) for t in templates))
        catalog._loaded.update((t.module, t) for t in templates)
        return catalog

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(self._template(m) for m in self.modules)

    def names(self) -> list[str]:
        return list(self.modules)

    def aliases(self) -> dict[str, str]:
        return dict(self.alias_of)

    def get(self, name: str) -> Template | None:
        name = name.lower()
        module = name if name in self.modules else self.aliases().get(name)
        return self._template(module) if module is not None else None

    def planned(self) -> Planned:
        """Every template, each unpickled when it is first read."""
        return Planned(self.modules, self.files, self.claim_counts, self._template)

    def _template(self, module: str) -> Template:
        if module not in self._loaded:
            import pickle

            template = pickle.loads(self.packed[self.modules.index(module)])
            remember(template.canon)
            if template.prepared:
                from nanochat_explain.claims.texts import remember as remember_texts

                remember_texts(template.prepared)
            self._loaded[module] = template
        return self._loaded[module]

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_loaded": {}}  # the pickled form holds each template once


def load_dir(directory: Path) -> Catalog:
    templates = []
    for path in sorted(directory.glob("*.yaml")):
        templates.append(_load_file(path, path.name))
    return _catalog(templates)


def _load_file(path: Path, name: str) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read template: {exc}", file=name) from None
    return parse(text, name)


def _catalog(templates: list[Template]) -> Catalog:
    seen: dict[str, str] = {}
    for t in templates:
        for name in (t.module, *t.aliases):
            if name in seen:
                raise TemplateError(f"module name {name!r} is also used by {seen[name]}",
                                    file=t.path, key="module")
            seen[name] = t.path
        if t.path != f"{t.module}.yaml":
            raise TemplateError(f"module {t.module!r} must live in {t.module}.yaml",
                                file=t.path, key="module")
    return Catalog.of(templates)


class Planned(Sequence[Template]):
    """Templates to check, each read (unpickled) when first asked for, with what a check
    plans with before: each module's name, the files its claims read and its number of
    claims. A check in two processes then unpickles each template in the process that
    checks it."""

    def __init__(self, modules: tuple[str, ...], files: tuple[tuple[str, ...], ...],
                 claim_counts: tuple[int, ...], read: Callable[[str], Template]) -> None:
        self.modules, self.files, self.claim_counts, self._read = (modules, files,
                                                                   claim_counts, read)

    @classmethod
    def of(cls, templates: Iterable[Template]) -> Planned:
        templates = tuple(templates)
        by_module = {t.module: t for t in templates}
        return cls(tuple(t.module for t in templates),
                   tuple(cls.files_of(t) for t in templates),
                   tuple(len(t.claims) for t in templates), by_module.__getitem__)

    @staticmethod
    def files_of(template: Template) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.file for c in template.claims))

    def __len__(self) -> int:
        return len(self.modules)

    if TYPE_CHECKING:
        @overload
        def __getitem__(self, i: int) -> Template: ...

        @overload
        def __getitem__(self, i: slice) -> Sequence[Template]: ...

    def __getitem__(self, i: int | slice) -> Template | Sequence[Template]:
        if isinstance(i, slice):
            return [self._read(m) for m in self.modules[i]]
        return self._read(self.modules[i])
