"""find QUERY: free text to the checked statements that match it, best first."""

from __future__ import annotations

import json

import pytest

from conftest import MINI, apply_drift, invoke, load_drifts
from nanochat_explain.queries.find import terms, vocabulary
from nanochat_explain.templates.packaged import load_packaged


def found(*args: str) -> dict:
    result = invoke(["find", *args, "--format", "json"])
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


@pytest.mark.parametrize(("query", "best"), [
    ("sliding window", {"flash", "attention"}),
    ("weight decay", {"optimizer", "training"}),
    ("kv cache", {"engine"}),
    ("how does attention work", {"attention"}),
    ("what is the rope base?", {"rotary"}),
    ("SwiGLU", {"mlp"}),
    ("KVCache", {"engine"}),
    ("RoPE", {"rotary"}),
])
def test_the_words_find_the_modules_that_explain_them(query, best):
    data = found(query, "--repo", str(MINI))
    top = [m["module"] for m in data["modules"][:len(best)]]
    assert set(top) == best, top


def test_hits_carry_the_status_and_place_the_check_found():
    data = found("rope base", "--repo", str(MINI), "--limit", "50")
    exp = json.loads(invoke(["rotary", "--repo", str(MINI), "--format", "json"]).out)
    claims = {c["id"]: c for c in exp["claims"]}
    components = {c["name"]: c for c in exp["breakdown"]}
    assert data["hits"][0]["kind"] == "value" and data["hits"][0]["name"] == "rope_base"
    assert data["hits"][0]["text"] == f"rope_base = {exp['values']['rope_base']}"
    for hit in data["hits"]:
        assert set(hit["matched"]) == {"rope", "base"}  # every hit holds every word
        if hit["module"] != "rotary":
            continue
        if hit["kind"] in ("claim", "value"):
            claim = claims[hit["claims"][0]]
            assert (hit["file"], hit["line"], hit["status"]) == (
                claim["file"], claim["line"], claim["status"])
        if hit["kind"] == "component":
            item = components[hit["name"]]
            assert f"{hit['file']}:{hit['line']}" == item["location"]
            assert hit["status"] == item["status"]


def test_a_drifted_statement_is_found_with_its_failure(mini_copy):
    apply_drift(mini_copy, load_drifts()["tanh"])
    data = found("squared relu", "--repo", str(mini_copy))
    assert data["modules"][0]["module"] == "mlp"
    statuses = {(h["module"], h["kind"], h["name"]): h["status"] for h in data["hits"]}
    assert statuses[("mlp", "component", "ReLU²")] == "fail"
    plain = invoke(["find", "squared relu", "--repo", str(mini_copy)]).out
    assert "✗ mlp · component · ReLU²  (nanochat/gpt.py:" in plain


def test_output_is_deterministic_and_best_first():
    a = invoke(["find", "kv", "cache", "--repo", str(MINI), "--format", "json"]).out
    b = invoke(["find", "kv cache", "--repo", str(MINI), "--format", "json"]).out
    assert a == b
    data = json.loads(a)
    assert data["schema_version"] == 1 and data["terms"] == ["kv", "cache"]
    scores = [(len(h["matched"]), h["score"]) for h in data["hits"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 10


def test_no_words_lists_every_module_and_nothing_found_exits_1():
    empty = invoke(["find", "--repo", str(MINI)])
    assert empty.code == 0 and "No words to search for" in empty.out
    names = load_packaged().names()
    assert all(f"  {n}" in empty.out for n in names)
    stop = found("how does it work", "--repo", str(MINI))
    assert stop["terms"] == [] and [m["module"] for m in stop["modules"]] == names
    nothing = invoke(["find", "xyzzy", "--repo", str(MINI), "--format", "markdown"])
    assert nothing.code == 1 and "Nothing matches *xyzzy*" in nothing.out
    assert "`training`" in nothing.out


def test_markdown_has_a_modules_table_then_statements():
    out = invoke(["find", "rope", "--repo", str(MINI), "--format", "markdown"]).out
    assert out.startswith("# find: rope\n")
    modules = out.index("| Module |  | Title | Matches |")
    statements = out.index("## Statements")
    assert modules < statements
    assert out[modules:].split("\n")[2].startswith("| `rotary` | ✓ |")


def test_query_words():
    assert terms("How does the KV cache work?") == ("kv", "cache")
    assert terms("what's the RoPE base") == ("rope", "base")
    assert terms("KVCache kv_cache fp8 1e-10") == ("kvcache", "kv", "cache", "fp8", "1e-10")
    assert terms("sliding windows") == ("sliding", "window")
    assert terms("") == () and terms("how does it work") == ()
    assert {"kv", "cache", "kvcache"} <= vocabulary("KVCache")
    assert {"swi", "glu", "swiglu"} <= vocabulary("SwiGLU")
    assert {"rope", "base"} <= vocabulary("rope_base = 100000")
