"""Finding the checkout: --repo, then $NANOCHAT_DIR, then the enclosing checkout."""

from __future__ import annotations

import subprocess

import pytest

from conftest import MINI
from nanochat_explain.errors import SourceError
from nanochat_explain.source.locate import head_commit, locate


def test_repo_flag_wins_over_env(tmp_path):
    src = locate(str(MINI), env={"NANOCHAT_DIR": str(tmp_path)}, cwd=tmp_path)
    assert src.root == MINI


def test_env_when_no_flag(tmp_path):
    assert locate(None, env={"NANOCHAT_DIR": str(MINI)}, cwd=tmp_path).root == MINI


def test_walks_up_from_inside_a_checkout():
    src = locate(None, env={}, cwd=MINI / "nanochat")
    assert src.root == MINI and src.display == "nanochat-mini"  # the folder, not ".."
    assert locate(None, env={}, cwd=MINI).display == "nanochat-mini"  # nor "."


def test_header_names_the_folder_when_run_inside_the_checkout(monkeypatch):
    from conftest import invoke

    monkeypatch.chdir(MINI / "nanochat")
    out = invoke(["mlp", "--format", "plain"]).out
    assert out.splitlines()[2].startswith("checked against nanochat-mini (not a git checkout)")


def test_display_is_relative_inside_cwd():
    assert locate(str(MINI), env={}, cwd=MINI.parent).display == "nanochat-mini"


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_not_a_checkout(tmp_path, make):
    target = tmp_path / "x"
    if make == "empty":
        target.mkdir()
    with pytest.raises(SourceError) as info:
        locate(str(target), env={}, cwd=tmp_path)
    assert "--repo" in str(info.value) and "NANOCHAT_DIR" in str(info.value)


def test_nothing_found_means_the_bundled_facts(tmp_path):
    source = locate(None, env={}, cwd=tmp_path)
    assert source.bundle is not None and source.display == "nanochat@92d63d4"


def test_commit_only_for_the_checkout_itself(tmp_path):
    repo = tmp_path / "nc"
    (repo / "nanochat").mkdir(parents=True)
    (repo / "nanochat" / "gpt.py").write_text("x = 1\n")
    assert head_commit(repo) is None
    run = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*run, "init", "-q"], check=True)
    assert head_commit(repo) is None  # no commits yet
    subprocess.run([*run, "add", "."], check=True)
    subprocess.run([*run, "commit", "-qm", "one"], check=True)
    sha = subprocess.run([*run, "rev-parse", "--short=7", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    assert head_commit(repo) == sha
    subprocess.run([*run, "pack-refs", "--all"], check=True)
    assert head_commit(repo) == sha
    # a fixture tree inside some other git repository is not itself a checkout
    assert head_commit(MINI) is None


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs mkfifo")
def test_a_source_that_is_no_regular_file_is_an_error_not_a_wait(mini_copy):
    import os

    from conftest import invoke

    (mini_copy / "nanochat" / "optim.py").unlink()
    os.mkfifo(mini_copy / "nanochat" / "optim.py")  # reading it would wait for a writer
    with pytest.raises(SourceError, match="not a regular file"):
        locate(str(mini_copy)).read_text("nanochat/optim.py")
    result = invoke(["check", "--repo", str(mini_copy), "--format", "json"])
    assert result.code in (1, 3)
    assert "nanochat/optim.py: not a regular file" in result.err
