"""A run's result is kept for the next run over the same files, and only for it."""

from __future__ import annotations

import pytest

from conftest import invoke
from nanochat_explain import core


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[str]:
    """The claims checked, in order; a private cache folder."""
    monkeypatch.setenv("NANOCHAT_EXPLAIN_CACHE", str(tmp_path / "cache"))
    seen: list[str] = []
    real = core.Session.check_claim

    def check_claim(self, claim):
        seen.append(claim.id)
        return real(self, claim)

    monkeypatch.setattr(core.Session, "check_claim", check_claim)
    return seen


@pytest.mark.parametrize("args", [["check"], ["check", "mlp", "rotary"], ["mlp"],
                                  ["attention", "--format", "json"]])
def test_a_second_run_over_the_same_files_is_read_back(mini_copy, counted, args):
    args = [*args, "--repo", str(mini_copy), "--format", "plain"] if "--format" not in args \
        else [*args, "--repo", str(mini_copy)]
    first = invoke(args)
    assert first.code == 0, first.err
    assert counted
    counted.clear()
    again = invoke(args)
    assert (again.code, again.out, again.err) == (first.code, first.out, first.err)
    assert counted == []
    assert invoke([*args, "--no-cache"]).out == first.out
    assert counted  # --no-cache checks again


def test_an_edited_file_is_checked_again(mini_copy, counted):
    args = ["check", "rotary", "--repo", str(mini_copy), "--format", "plain"]
    assert invoke(args).code == 0
    gpt = mini_copy / "nanochat" / "gpt.py"
    gpt.write_text(gpt.read_text(encoding="utf-8").replace("base=100000", "base=100001"),
                   encoding="utf-8")
    counted.clear()
    edited = invoke(args)
    assert counted and edited.code == 1 and "100001" in edited.out
    args = ["check", "tokenizer", "--repo", str(mini_copy), "--format", "plain"]
    assert invoke(args).code == 0
    counted.clear()
    (mini_copy / "nanochat" / "tokenizer.py").unlink()  # no longer readable: a change too
    gone = invoke(args)
    assert counted and gone.code == 1 and "file not found" in gone.out


def test_the_checkout_is_named_afresh(mini_copy, counted, tmp_path):
    moved = tmp_path / "elsewhere"
    args = ["check", "mlp", "--format", "plain"]
    first = invoke([*args, "--repo", str(mini_copy)])
    mini_copy.rename(moved)
    counted.clear()
    second = invoke([*args, "--repo", str(moved)])
    assert counted  # another folder: not the same files
    assert str(moved.name) in second.out and first.out != second.out
