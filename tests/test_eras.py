"""The explanations hold for nanochat as it was, and as forks change it.

``fixtures/eras/<era>/*.yaml`` turn the fixture tree (nanochat at the pin, in our own
words) into nanochat as it was in that era; ``fixtures/forks/*.yaml`` into a fork that
swaps in a well-known alternative. Each file lists whole files to write, files to delete
and edits, then what the explanations must show: the form of given items, the code no
statement covers. Every module must render, exit 0, and hold for at least 98% of the items
it shows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FIXTURES, MINI, invoke

MODULES = [m["module"] for m in json.loads(invoke(["list", "--format", "json"]).out)["modules"]]
TARGET = 0.98
# an era is tested once it has overlays: eras are added module group by module group
ERAS = sorted(p.name for p in (FIXTURES / "eras").iterdir()
              if p.is_dir() and any(p.glob("*.yaml")))
FORKS = sorted(p.stem for p in (FIXTURES / "forks").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def build(dest: Path, overlays: list[Path]) -> dict[str, Any]:
    """Copy the fixture tree to ``dest`` and apply the overlays; their expectations, merged."""
    shutil.copytree(MINI, dest)
    expect: dict[str, Any] = {"forms": {}, "uncovered": {}}
    for path in overlays:
        data = _load(path)
        for rel, text in (data.get("write") or {}).items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        for rel in data.get("delete") or []:
            (dest / rel).unlink()
        for edit in data.get("edits") or []:
            target = dest / edit["file"]
            text = target.read_text(encoding="utf-8")
            assert text.count(edit["old"]) == 1, f"{path.name}: edit does not apply once: " \
                                                 f"{edit['old']!r}"
            target.write_text(text.replace(edit["old"], edit["new"]), encoding="utf-8")
        for module, forms in (data.get("forms") or {}).items():
            expect["forms"].setdefault(module, {}).update(forms)
        for module, names in (data.get("uncovered") or {}).items():
            expect["uncovered"].setdefault(module, []).extend(names)
    return expect


def explain(tree: Path, module: str) -> tuple[int, dict[str, Any]]:
    result = invoke([module, "--repo", str(tree), "--format", "json"])
    return result.code, json.loads(result.out)


def holding_share(data: dict[str, Any]) -> tuple[float, list[str]]:
    """The share of the items shown whose claims all hold, and the items that do not."""
    by_id = {c["id"]: c["status"] for c in data["claims"]}
    items: list[tuple[str, list[str]]] = []
    items += [("box:" + b["label"], b["claims"]) for b in data["boxes"]]
    items += [("breakdown:" + b["name"], b["claims"]) for b in data["breakdown"]]
    items += [("comparisons:" + r["aspect"], r["claims"]) for r in data["comparisons"]]
    items += [("notes:" + n["text"][:40], n["claims"]) for n in data["notes"]]
    failing = [key for key, claims in items if any(by_id[c] != "pass" for c in claims)]
    if data["summary_status"] != "pass":
        failing.append("summary")
    return 1 - len(failing) / (len(items) + 1), failing


def _assert_expected(tree: Path, expect: dict[str, Any]) -> None:
    for module in MODULES:
        code, data = explain(tree, module)
        assert code == 0, module
        share, failing = holding_share(data)
        assert share >= TARGET, f"{module}: {share:.1%} hold; failing: {failing}"
        shown = {f["key"]: f["form"] for f in data["forms"]}
        for key, label in expect["forms"].get(module, {}).items():
            assert shown.get(key) == label, f"{module} {key}: shows {shown.get(key)!r}"
        names = {u["name"] for u in data["uncovered"]}
        for name in expect["uncovered"].get(module, []):
            assert name in names, f"{module}: {name} not surfaced; uncovered: {sorted(names)}"


def test_the_pin_holds_everywhere(tmp_path: Path) -> None:
    _assert_expected(MINI, {"forms": {}, "uncovered": {}})


@pytest.mark.parametrize("era", ERAS)
def test_era(era: str, tmp_path: Path) -> None:
    overlays = sorted((FIXTURES / "eras" / era).glob("*.yaml"))
    expect = build(tmp_path / "tree", overlays)
    assert expect["forms"], f"{era}: an era names the forms it must show"
    _assert_expected(tmp_path / "tree", expect)


@pytest.mark.parametrize("fork", FORKS)
def test_fork(fork: str, tmp_path: Path) -> None:
    expect = build(tmp_path / "tree", [FIXTURES / "forks" / f"{fork}.yaml"])
    assert expect["forms"] or expect["uncovered"], f"{fork}: a fork names what it must show"
    _assert_expected(tmp_path / "tree", expect)
    # a fork's explanation says what differs without burying it: at most 1.5x upstream's
    for module in MODULES:
        mine = invoke([module, "--repo", str(tmp_path / "tree"), "--format", "plain"]).out
        pin = invoke([module, "--repo", str(MINI), "--format", "plain"]).out
        assert len(mine) <= 1.5 * len(pin), f"{module}: {len(mine)} vs {len(pin)} characters"
