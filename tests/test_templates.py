"""Strict template validation: every error names file, line and key."""

from __future__ import annotations

from textwrap import dedent

import pytest

from nanochat_explain.errors import TemplateError
from nanochat_explain.templates.load import parse
from nanochat_explain.templates.packaged import load_packaged

VALID = dedent('''\
    module: demo
    title: Demo
    summary: "rotary"
    summary_claims: [base]
    sources: [nanochat/gpt.py]
    diagram:
      claims: [base]
      text: |
        base = {base}
    breakdown:
      - name: RoPE
        symbol: GPT
        what: it rotates
        claims: [base]
    compare_with: [Llama 2]
    comparisons:
      - aspect: Base
        nanochat: "{base}"
        claims: [base]
        others: {Llama 2: "10000"}
    papers:
      - title: RoFormer
        first_author: Jianlin Su
        year: 2021
        arxiv: "2104.09864"
        backs: rotary
    claims:
      - id: base
        kind: literal
        symbol: GPT.rope
        param: base
        expect: 100000
        as: base
    ''')


def test_valid_template_loads():
    t = parse(VALID, "demo.yaml")
    assert t.module == "demo" and t.claims[0].placeholder == "base" and t.claims[0].line == 28


@pytest.mark.parametrize(("old", "new", "message"), [
    ("title: Demo", "title: Demo\ncolour: red",
     "demo.yaml:3: colour: unknown key (allowed: module, title, summary, summary_claims, "
     "aliases, sources, "
     "diagram, breakdown, compare_with, comparisons, papers, claims, notes, summary_form, "
     "summary_forms, entry)"),
    ("    year: 2021", "    year: twenty",
     "demo.yaml:24: papers[0].year: expected an integer"),
    ("    kind: literal", "    kind: guess",
     "demo.yaml:29: claims[0].kind: unknown claim kind 'guess' (known: symbol, signature, "
     "assign, call, returns, statement, condition, order, literal, absent, count, comment)"),
    ('summary: "rotary"', 'summary: "base is {base}"',
     "demo.yaml:3: summary: placeholder {base} is not allowed in a summary"),
    ("summary_claims: [base]", "summary_claims: []",
     "demo.yaml:4: summary_claims: must not be empty"),
    ("  base = {base}", "  base = {theta}",
     "demo.yaml:8: diagram.text: placeholder {theta} has no value: no claim says 'as: theta'"),
    ("    claims: [base]\n", "    claims: [bsae]\n",
     "demo.yaml:14: breakdown[0].claims[0]: unknown claim id 'bsae'"),
    ("    expect: 100000", "    expect: 100000\n    bogus: 1",
     "demo.yaml:33: claims[0].bogus: unknown key for a literal claim"),
    ("    param: base\n", "",
     "demo.yaml:28: claims[0]: a literal claim needs exactly one of param, field, constant, "
     "assign, call"),
    ("sources: [nanochat/gpt.py]", "sources: [../outside.py]",
     "demo.yaml:5: sources[0]: '../outside.py': must be a relative path inside the repository"),
    ("sources: [nanochat/gpt.py]", "sources: [/etc/passwd]",
     "demo.yaml:5: sources[0]: '/etc/passwd': must be a relative path inside the repository"),
    ('    arxiv: "2104.09864"', "    arxiv: soon",
     "demo.yaml:25: papers[0].arxiv: expected an arXiv id like 2104.09864"),
    ("    others: {Llama 2: \"10000\"}", "    others: {GPT-2: gelu}",
     "demo.yaml:20: comparisons[0].others.GPT-2: column 'GPT-2' is not in compare_with"),
    ("title: Demo", "title: Demo\ntitle: Again",
     "demo.yaml:3: title: duplicate key"),
    ("title: Demo", "title: !!python/object:os.system echo",
     "demo.yaml:2: title: tag tag:yaml.org,2002:python/object:os.system is not allowed"),
    ("title: Demo", "title: [unclosed",
     "demo.yaml:3: invalid YAML"),
    ("    claims: [base]\n    others", "    claims: []\n    others",
     "demo.yaml:19: comparisons[0].claims: must not be empty"),
    ("    expect: 100000", "    expect: 100000\n    inside: {unless: x}",
     "demo.yaml:33: claims[0].inside.unless: unknown block 'unless' (known: if, else, while, "
     "for, with, try, except, finally)"),
    ("    expect: 100000", "    expect: 100000\n    inside: {if: 'x >'}",
     "demo.yaml:33: claims[0].inside.if: 'x >' is not a Python expression"),
    ("    expect: 100000", "    expect: 100000\n    inside:\n      - {for: x in y}\n"
     "      - {for: 'x y'}",
     "demo.yaml:35: claims[0].inside[1].for: 'x y' is not what follows for in Python"),
    ("    expect: 100000", "    expect: 100000\n    inside: {try: yes please}",
     "demo.yaml:33: claims[0].inside.try: expected true: a try block has no test"),
    ("    expect: 100000", "    expect: 100000\n    inside: {if: a, for: b in c}",
     "demo.yaml:33: claims[0].inside: expected one block per mapping"),
    ("    expect: 100000", "    expect: 100000\n    inside: x > 0",
     "demo.yaml:33: claims[0].inside: expected a mapping or a list"),
])
def test_invalid_template(old, new, message):
    assert old in VALID
    with pytest.raises(TemplateError) as info:
        parse(VALID.replace(old, new, 1), "demo.yaml")
    assert str(info.value).startswith(message)


