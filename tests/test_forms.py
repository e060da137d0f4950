"""Forms: the explanation shows the form of each item that the code has."""

from __future__ import annotations

from textwrap import dedent

import pytest

from nanochat_explain.core import Session
from nanochat_explain.errors import TemplateError
from nanochat_explain.facts.extract import extract
from nanochat_explain.facts.uncovered import uncovered
from nanochat_explain.model import Result, Status
from nanochat_explain.render import render
from nanochat_explain.source.locate import Source
from nanochat_explain.templates.forms import choose, shown_items
from nanochat_explain.templates.load import parse

TEMPLATE = dedent('''\
    module: demo
    title: Demo
    summary: "A squared ReLU."
    summary_form: relu2
    summary_forms:
      - {form: gelu, text: "A GELU.", claims: [gelu]}
    summary_claims: [relu]
    entry: [MLP]
    sources: [nanochat/gpt.py]
    diagram:
      claims: [relu]
      form: relu2
      forms:
        - form: gelu
          claims: [gelu]
          text: |
            ┌──────┐
            │ gelu │
            └──────┘
          boxes: [{label: gelu, claims: [gelu]}]
      text: |
        x -> relu(x)^2 -> {width}
    breakdown:
      - name: Activation
        symbol: MLP.forward
        form: "ReLU² ({width})"
        what: "relu, squared, width {width}"
        claims: [relu, square]
        forms:
          - form: ReLU
            what: plain relu
            claims: [relu, no-square]
          - form: GELU
            what: gelu
            differs: upstream nanochat squares a ReLU
            claims: [gelu]
    compare_with: [GPT-2]
    comparisons:
      - aspect: Activation
        nanochat: "ReLU²"
        claims: [relu, square]
        others: {GPT-2: GELU}
    papers:
      - {title: Primer, first_author: David So, year: 2021, arxiv: "2109.08668",
         backs: the squared ReLU, claims: [square]}
    claims:
      - {id: relu, kind: call, symbol: MLP.forward, callee: F.relu, args: [x]}
      - {id: square, kind: call, symbol: MLP.forward, callee: "F.relu(...).square", args: []}
      - {id: no-square, kind: absent, symbol: MLP.forward, call: {callee: 'square$'}}
      - {id: gelu, kind: call, symbol: MLP.forward, callee: F.gelu, args: [x]}
      - {id: width, kind: literal, symbol: MLP.__init__, assign: self.fc, index: 0,
         expect: 4, as: width}
      - {id: width-old, kind: literal, symbol: MLP.__init__, assign: self.up, index: 0,
         expect: 4, as: width}
    ''')

SOURCE = dedent('''\
    import torch.nn.functional as F
    from torch import nn

    class MLP(nn.Module):
        def __init__(self, config):
            self.fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        def forward(self, x):
            return F.relu(x).square()
    ''')


