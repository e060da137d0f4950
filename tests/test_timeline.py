"""When upstream had each form: the shipped runs match the templates and the history."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import invoke
from nanochat_explain.queries import timeline
from nanochat_explain.templates.packaged import PACKAGE, load_packaged
from test_eras import holding_share

REAL = os.environ.get("NANOCHAT_DIR")
PIN = "92d63d4"


def _has_history() -> bool:
    if not REAL or not (Path(REAL) / "nanochat" / "gpt.py").is_file():
        return False
    done = subprocess.run(["git", "-C", REAL, "cat-file", "-e", "3a5e0bc^{commit}"],
                          capture_output=True, check=False)
    return done.returncode == 0


needs_history = pytest.mark.skipif(not _has_history(),
                                   reason="needs NANOCHAT_DIR: a nanochat clone with history")


def _items_with_forms():
    for t in load_packaged(cache=False).templates:
        if t.summary_forms:
            yield t.module, "summary", (t.summary_form, *(f.label for f in t.summary_forms))
        if t.diagram_forms:
            yield t.module, "diagram", (t.diagram_form, *(f.label for f in t.diagram_forms))
        for section, items in (("breakdown", t.breakdown), ("comparisons", t.comparisons),
                               ("notes", t.notes)):
            for i, item in enumerate(items):
                if item.forms:
                    from nanochat_explain.templates.forms import item_key

                    yield (t.module, item_key(section, item, i),
                           (item.form, *(f.label for f in item.forms)))


def test_every_item_with_forms_has_its_runs():
    data = json.loads((PACKAGE / "data" / timeline.FILE).read_text(encoding="utf-8"))
    expected = {(m, k): labels for m, k, labels in _items_with_forms()}
    shipped = {(m, k) for m, items in data["modules"].items() for k in items}
    assert shipped == set(expected), (
        "data/forms.json is stale; rebuild it: "
        "python -m nanochat_explain.queries.timeline --repo CLONE")
    for (module, key), labels in expected.items():
        runs = timeline.runs_of(module, key)
        assert runs and all(run.form in labels for run in runs), (module, key)
        # upstream's newest form is the last run: the template's own
        assert runs[-1].form == labels[0], (module, key)
    assert len(data["upstream_commits"]) >= 441


def test_the_form_line_names_when_upstream_had_it(monkeypatch):
    from nanochat_explain.render.text import form_text
    from nanochat_explain.templates.forms import FormChoice

    runs = (timeline.Run("base {b}", "base 10000", "3a5e0bc", "2025-10-13", "1111111",
                         "2026-03-01"),
            timeline.Run("base {b}", "base 100000", "6ed7d1d", "2026-03-09", PIN, "2026-07-03"))
    monkeypatch.setattr(timeline, "runs_of", lambda module, key: runs)

    newest = FormChoice("breakdown", 0, "breakdown:F", "base {b}", True, True, "",
                        ("base {b}", "old"))
    exp = SimpleNamespace(values={"b": 100000}, template=SimpleNamespace(module="rotary"),
                          choice=lambda section, index: newest)
    assert form_text(exp, "breakdown", 0) == (  # type: ignore[arg-type]
        "form: base 100000 — upstream since 6ed7d1d (2026-03-09); before: base 10000")


@needs_history
def test_the_shipped_runs_are_the_history(tmp_path):
    out = tmp_path / "forms.json"
    assert timeline.main(["--repo", str(REAL), "--until", PIN, "-o", str(out)]) == 0
    shipped = (PACKAGE / "data" / timeline.FILE).read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == shipped


@needs_history
def test_a_sample_of_upstream_commits(tmp_path):
    """Every module renders at a sample of upstream commits, exits 0 and holds at 98%."""
    listed = subprocess.run(["git", "-C", str(REAL), "rev-list", "--topo-order", "--reverse",
                             PIN], capture_output=True, text=True, check=True).stdout.split()
    sample = [listed[i * (len(listed) - 1) // 11] for i in range(12)]
    modules = [m["module"] for m in json.loads(invoke(["list", "--format", "json"]).out)
               ["modules"]]
    low = []
    for sha in sample:
        for module in modules:
            result = invoke([module, "--repo", str(REAL), "--ref", sha, "--format", "json"])
            assert result.code == 0, (sha, module, result.err)
            share, failing = holding_share(json.loads(result.out))
            if share < 0.98:
                low.append((sha[:7], module, f"{share:.0%}", failing))
            for fmt in ("plain", "markdown"):
                assert invoke([module, "--repo", str(REAL), "--ref", sha, "--format",
                               fmt]).code == 0
    assert not low, low
