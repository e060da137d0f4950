"""--depth on the command line: the concrete model, numeric shapes, and clean refusals."""

from __future__ import annotations

import json
import os

import pytest

from conftest import FIXTURES, MINI, invoke

DEPTH_MINI = FIXTURES / "depth-mini"


def test_depth_adds_config_and_params_to_json():
    result = invoke(["mlp", "--repo", str(DEPTH_MINI), "--depth", "4", "--format", "json"])
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["config"]["n_layer"] == 4
    assert data["params"]["total"] == sum(c["numel"] for c in data["depth"]["components"])
    n_embd = data["config"]["n_embd"]
    assert f"[B, T, {n_embd}]" in data["diagram"] and "[B, T, n_embd]" not in data["diagram"]


def test_depth_renders_a_model_section():
    out = invoke(["gpt", "--repo", str(DEPTH_MINI), "--depth", "4", "--format", "plain"]).out
    assert "The model at --depth 4 (evaluated from the code)" in out
    assert "= total (num_scaling_params)" in out and "FLOPs per token" in out
    md = invoke(["gpt", "--repo", str(DEPTH_MINI), "--depth", "4", "--format", "markdown"]).out
    assert "| Parameters | Count |" in md and "| Optimizer group |" in md


@pytest.mark.parametrize("value", ["0", "-3", "100000", "twelve"])
def test_bad_depth_is_a_usage_error(value):
    result = invoke(["gpt", "--repo", str(MINI), "--depth", value])
    assert result.code == 2 and "--depth" in result.err and "Traceback" not in result.err


def test_unevaluable_code_keeps_symbolic_shapes(mini_copy):
    train = mini_copy / "scripts" / "base_train.py"
    train.write_text(train.read_text().replace("base_dim = depth * args.aspect_ratio",
                                               "base_dim = mystery(depth)"))
    result = invoke(["attention", "--repo", str(mini_copy), "--depth", "4", "--format", "json"])
    assert result.code == 0
    data = json.loads(result.out)
    assert "config" not in data and "[B, T, n_embd]" in data["diagram"]
    assert data["depth_unavailable"].startswith("--depth 4: ")
    assert result.err.startswith("nanochat-explain: --depth 4: ")


def test_bundled_facts_say_why_there_is_no_depth(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["gpt", "--depth", "20", "--format", "plain"])
    assert result.code == 0
    assert ("Shapes stay symbolic: --depth 20: the bundled facts hold no function bodies"
            in result.out)


@pytest.mark.skipif(not os.environ.get("NANOCHAT_DIR"), reason="needs NANOCHAT_DIR")
def test_real_nanochat_depth_20():
    data = json.loads(invoke(["gpt", "--repo", os.environ["NANOCHAT_DIR"], "--depth", "20",
                              "--format", "json"]).out)
    assert data["config"]["n_embd"] == 1280 and data["config"]["n_head"] == 10
    assert data["params"]["total"] == sum(v for k, v in data["params"].items() if k != "total")
