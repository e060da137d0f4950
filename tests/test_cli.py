"""The command line: each documented exit code, the formats, and the output contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI, apply_drift, invoke, load_drifts

ANSI = re.compile(r"\x1b\[")


def test_exit_0_explain_renders():
    result = invoke(["explain", "mlp", "--repo", str(MINI)])
    assert result.code == 0 and "MLP: the feed-forward half of each block" in result.out


def test_module_alone_means_explain():
    assert invoke(["mlp", "--repo", str(MINI)]).out == invoke(
        ["explain", "mlp", "--repo", str(MINI)]).out
    assert invoke(["--repo", str(MINI), "mlp"]).code == 0


def all_claims() -> int:
    """The claims check evaluates at the fixture: those of the forms it has."""
    from nanochat_explain.core import Session
    from nanochat_explain.source.locate import locate
    from nanochat_explain.templates.packaged import load_packaged

    session = Session(locate(str(MINI)))
    return sum(len(session.choose(t).shown) for t in load_packaged().templates)


def test_exit_0_check_holds():
    result = invoke(["check", "--repo", str(MINI)])
    assert result.code == 0
    assert result.out.splitlines()[-1] == f"{all_claims()} pass, 0 fail, 0 error"


def test_exit_1_check_finds_drift(mini_copy):
    apply_drift(mini_copy, load_drifts()["tanh"])
    result = invoke(["check", "mlp", "--repo", str(mini_copy)])
    assert result.code == 1
    assert "✗ CHANGED [mlp-relu] nanochat/gpt.py:94: expected a call F.relu(x)" in result.out


def test_explain_exits_0_with_failing_claims_unless_strict(mini_copy):
    apply_drift(mini_copy, load_drifts()["tanh"])
    assert invoke(["mlp", "--repo", str(mini_copy)]).code == 0
    assert invoke(["mlp", "--repo", str(mini_copy), "--strict"]).code == 1
    assert invoke(["mlp", "--repo", str(MINI), "--strict"]).code == 0


def test_exit_2_unknown_module_with_did_you_mean():
    result = invoke(["atention", "--repo", str(MINI)])
    assert result.code == 2
    assert result.err.startswith(
        "nanochat-explain: unknown module 'atention'; did you mean attention?")
    assert result.out == ""


def test_exit_2_unknown_option():
    result = invoke(["check", "--colour"])
    assert result.code == 2 and "No such option" in result.err


def test_exit_2_invalid_template(tmp_path):
    (tmp_path / "bad.yaml").write_text("module: bad\ntitle: [x\n")
    result = invoke(["check", "--repo", str(MINI), "--templates", str(tmp_path)])
    assert result.code == 2
    # the wording is libyaml's or PyYAML's, whichever the install has
    assert re.fullmatch(r"nanochat-explain: bad\.yaml:[23]: invalid YAML: .*\n", result.err)


def test_exit_3_not_a_checkout(tmp_path):
    result = invoke(["mlp", "--repo", str(tmp_path)])
    assert result.code == 3
    assert "not a nanochat checkout" in result.err and len(result.err.splitlines()) == 1


def test_nothing_found_falls_back_to_bundled_facts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["attention"])
    assert result.code == 0 and result.err == ""
    assert "checked against nanochat@92d63d4 (bundled facts)" in result.out


def test_env_var_locates_the_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke(["mlp"], env={"NANOCHAT_DIR": str(MINI)}).code == 0


def test_unparsable_source_is_one_line_and_claims_error(mini_copy):
    gpt = mini_copy / "nanochat" / "gpt.py"
    gpt.write_text(gpt.read_text() + "\ndef broken(:\n")
    result = invoke(["mlp", "--repo", str(mini_copy), "--format", "json"])
    assert result.code == 0  # it rendered: every claim shown unchecked
    assert re.fullmatch(r"nanochat-explain: nanochat/gpt\.py:\d+: syntax error: .*\n", result.err)
    data = json.loads(result.out)
    assert {c["status"] for c in data["claims"]} == {"error"}
    check = invoke(["check", "--repo", str(mini_copy)])
    assert check.code == 1


def test_exit_70_internal_error(monkeypatch):
    from nanochat_explain.cli import run
    from nanochat_explain.commands import app

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(app, "explain", boom)
    result = invoke(["mlp", "--repo", str(MINI)])
    assert result.code == 70
    assert result.err == "nanochat-explain: internal error: RuntimeError: kaboom; please report\n"
    with pytest.raises(RuntimeError):
        run(["mlp", "--repo", str(MINI)], debug=True)


def test_help_documents_exit_codes():
    out = invoke(["--help"]).out
    for code in ("0", "1", "2", "3", "70"):
        assert re.search(rf"^\s+{code}\s+\S", out, re.M), code
    assert invoke(["explain", "--help"]).code == 0


def test_plain_is_default_when_piped_and_has_no_ansi():
    out = invoke(["attention", "--repo", str(MINI)]).out
    assert not ANSI.search(out)
    assert out == invoke(["attention", "--repo", str(MINI), "--format", "plain"]).out


def test_terminal_format_has_colour_unless_no_color():
    coloured = invoke(["mlp", "--repo", str(MINI), "--format", "terminal"]).out
    assert ANSI.search(coloured)
    plain = invoke(["mlp", "--repo", str(MINI), "--format", "terminal"], env={"NO_COLOR": "1"}).out
    assert not ANSI.search(plain) and "Components" in plain


def test_json_contract():
    data = json.loads(invoke(["attention", "--repo", str(MINI), "--format", "json"]).out)
    assert data["schema_version"] == 1
    assert {"module", "title", "source", "diagram", "breakdown", "comparisons", "papers",
            "claims"} <= data.keys()
    assert data["module"] == "attention"
    assert data["source"] == {"repo": str(MINI), "commit": None} or data["source"]["commit"] is None
    for claim in data["claims"]:
        assert {"id", "status", "file", "line", "detail"} <= claim.keys()
        assert claim["status"] in {"pass", "fail", "error"}
    check = json.loads(invoke(["check", "--repo", str(MINI), "--format", "json"]).out)
    assert check["schema_version"] == 1
    assert check["summary"] == {"pass": all_claims(), "fail": 0, "error": 0}
    from nanochat_explain.templates.packaged import load_packaged

    assert [m["module"] for m in check["modules"]] == load_packaged().names()


def test_markdown_tables_and_fence():
    out = invoke(["mlp", "--repo", str(MINI), "--format", "markdown"]).out
    assert "```text\n" in out
    assert "## Components\n\n### ✓ MLP\n\n`MLP` · `nanochat/gpt.py:88`\n" in out
    assert "| Aspect | nanochat | GPT-2 / nanoGPT | Llama 2 |" in out
    assert "[2109.08668](https://arxiv.org/abs/2109.08668)" in out


def test_list_shows_modules_summaries_and_sources():
    out = invoke(["list"]).out
    from nanochat_explain.templates.packaged import load_packaged

    for module in load_packaged().names():
        assert re.search(rf"^{module}\s+\S", out, re.M)
    assert "sources: nanochat/gpt.py" in out


def test_python_dash_m_and_console_script(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nanochat_explain", "list", "--format", "json"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and json.loads(result.stdout)["schema_version"] == 1
    result = subprocess.run([sys.executable, "-m", "nanochat_explain", "nope", "--repo", str(MINI)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    script = Path(sys.executable).parent / "nanochat-explain"
    if script.exists():
        done = subprocess.run([str(script), "check", "--repo", str(MINI)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0


def test_coverage_lists_unmentioned_symbols(mini_copy):
    extra = mini_copy / "nanochat" / "extra.py"
    extra.write_text("class Unused:\n    def method(self):\n        pass\n\n\ndef helper():\n"
                     "    def inner():\n        pass\n")
    result = invoke(["coverage", "--repo", str(mini_copy), "--format", "json"])
    assert result.code == 0
    data = json.loads(result.out)
    rows = [(u["file"], u["name"], u["kind"], u["line"]) for u in data["unmentioned"]]
    assert ("nanochat/extra.py", "Unused", "class", 1) in rows
    assert ("nanochat/extra.py", "Unused.method", "method", 2) in rows
    assert ("nanochat/extra.py", "helper", "function", 6) in rows
    assert not any(name == "helper.inner" for _, name, _, _ in rows)
    names = {name for _, name, _, _ in rows}
    assert "MLP" not in names and "GPT.forward" not in names and "apply_rotary_emb" not in names
    assert data["summary"]["total"] - data["summary"]["mentioned"] == len(rows)
    plain = invoke(["coverage", "--repo", str(mini_copy)]).out
    assert "nanochat/extra.py:\n      1  class    Unused\n" in plain
