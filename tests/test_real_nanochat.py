"""Opt-in: the templates against a real nanochat checkout named by NANOCHAT_DIR.

Skipped when NANOCHAT_DIR is unset. The templates are written against commit 92d63d4.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import invoke

REAL = os.environ.get("NANOCHAT_DIR")
pytestmark = [
    pytest.mark.nanochat,
    pytest.mark.skipif(not REAL or not (Path(REAL) / "nanochat" / "gpt.py").is_file(),
                       reason="set NANOCHAT_DIR to a nanochat checkout to run these"),
]


def check(repo: str | Path) -> dict:
    result = invoke(["check", "--repo", str(repo), "--format", "json"])
    return {"code": result.code, **json.loads(result.out)}


def test_every_claim_holds():
    data = check(REAL)
    bad = [(m["module"], c["id"], c["detail"]) for m in data["modules"] for c in m["claims"]
           if c["status"] != "pass"]
    assert bad == []
    assert data["code"] == 0
    if data["source"]["commit"] is not None:
        assert data["source"]["commit"] == "92d63d4"


def test_lines_point_at_the_code_they_name():
    data = check(REAL)
    root = Path(REAL)
    texts: dict[str, list[str]] = {}
    for module in data["modules"]:
        for c in module["claims"]:
            lines = texts.setdefault(c["file"], (root / c["file"]).read_text().splitlines())
            if c["line"] is None:  # a search of the whole file
                assert c["kind"] == "absent", c
                continue
            assert 1 <= c["line"] <= len(lines), c
            line = lines[c["line"] - 1]
            if c["kind"] == "symbol":
                name = c["detail"].split()[1].rsplit(".", 1)[-1]
                assert f"class {name}" in line or f"def {name}" in line, (c, line)
            elif c["kind"] == "assign":
                target = c["detail"].split(" = ")[0]
                first = target.split(",")[0].strip()
                # the detail is canonical Python, which quotes with ' where the code may use "
                assert first.replace("'", '"') in line.replace("'", '"'), (c, line)


def test_blank_lines_shift_every_line(tmp_path):
    copy = tmp_path / "nc"
    for part in ("nanochat", "scripts"):
        shutil.copytree(Path(REAL) / part, copy / part)
    before = check(copy)
    gpt = copy / "nanochat" / "gpt.py"
    gpt.write_text("\n\n\n" + gpt.read_text())
    after = check(copy)
    for m_before, m_after in zip(before["modules"], after["modules"], strict=True):
        for a, b in zip(m_before["claims"], m_after["claims"], strict=True):
            assert b["status"] == "pass"
            shift = 3 if a["file"] == "nanochat/gpt.py" and a["line"] is not None else 0
            assert b["line"] == (None if a["line"] is None else a["line"] + shift), (a, b)


def test_history_names_the_commit_where_the_rope_base_moved():
    result = invoke(["history", "rotary", "--repo", REAL, "--format", "json"])
    assert result.code == 0, result.err
    data = json.loads(result.out)
    base = {t["name"]: t for t in data["values"]}["rope_base"]
    assert [(c["commit"], c["from"], c["to"]) for c in base["changes"]] == [
        ("3a5e0bc", None, 10000), ("6ed7d1d", 10000, 100000)]
    rope = {t["name"]: t for t in data["claims"]}["rope-base"]
    assert [(c["commit"], c["to"]) for c in rope["changes"]][-1] == ("6ed7d1d", "pass")
