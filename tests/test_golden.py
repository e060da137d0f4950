"""Every format of every module, rendered from the fixture tree, against golden files.

Regenerate with ``pytest --update-golden`` after an intended change.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES, invoke
from nanochat_explain.templates.packaged import load_packaged

MODULES = load_packaged().names()
FORMATS = {"terminal": "ansi", "plain": "txt", "markdown": "md", "json": "json"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("module", MODULES)
def test_explain_golden(module, fmt, golden, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    result = invoke([module, "--repo", "nanochat-mini", "--format", fmt])
    assert result.code == 0, result.err
    assert result.err == ""
    golden(f"{module}.{FORMATS[fmt]}", result.out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_golden(fmt, golden, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    result = invoke(["check", "--repo", "nanochat-mini", "--format", fmt])
    assert result.code == 0, result.out
    golden(f"check.{FORMATS[fmt]}", result.out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_golden(fmt, golden):
    result = invoke(["list", "--format", fmt])
    assert result.code == 0
    golden(f"list.{FORMATS[fmt]}", result.out)


def test_drift_rendering_golden(golden, mini_copy, monkeypatch):
    """A failing claim shows in place, with what the code has now."""
    from conftest import apply_drift, load_drifts

    apply_drift(mini_copy, load_drifts()["tanh"])
    monkeypatch.chdir(mini_copy.parent)
    result = invoke(["mlp", "--repo", "nanochat-mini", "--format", "plain"])
    assert result.code == 0
    golden("mlp-drift-tanh.txt", result.out)
