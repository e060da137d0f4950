"""Smaller things a careful reader notices: folded per-layer windows at any depth, floats
at a readable precision in text (exact in JSON), a sentence whose claim fails marked as
no longer true instead of filled in with the code's value, and history saying what each
claim checks."""

from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURES, MINI, apply_drift, invoke, load_drifts
from nanochat_explain.render.text import fold_runs

DEPTH_MINI = FIXTURES / "depth-mini"


def unfold(text: str) -> list[int]:
    """The inverse of fold_runs, to prove nothing is lost."""
    out: list[int] = []
    for part in re.finditer(r"\(([^()]*)\)×(\d+)|(\d+)(?:×(\d+))?", text):
        if part.group(1) is not None:
            out += unfold(part.group(1)) * int(part.group(2))
        else:
            out += [int(part.group(3))] * int(part.group(4) or 1)
    return out


@pytest.mark.parametrize("values", [
    [1024] * 3 + [2048], [2048] * 20, [1, 2, 3], [],
    [1024, 1024, 1024, 2048] * 255 + [1024, 1024, 2048, 2048],
    [5, 5, 6, 5, 5, 6, 7], [1, 2] * 7 + [1],
])
def test_fold_runs_round_trips(values):
    assert unfold(fold_runs(values)) == values


def test_window_per_layer_stays_short_at_depth_1024():
    result = invoke(["gpt", "--repo", str(DEPTH_MINI), "--depth", "1024", "--format", "json"])
    assert result.code == 0, result.err
    windows = [w[0] for w in json.loads(result.out)["config"]["window_sizes"]]
    assert len(windows) == 1024
    plain = invoke(["gpt", "--repo", str(DEPTH_MINI), "--depth", "1024", "--format", "plain"])
    line = next(x for x in plain.out.splitlines() if "window per layer" in x)
    assert len(line) < 100, line
    assert unfold(line.split("window per layer", 1)[1]) == windows


def test_floats_read_at_six_digits_in_text_and_exactly_in_json():
    plain = invoke(["optimizer", "--repo", str(MINI), "--format", "plain"]).out
    assert "8.15655" in plain and "8.156554524902461" not in plain
    data = json.loads(invoke(["optimizer", "--repo", str(MINI), "--format", "json"]).out)
    assert 8.156554524902461 in _flat(data["values"].values())  # exact in JSON


def _flat(values):
    for v in values:
        if isinstance(v, list):
            yield from _flat(v)
        else:
            yield v


def test_a_sentence_whose_claim_fails_is_not_filled_with_the_drifted_value(mini_copy):
    apply_drift(mini_copy, load_drifts()["rope-base"])
    data = json.loads(invoke(["rotary", "--repo", str(mini_copy), "--format", "json"]).out)
    note = next(n for n in data["notes"] if "TODO" in n["text"])
    assert note["text"].endswith("the default already is 100000.")  # as written
    assert note["status"] == "fail"
    assert data["values"]["rope_base"] == 50000  # the code's value, in the data
    assert "50000" in data["diagram"] or "rope_base" not in json.dumps(data["diagram"])
    plain = invoke(["rotary", "--repo", str(mini_copy), "--format", "plain"]).out
    marked = " ".join(plain.split())
    assert "✗ No longer true: A TODO under the signature" in marked
    assert "the default already is 50000." not in marked
    assert "expected default of GPT._precompute_rotary_embeddings(base=...) = 100000; found 50000" \
        in marked
    terminal = invoke(["rotary", "--repo", str(mini_copy), "--format", "terminal"]).out
    assert "No longer true: " in re.sub(r"\x1b\[[0-9;]*m", "", terminal)


def test_a_sentence_using_a_failing_placeholder_is_flagged_even_if_it_names_other_claims():
    from nanochat_explain.core import Session
    from nanochat_explain.source.locate import locate
    from nanochat_explain.templates.load import parse

    template = parse("""
module: example
title: t
summary: s
summary_claims: [mlp-class]
sources: [nanochat/gpt.py]
diagram: {text: "x", claims: [mlp-class]}
breakdown:
  - {name: n, symbol: MLP, what: "the base is {rope_base}", why: "", claims: [mlp-class]}
compare_with: [x]
comparisons: []
papers: []
claims:
  - {id: mlp-class, kind: symbol, symbol: MLP}
  - {id: rope-base, kind: literal, symbol: GPT._precompute_rotary_embeddings, param: base,
     expect: 12345, as: rope_base}
""", "example.yaml")
    exp = Session(locate(str(MINI))).explain(template)
    _, what, _, check = exp.breakdown[0]
    assert what == "the base is 12345" and check.status.value == "fail"
    assert [r.id for r in check.results] == ["mlp-class", "rope-base"]
