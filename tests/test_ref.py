"""--ref: explain and check nanochat as it was at a git revision, without touching files."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import apply_drift, invoke, load_drifts


@pytest.fixture
def history(mini_copy):
    """The fixture tree as a repository of two commits: before and after the RoPE base moved."""
    git = ["git", "-C", str(mini_copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base 100000"], check=True)
    apply_drift(mini_copy, load_drifts()["rope-base"])
    subprocess.run([*git, "commit", "-qam", "base 50000"], check=True)
    sha = subprocess.run([*git, "rev-parse", "--short=7", "HEAD~1"], check=True,
                         capture_output=True, text=True).stdout.strip()
    return mini_copy, sha


def values(repo, *args):
    result = invoke(["rotary", "--repo", str(repo), "--format", "json", *args])
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_ref_reads_the_old_revision(history):
    repo, old = history
    (repo / "nanochat" / "gpt.py").write_text("# a work-tree edit that --ref must not see\n")
    before = (repo / "nanochat" / "gpt.py").read_text()
    data = values(repo, "--ref", "HEAD~1")
    assert data["values"]["rope_base"] == 100000
    assert data["source"]["commit"] == old and data["source"]["ref"] == "HEAD~1"
    assert values(repo, "--ref", "HEAD")["values"]["rope_base"] == 50000
    assert (repo / "nanochat" / "gpt.py").read_text() == before  # the work tree is untouched
    check = invoke(["check", "rotary", "--repo", str(repo), "--ref", "HEAD"])
    assert check.code == 1 and "(--ref HEAD)" in check.out


@pytest.mark.parametrize("ref", ["does-not-exist", "HEAD~5", "--help"])
def test_a_missing_ref_is_a_clean_usage_error(history, ref):
    repo, _ = history
    result = invoke(["rotary", "--repo", str(repo), f"--ref={ref}"])
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.startswith(f"nanochat-explain: --ref {ref}:")


def test_ref_without_git_reads_the_bundled_upstream_facts(mini_copy, tmp_path, monkeypatch):
    result = invoke(["rotary", "--repo", str(mini_copy), "--ref", "HEAD", "--format", "plain"])
    assert result.code == 0 and "(bundled facts)" in result.out.splitlines()[2]
    assert invoke(["rotary", "--repo", str(mini_copy), "--ref", "nonsense"]).code == 2
    monkeypatch.chdir(tmp_path)
    assert invoke(["rotary", "--ref", "nonsense"]).code == 2


def test_diff_names_what_changed(history):
    repo, old = history
    result = invoke(["diff", "rotary", "--repo", str(repo), "--from", "HEAD~1", "--to", "HEAD",
                     "--format", "json"])
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["from"] == f"HEAD~1 ({old})"
    assert {"name": "rope_base", "from": 100000, "to": 50000} in data["values"]
    assert [c["id"] for c in data["claims"]] == ["rope-base", "rope-base-everywhere"]
    assert data["claims"][0]["from"] == "pass" and data["claims"][0]["to"] == "fail"
    plain = invoke(["diff", "rotary", "--repo", str(repo), "--from", "HEAD~1"]).out
    assert "- rope_base: 100000 -> 50000" in plain
    same = invoke(["diff", "rotary", "--repo", str(repo), "--from", "HEAD", "--to", "HEAD"])
    assert same.out.splitlines()[2] == (
        "No change: every claim has the same status and every value read from the code is "
        "the same; no symbol was added, removed or moved.")
    assert invoke(["diff", "rotary", "--repo", str(repo), "--from", "nope"]).code == 2


def test_diff_errors_name_the_flag_typed(history, tmp_path, monkeypatch):
    repo, _ = history
    bad_from = invoke(["diff", "rotary", "--repo", str(repo), "--from", "nonsense"])
    assert bad_from.code == 2
    assert bad_from.err.startswith("nanochat-explain: --from nonsense: no such revision")
    bad_to = invoke(["diff", "rotary", "--repo", str(repo), "--from", "HEAD", "--to", "nope"])
    assert bad_to.code == 2 and bad_to.err.startswith("nanochat-explain: --to nope: ")
    monkeypatch.chdir(tmp_path)  # no checkout around: upstream's history, bundled
    upstream = invoke(["diff", "rotary", "--from", "HEAD~1"])
    assert upstream.code == 0 and upstream.out.startswith("rotary: HEAD~1 (")
    no_repo = invoke(["diff", "rotary", "--from", "nonsense"])
    assert no_repo.code == 2 and "--ref" not in no_repo.err
    assert no_repo.err.startswith("nanochat-explain: --from nonsense: ")


def test_list_names_the_files_missing_at_a_revision(mini_copy):
    git = ["git", "-C", str(mini_copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    kernel = mini_copy / "nanochat" / "flash_attention.py"
    text = kernel.read_text(encoding="utf-8")
    kernel.unlink()
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "no kernel yet"], check=True)
    kernel.write_text(text, encoding="utf-8")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "kernel"], check=True)

    def missing(*args):
        result = invoke(["list", "--repo", str(mini_copy), "--format", "json", *args])
        assert result.code == 0, result.err
        return {m["module"]: m["missing"] for m in json.loads(result.out)["modules"]}

    old = missing("--ref", "HEAD~1")
    # flash explains that file; attention, whose gpt.py still calls flash_attn, may show the
    # closest form it has (FA3 loaded in gpt.py) rather than the file
    assert {m for m, files in old.items() if files} <= {"attention", "flash"}
    assert old["flash"] == ["nanochat/flash_attention.py"]
    assert not any(missing("--ref", "HEAD").values()) and not any(missing().values())
    plain = invoke(["list", "--repo", str(mini_copy), "--ref", "HEAD~1"]).out
    assert "missing here: nanochat/flash_attention.py" in plain and "(--ref HEAD~1)" in plain
    # the optimizer's sources name an older form's muon.py, which this tree never had
    assert not (mini_copy / "nanochat" / "muon.py").exists()
    assert "every file that the forms found here read is present" in plain
    bare = json.loads(invoke(["list", "--format", "json"]).out)
    assert "source" not in bare and "missing" not in bare["modules"][0]


def test_a_revision_already_parsed_is_not_read_again(history, monkeypatch, tmp_path):
    from nanochat_explain.source.locate import Source

    repo, _ = history
    monkeypatch.setenv("NANOCHAT_EXPLAIN_CACHE", str(tmp_path / "cache"))
    first = values(repo, "--ref", "HEAD~1")

    def refuse(self, relpath):
        raise AssertionError(f"read {relpath} although its blob id is in the cache")

    monkeypatch.setattr(Source, "_blob", refuse)
    assert values(repo, "--ref", "HEAD~1") == first


def test_a_plain_trees_diff_ends_at_its_files_not_at_upstreams_newest_commit(mini_copy):
    gpt = mini_copy / "nanochat" / "gpt.py"
    text = gpt.read_text(encoding="utf-8")
    assert text.count("base=100000") == 1
    gpt.write_text(text.replace("base=100000", "base=12345"), encoding="utf-8")
    result = invoke(["diff", "rotary", "--repo", str(mini_copy), "--from", "92d63d4",
                     "--format", "json"])
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["to"].endswith(f"{mini_copy.name} (not a git checkout)")
    assert any(v["name"] == "rope_base" and v["to"] == 12345 for v in data["values"])


def test_a_value_the_code_did_not_yield_reads_as_in_a_history():
    from nanochat_explain.queries.diff import ModuleDiff
    from nanochat_explain.render.text import diff_text

    d = ModuleDiff("mlp", "a (a)", "b (b)", (), (("fc_init_scale", None, 0.4),), ())
    assert "- fc_init_scale: (none) -> 0.4" in diff_text(d, markdown=False)