def explain(source: str):
    import tempfile
    from pathlib import Path

    template = parse(TEMPLATE, "demo.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "nanochat").mkdir()
        (Path(tmp) / "nanochat" / "gpt.py").write_text(source, encoding="utf-8")
        session = Session(Source(Path(tmp), "demo", None))
        return session.explain(template)


def test_the_newest_form_when_it_holds():
    exp = explain(SOURCE)
    assert [(c.key, c.label, c.newest, c.held) for c in exp.choices] == [
        ("summary", "relu2", True, True), ("diagram", "relu2", True, True),
        ("breakdown:Activation", "ReLU² ({width})", True, True)]
    assert exp.template.summary == "A squared ReLU."
    assert [p.title for p in exp.template.papers] == ["Primer"]
    assert "{width}" not in render("plain", "explanation", exp)
    assert "ReLU² (4)" in render("plain", "explanation", exp)


def test_an_older_form_replaces_text_and_claims():
    exp = explain(SOURCE.replace("F.relu(x).square()", "F.relu(x)"))
    chosen = exp.choice("breakdown", 0)
    assert (chosen.label, chosen.newest, chosen.held) == ("ReLU", False, True)
    item, what, _, check = exp.breakdown[0]
    assert what == "plain relu" and item.claims == ("relu", "no-square")
    assert check.status is Status.PASS
    # the paper backing the squared ReLU is no longer cited; its claim is not shown
    assert exp.template.papers == ()
    # the comparison row has no other form: it fails, loudly
    assert exp.comparisons[0][2].status is Status.FAIL


def test_a_form_beyond_upstream_says_how_it_differs():
    exp = explain(SOURCE.replace("F.relu(x).square()", "F.gelu(x)"))
    chosen = exp.choice("breakdown", 0)
    assert (chosen.label, chosen.upstream) == ("GELU", False)
    assert exp.template.summary == "A GELU."
    assert [b.label for b in exp.template.boxes] == ["gelu"]
    text = render("plain", "explanation", exp)
    assert "form: GELU — not upstream nanochat: upstream nanochat squares a ReLU" in text


def test_when_no_form_holds_the_closest_is_shown_with_its_failures():
    exp = explain(SOURCE.replace("F.relu(x).square()", "F.silu(x).square()"))
    chosen = exp.choice("breakdown", 0)
    assert (chosen.label, chosen.held) == ("ReLU² ({width})", False)  # 1 of 2 hold: newest
    ids = [r.id for r in exp.results if r.status is not Status.PASS]
    text = render("plain", "explanation", exp)
    for cid in ids:  # each failing claim's detail is said once
        detail = next(r.detail for r in exp.results if r.id == cid)
        assert text.count(detail) == 1


def test_a_placeholder_comes_from_whichever_claim_reads_it():
    exp = explain(SOURCE.replace("self.fc = ", "self.up = "))
    assert exp.values["width"] == 4
    shown = {r.id for r in exp.results}
    assert "width-old" in shown and "width" not in shown


def test_item_counts_are_what_the_reader_sees():
    items = shown_items(explain(SOURCE))
    assert [k for k, _ in items] == ["summary", "breakdown:Activation", "comparisons:Activation"]
    assert all(ok for _, ok in items)


@pytest.mark.parametrize(("edit", "message"), [
    ("summary_form: relu2\n", "an item with other forms names its own with 'summary_form'"),
    ("    form: \"ReLU² ({width})\"\n", "an item with other forms names its own with 'form'"),
    ("      - form: ReLU\n        what: plain relu\n", "missing required key 'form'"),
])
def test_forms_are_validated(edit, message):
    edited = TEMPLATE.replace(edit, "      - what: plain relu\n" if "- form" in edit else "")
    with pytest.raises(TemplateError, match=message):
        parse(edited, "demo.yaml")
    dup = TEMPLATE.replace("form: GELU", "form: ReLU")
    with pytest.raises(TemplateError, match="form 'ReLU' is named twice"):
        parse(dup, "demo.yaml")


MOE = dedent('''\
    from torch import nn

    class Router(nn.Module):
        def forward(self, x):
            return self.gate(x).topk(2)

    class Expert(nn.Module):
        def forward(self, x):
            return self.w(x)

    class MLP(nn.Module):
        def __init__(self, config):
            self.router = Router(config)
            self.experts = nn.ModuleList([Expert(config) for _ in range(8)])
        def forward(self, x):
            return self._mix(self.router(x), x)
        def _mix(self, weights, x):
            return sum(e(x) for e in self.experts)
    ''')


def test_code_reached_from_the_entry_points_that_no_statement_covers():
    template = parse(TEMPLATE, "demo.yaml")
    facts = extract(MOE, "nanochat/gpt.py")
    found = uncovered(lambda _: facts, template, template)
    assert [u.qualname for u in found] == ["Router", "Router.forward", "Expert",
                                          "Expert.forward", "MLP._mix"]
    router = found[1]
    assert (router.location, router.signature, router.calls) == (
        "nanochat/gpt.py:4", "(self, x)", ("self.gate", "self.gate(...).topk"))


def test_meaning_not_spelling():
    """Imported names, helpers and returned variables are seen through."""
    base = dedent('''\
        {imports}
        class MLP(nn.Module):
            def __init__(self, config):
                self.fc = nn.Linear(config.n_embd, 4 * config.n_embd)
            def forward(self, x):
                {body}
        ''')
    cases = {
        "helper": ("import torch.nn.functional as F\nfrom torch import nn",
                   "return self._act(x)\n"
                   "    def _act(self, x):\n        return F.relu(x).square()"),
        "returned variable": ("import torch.nn.functional as F\nfrom torch import nn",
                              "y = F.relu(x).square()\n        return y"),
        "imported names": ("from torch.nn.functional import relu\nfrom torch import nn",
                           "return relu(x).square()"),
    }
    for name, (imports, body) in cases.items():
        exp = explain(base.format(imports=imports, body=body))
        assert exp.choice("breakdown", 0).label == "ReLU² ({width})", name
        assert exp.breakdown[0][3].status is Status.PASS, name
    # a local function named relu is not torch's
    local = base.format(imports="from torch import nn\ndef relu(x):\n    return x",
                        body="return relu(x).square()")
    assert explain(local).breakdown[0][3].status is Status.FAIL


def test_failures_with_one_cause_are_one_line():
    from nanochat_explain.render.text import drift_lines

    results = [Result(f"c{i}", "call", Status.ERROR, "nanochat/x.py", None,
                      "cannot check: no such file") for i in range(9)]
    results.append(Result("other", "call", Status.FAIL, "nanochat/y.py", 3, "expected z"))
    lines = drift_lines(results)
    assert lines == [
        "✗ UNCHECKED nanochat/x.py: no such file: 9 claims cannot be checked: [c0], [c1], [c2], "
        "[c3], [c4], [c5] and 3 more",
        "✗ CHANGED [other] nanochat/y.py:3: expected z"]


def test_choose_is_pure():
    template = parse(TEMPLATE, "demo.yaml")
    results = {c.id: Result(c.id, c.kind, Status.PASS if c.id == "gelu" else Status.FAIL,
                            c.file, 1, "") for c in template.claims}
    chosen = choose(template, results)
    assert [c.label for c in chosen.choices] == ["gelu", "gelu", "GELU"]
    # the comparison row has one form: its claims are shown, failing
    assert chosen.shown == ("relu", "square", "gelu")


def test_a_file_only_another_form_reads_is_not_a_problem(tmp_path):
    # the GELU form reads a file this checkout lacks: no warning while it is not shown
    text = TEMPLATE.replace("{id: gelu, kind: call, symbol: MLP.forward, callee: F.gelu,",
                            "{id: gelu, kind: call, file: nanochat/old_mlp.py, "
                            "symbol: MLP.forward, callee: F.gelu,")
    text = text.replace("sources: [nanochat/gpt.py]",
                        "sources: [nanochat/gpt.py, nanochat/old_mlp.py]")
    template = parse(text, "demo.yaml")
    (tmp_path / "nanochat").mkdir()
    (tmp_path / "nanochat" / "gpt.py").write_text(SOURCE, encoding="utf-8")
    session = Session(Source(tmp_path, "demo", None))
    exp = session.explain(template)
    assert [p.file for p in session.problems()] == ["nanochat/old_mlp.py"]
    assert session.problems(exp.results) == []
    # a shown claim on it makes its absence worth saying
    gelu = [r for r in session.check(template) if r.id == "gelu"]
    assert gelu[0].status is Status.ERROR
    assert [p.file for p in session.problems(gelu)] == ["nanochat/old_mlp.py"]


def test_a_file_that_does_not_parse_turns_no_item_to_a_form_the_other_files_deny(mini_copy):
    import json

    from conftest import invoke

    with (mini_copy / "nanochat" / "gpt.py").open("a", encoding="utf-8") as f:
        f.write("\ndef (:\n")  # every claim on gpt.py is unchecked; the other files as they were
    result = invoke(["check", "--repo", str(mini_copy), "--format", "json"])
    assert result.code == 1, result.err
    claims = [c for m in json.loads(result.out)["modules"] for c in m["claims"]]
    assert {c["status"] for c in claims if c["file"] == "nanochat/gpt.py"} == {"error"}
    others = [c for c in claims if c["file"] != "nanochat/gpt.py"]
    assert others and all(c["status"] == "pass" for c in others), [
        (c["id"], c["file"]) for c in others if c["status"] != "pass"]


@pytest.mark.parametrize(("statuses", "unknown", "chosen"), [
    # the newest form's readable claims hold, an older form's fail: the newest
    ({"a": "pass", "g": "error", "o": "fail", "h": "error"}, {"g", "h"}, 0),
    # the newest form's readable claims partly fail, an older form reads only the broken
    # file: no evidence for it, the newest stays
    ({"a": "pass", "b": "fail", "g": "error", "o": "error"}, {"g", "o"}, 0),
    # every claim unknown: the newest
    ({"a": "error", "g": "error", "o": "error", "h": "error"}, {"a", "g", "o", "h"}, 0),
    # nothing unknown: the largest share, as before
    ({"a": "fail", "g": "error", "o": "pass", "h": "fail"}, set(), 1),
])
def test_claims_on_a_file_that_does_not_parse_count_for_no_form(statuses, unknown, chosen):
    from nanochat_explain.templates.forms import _pick

    forms = [tuple(k for k in statuses if k in {"a", "b", "g"}),
             tuple(k for k in statuses if k in {"o", "h"})]
    at, held = _pick(forms, lambda c: Status(statuses[c]), lambda c: c in unknown)
    assert (at, held) == (chosen, False)
