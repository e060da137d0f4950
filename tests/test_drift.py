"""Each drifted fixture is caught by the claim meant to catch it, and only by the expected ones."""

from __future__ import annotations

import json

import pytest

from conftest import MINI, apply_drift, drift_claims, invoke, load_drifts, templates_with

DRIFTS = load_drifts()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The templates, with the comment claims the drifts expect (until they carry them)."""
    extra = drift_claims()
    if not extra:
        return []
    return ["--templates", str(templates_with(extra, tmp_path_factory.mktemp("t") / "t"))]


def not_passing(args: list[str], status: str) -> tuple[int, dict[str, list[str]]]:
    result = invoke(["check", *args, "--format", "json"])
    data = json.loads(result.out)
    found = {m["module"]: sorted(c["id"] for c in m["claims"] if c["status"] == status)
             for m in data["modules"]}
    return result.code, {m: ids for m, ids in found.items() if ids}


def test_base_fixture_passes_everything(templates):
    assert not_passing(["--repo", str(MINI), *templates], "fail") == (0, {})
    assert not_passing(["--repo", str(MINI), *templates], "error") == (0, {})


@pytest.mark.parametrize("name", sorted(DRIFTS))
def test_drift_is_caught(name, mini_copy, templates):
    drift = DRIFTS[name]
    apply_drift(mini_copy, drift)
    code, failed = not_passing(["--repo", str(mini_copy), *templates], "fail")
    assert code == (1 if drift["fails"] or drift.get("errors") else 0)
    assert failed == {m: sorted(ids) for m, ids in drift["fails"].items()}
    # a drift onto another known form is caught by the form the explanation now shows
    for module, forms in drift.get("forms", {}).items():
        data = json.loads(invoke([module, "--repo", str(mini_copy), *templates, "--format",
                                  "json"]).out)
        shown = {f["key"]: f["form"] for f in data["forms"]}
        assert {k: shown.get(k) for k in forms} == forms
    _, errored = not_passing(["--repo", str(mini_copy), *templates], "error")
    assert errored == {m: sorted(ids) for m, ids in drift.get("errors", {}).items()}
    # the claim meant to catch it fails, not merely errors
    data = json.loads(invoke(["check", "--repo", str(mini_copy), *templates, "--format",
                              "json"]).out)
    statuses = {(m["module"], c["id"]): c["status"] for m in data["modules"] for c in m["claims"]}
    for module, ids in drift["fails"].items():
        assert statuses[(module, ids[0])] == "fail"


def test_failed_literal_feeds_the_code_value(mini_copy):
    """When the RoPE base changes, the explanation shows the new value and flags the claim."""
    apply_drift(mini_copy, DRIFTS["rope-base"])
    data = json.loads(invoke(["rotary", "--repo", str(mini_copy), "--format", "json"]).out)
    assert data["values"]["rope_base"] == 50000
    assert "base = 50000" in data["diagram"]
    claim = next(c for c in data["claims"] if c["id"] == "rope-base")
    assert claim["status"] == "fail"
    assert claim["detail"] == (
        "expected default of GPT._precompute_rotary_embeddings(base=...) = 100000; found 50000")


def test_renamed_class_errors_dependent_claims(mini_copy):
    apply_drift(mini_copy, DRIFTS["mlp-renamed"])
    data = json.loads(invoke(["mlp", "--repo", str(mini_copy), "--format", "json"]).out)
    by_id = {c["id"]: c for c in data["claims"]}
    assert by_id["mlp-class"]["status"] == "fail"
    assert "nearest: FeedForward" not in by_id["mlp-class"]["detail"]  # names differ too much
    assert by_id["mlp-c-fc"]["status"] == "error"
    assert by_id["mlp-c-fc"]["detail"].startswith("MLP.__init__ not found in nanochat/gpt.py")