def test_packaged_templates_are_valid_and_backed():
    catalog = load_packaged()
    assert {"mlp", "attention", "rotary", "gpt"} <= set(catalog.names())
    for t in catalog.templates:
        ids = {c.id for c in t.claims}
        assert t.diagram_claims and set(t.diagram_claims) <= ids
        for item in t.breakdown:
            assert item.claims, (t.module, item.name)
        for row in t.comparisons:
            assert row.claims, (t.module, row.aspect)
            assert [c for c, _ in row.others] == list(t.compare_with)
        for p in t.papers:
            assert p.title and p.first_author and p.arxiv


def test_aliases_resolve():
    catalog = load_packaged()
    assert catalog.get("rope").module == "rotary"
    assert catalog.get("ATTN").module == "attention"
    assert catalog.get("model").module == "gpt"
    assert catalog.get("nonsense") is None


def test_drawn_boxes_are_found():
    from nanochat_explain.templates.load import drawn_boxes

    text = ("  ┌────┐   ┌──┐\n"
            "  │ ab │   │c │\n"
            "  │ d  │   └──┘\n"
            "  └────┘\n"
            "  ┌──┐ open\n"
            "  │x \n")
    assert drawn_boxes(text) == [(1, " ab   d  "), (1, "c ")]


def test_an_unlisted_box_is_an_error():
    text = VALID.replace("    base = {base}\n", "    ┌──────┐\n    │ rope │\n    └──────┘\n")
    with pytest.raises(TemplateError) as info:
        parse(text, "demo.yaml")
    assert str(info.value) == ("demo.yaml:8: diagram.text: the box drawn at diagram line 1 "
                               "('rope') is not backed: name it in diagram.boxes")
    listed = text.replace("  claims: [base]\n  text:",
                          "  claims: [base]\n  boxes: [{label: rope, claims: [base]}]\n  text:")
    assert parse(listed, "demo.yaml").boxes[0].label == "rope"
    wrong = listed.replace("label: rope", "label: ropes")
    with pytest.raises(TemplateError, match="label 'ropes' does not occur in the diagram"):
        parse(wrong, "demo.yaml")


def test_notes_are_backed_and_filled():
    text = VALID + ("notes:\n  - text: 'the comment says 10000; the code has {base}'\n"
                    "    claims: [base]\n")
    t = parse(text, "demo.yaml")
    assert t.notes[0].claims == ("base",)
    empty = VALID + "notes:\n  - text: a note\n    claims: []\n"
    with pytest.raises(TemplateError, match=r"notes\[0\]\.claims: must not be empty"):
        parse(empty, "demo.yaml")


def test_the_shipped_templates_are_prebuilt_from_the_yaml(request):
    """data/templates.pickle holds the validated templates; --update-golden rewrites it."""
    from nanochat_explain.templates import packaged as templates

    path = templates.PACKAGE / "data" / templates.PREBUILT
    fresh = templates.load_packaged(cache=False)

    def shipped():
        return templates._unpack(path.read_bytes(), templates.packaged_key())

    stale = shipped() is None or shipped().templates != fresh.templates
    if stale and request.config.getoption("--update-golden"):
        path.write_bytes(templates.prebuilt())  # only when stale: pickling is not byte-stable
        stale = False
    assert not stale, "data/templates.pickle is stale; run pytest --update-golden"
    assert shipped().templates == fresh.templates
    assert [t.canon for t in shipped().templates] == [t.canon for t in fresh.templates]
    assert templates.load_packaged().names() == fresh.names()
