"""A fork against its base: its own changes apart from upstream's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import invoke
from nanochat_explain.queries import timeline


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def fork(mini_copy: Path) -> tuple[Path, str]:
    """The fixture as an 'upstream' commit, then a fork commit that swaps ReLU² for GELU."""
    _git(mini_copy, "init", "-q")
    _git(mini_copy, "add", "-A")
    _git(mini_copy, "commit", "-qm", "upstream")
    base = _git(mini_copy, "rev-parse", "HEAD")
    gpt = mini_copy / "nanochat" / "gpt.py"
    text = gpt.read_text(encoding="utf-8")
    assert text.count("F.relu(x).square()") == 1
    gpt.write_text(text.replace("F.relu(x).square()", "F.gelu(x)"), encoding="utf-8")
    _git(mini_copy, "commit", "-qam", "fork: gelu")
    return mini_copy, base


def _explain(repo: Path, *args: str) -> dict:
    result = invoke(["mlp", "--repo", str(repo), "--format", "json", *args])
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_named_base(fork):
    repo, base = fork
    data = _explain(repo, "--base", base[:7])
    assert data["fork"]["base"] == base[:7] and data["fork"]["named"]
    own = {c["item"]: (c["before"], c["after"]) for c in data["fork"]["own"]}
    assert own["breakdown:ReLU²"] == ("ReLU²", "GELU")  # GELU is a form, beyond upstream
    assert "summary" in own
    assert "breakdown:c_fc" not in own  # unchanged items are not listed
    text = invoke(["mlp", "--repo", str(repo), "--format", "plain", "--base", base]).out
    assert f"Fork of nanochat at {base[:7]}" in text
    assert "breakdown:ReLU²: ReLU² -> GELU" in text


def test_the_base_is_found_in_the_history(fork, monkeypatch):
    repo, base = fork
    assert "fork" not in _explain(repo)  # no upstream commit in this history
    monkeypatch.setattr(timeline, "upstream_commits", lambda: frozenset({base}))
    data = _explain(repo)
    assert data["fork"]["base"] == base[:7] and not data["fork"]["named"]
    # upstream itself is no fork: checked out, or named by --ref in a clone whose HEAD is
    # a newer upstream commit (the newest upstream commit in HEAD's history is not its base)
    head = _git(repo, "rev-parse", "HEAD")
    monkeypatch.setattr(timeline, "upstream_commits", lambda: frozenset({base, head}))
    assert "fork" not in _explain(repo, "--ref", base[:7])
    assert "fork" not in _explain(repo)
    _git(repo, "checkout", "-q", base)
    assert "fork" not in _explain(repo)


def test_what_upstream_changed_since_the_base(fork, monkeypatch):
    from nanochat_explain.queries.fork import Change

    repo, base = fork
    monkeypatch.setattr(timeline, "runs_of", lambda module, key: (
        timeline.Run("SwiGLU", "SwiGLU", "abc1234", "2026-07-01", "abc1234", "2026-07-01"),)
        if key == "breakdown:ReLU²" else ())
    monkeypatch.setattr(timeline, "upstream_head", lambda: "abc1234")
    data = _explain(repo, "--base", base)
    assert data["fork"]["upstream"] == [Change("breakdown:ReLU²", "ReLU²", "SwiGLU").as_dict()]


@pytest.mark.parametrize(("args", "message"), [
    (["--base", "nonsense"], "--base nonsense: no such revision"),
])
def test_bad_bases(fork, args, message):
    repo, _ = fork
    result = invoke(["mlp", "--repo", str(repo), *args])
    assert result.code == 2 and message in result.err


def test_a_base_needs_git(mini_copy):
    result = invoke(["mlp", "--repo", str(mini_copy), "--base", "HEAD"])
    assert result.code == 2 and "--base HEAD: needs a git checkout" in result.err
