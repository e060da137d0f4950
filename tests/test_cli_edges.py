"""What a careful user meets at the edges: exit codes after partial failures, permission
errors, conflicting output folders, and the messages for arguments that are almost right."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from conftest import MINI, apply_drift, invoke, load_drifts


def test_explain_and_all_exit_0_when_they_rendered_with_a_file_missing(mini_copy):
    (mini_copy / "nanochat" / "flash_attention.py").unlink()
    # flash explains that file (attention may show the closest form its gpt.py code has)
    explained = invoke(["flash", "--repo", str(mini_copy), "--format", "plain"])
    assert explained.code == 0
    assert "Flash attention: the kernel switch" in explained.out
    assert "UNCHECKED" in explained.out  # what could not be read is shown
    assert explained.err.startswith("nanochat-explain: nanochat/flash_attention.py: file not")
    everything = invoke(["all", "--repo", str(mini_copy), "--format", "plain"])
    assert everything.code == 0 and "flash_attention.py: file not found" in everything.err
    # the same checkout is a failure for check, and for --strict
    assert invoke(["check", "--repo", str(mini_copy)]).code == 1
    assert invoke(["attention", "--repo", str(mini_copy), "--strict"]).code == 1
    assert invoke(["all", "--repo", str(mini_copy), "--strict"]).code == 1


def test_exit_3_only_when_nothing_could_be_rendered(tmp_path):
    result = invoke(["all", "--repo", str(tmp_path)])
    assert result.code == 3 and result.out == ""


def test_all_strict(mini_copy):
    assert invoke(["all", "--repo", str(MINI), "--strict", "--format", "json"]).code == 0
    apply_drift(mini_copy, load_drifts()["tanh"])
    drifted = invoke(["all", "--repo", str(mini_copy), "--strict", "--format", "json"])
    assert drifted.code == 1
    data = json.loads(drifted.out)  # still rendered in full
    assert len(data["modules"]) > 1
    assert invoke(["all", "--repo", str(mini_copy), "--format", "json"]).code == 0


def _deny(monkeypatch: pytest.MonkeyPatch, method: str, name: str) -> None:
    """Make ``Path.<method>`` fail with EACCES on files called ``name`` (tests run as root,
    for whom chmod 000 would change nothing)."""
    real = getattr(Path, method)

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, denied)


def _deny_open(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``os.open`` fail with EACCES on files called ``name``: a source file is opened
    with it, to look at what it is before reading it."""
    real = os.open

    def denied(path: object, *args: object, **kwargs: object) -> int:
        if os.path.basename(os.fspath(path)) == name:  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)


def test_unreadable_source_is_exit_3_or_an_unchecked_claim(monkeypatch, tmp_path):
    _deny(monkeypatch, "read_bytes", "gpt.py")
    _deny_open(monkeypatch, "gpt.py")
    check = invoke(["check", "mlp", "--repo", str(MINI)])
    assert check.code == 1
    assert check.err == "nanochat-explain: nanochat/gpt.py: cannot read: Permission denied\n"
    snapshot = invoke(["snapshot", "--repo", str(MINI), "-o", str(tmp_path / "s.json")])
    assert snapshot.code == 3 and "Permission denied" in snapshot.err


def test_unwritable_output_is_exit_73_not_a_usage_error(monkeypatch, tmp_path):
    import tempfile

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    docs = invoke(["docs", "--repo", str(MINI), "--out", str(tmp_path / "docs")])
    assert docs.code == 73 and "cannot write: Permission denied" in docs.err
    snapshot = invoke(["snapshot", "--repo", str(MINI), "-o", str(tmp_path / "s.json")])
    assert snapshot.code == 73
    assert "73" in invoke(["--help"]).out


def test_docs_write_nothing_when_one_file_conflicts(tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "mlp.md").write_text("notes of my own\n")
    result = invoke(["docs", "--repo", str(MINI), "--out", str(out)])
    assert result.code == 2
    assert result.err.endswith("mlp.md: exists and differs; pass --force to overwrite it; "
                               "wrote nothing\n")
    assert sorted(p.name for p in out.iterdir()) == ["mlp.md"]  # no index.md, no other page
    (out / "tokenizer.md").write_text("mine too\n")
    two = invoke(["docs", "--repo", str(MINI), "--out", str(out)])
    assert "(and 1 more); wrote nothing" in two.err
    assert sorted(p.name for p in out.iterdir()) == ["mlp.md", "tokenizer.md"]


def test_empty_templates_folder_says_so(tmp_path):
    result = invoke(["mlp", "--repo", str(MINI), "--templates", str(tmp_path)])
    assert result.code == 2
    assert result.err == (f"nanochat-explain: --templates {tmp_path}: the folder holds no "
                          "templates (*.yaml files)\n")


def test_repo_pointing_at_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(MINI.parent)
    inside = invoke(["mlp", "--repo", "nanochat-mini/nanochat/gpt.py"])
    assert inside.code == 3
    assert inside.err == ("nanochat-explain: --repo nanochat-mini/nanochat/gpt.py: is a file, "
                          "not a folder; pass the checkout's folder: nanochat-mini\n")
    stray = tmp_path / "notes.txt"
    stray.write_text("x")
    alone = invoke(["mlp", "--repo", str(stray)])
    assert alone.code == 3 and alone.err.endswith(
        "is a file, not a folder; pass the folder of a nanochat checkout\n")
