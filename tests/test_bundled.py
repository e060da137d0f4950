"""Working with no checkout: the bundled facts snapshot, and the snapshot command."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import MINI, invoke
from nanochat_explain.core import Session
from nanochat_explain.model import Status
from nanochat_explain.source.locate import bundled
from nanochat_explain.source.snapshot import BUNDLED, load_bundled, parse
from nanochat_explain.templates.packaged import PACKAGE, load_packaged

DATA = Path(__file__).resolve().parent.parent / "src" / "nanochat_explain" / "data" / BUNDLED


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A working directory with no checkout above it and an empty HOME."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_every_template_holds_on_the_bundled_facts():
    session = Session(bundled())
    for template in load_packaged().templates:
        # the claims shown: those of the forms the pin has (older forms fail there)
        shown = session.explain(template).results
        bad = [(r.id, r.detail) for r in shown if r.status.value != "pass"]
        assert shown and bad == [], template.module


def test_bundle_has_full_facts_for_every_template_source():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert data["nanochat_commit"] == "92d63d4"
    session = Session(bundled())
    read = {r.file for t in load_packaged().templates for r in session.explain(t).results}
    assert read <= set(data["files"])
    sources = {s for t in load_packaged().templates for s in t.sources}
    assert not sources & set(data["outline_only"])


def test_no_checkout_means_bundled_facts(nowhere):
    result = invoke(["attention"])
    assert result.code == 0, result.err
    assert "checked against nanochat@92d63d4 (bundled facts)" in result.out.splitlines()[2]
    check = invoke(["check", "--format", "json"])
    data = json.loads(check.out)
    assert check.code == 0 and data["summary"]["fail"] == data["summary"]["error"] == 0
    assert data["source"] == {"repo": "nanochat@92d63d4", "commit": "92d63d4",
                              "bundled": True, "dirty": None, "ref": None}


def test_an_explicit_bad_repo_is_still_an_error(nowhere):
    assert invoke(["attention", "--repo", str(nowhere)]).code == 3
    assert invoke(["attention"], env={"NANOCHAT_DIR": str(nowhere)}).code == 3


def test_snapshot_is_deterministic_and_holds_no_bodies(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert invoke(["snapshot", "--repo", str(MINI), "-o", str(a)]).code == 0
    assert invoke(["snapshot", "--repo", str(MINI), "-o", str(b)]).code == 0
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    assert "Test fixture shaped like nanochat" not in text  # a docstring
    assert "reduced to its names" not in text
    assert '"return F.rms_norm' not in text and "def " not in text
    stdout = invoke(["snapshot", "--repo", str(MINI), "-o", "-"]).out
    assert stdout == text


def test_snapshot_keeps_only_the_comments_the_claims_read(tmp_path):
    from conftest import drift_claims, templates_with

    templates = templates_with(drift_claims(), tmp_path / "templates")
    out = tmp_path / "snap.json"
    assert invoke(["snapshot", "--repo", str(MINI), "--templates", str(templates),
                   "-o", str(out)]).code == 0
    files = json.loads(out.read_text(encoding="utf-8"))["files"]
    kept = {(path, tuple(map(tuple, d.get("comments", []))),
             tuple(map(tuple, d.get("docstrings", [])))) for path, d in files.items()
            if d.get("comments") or d.get("docstrings")}
    gpt = files["nanochat/gpt.py"]
    assert "ceil to FA3 tile size (2048 -> 768)" in [c[0] for c in gpt["comments"]]
    assert ["GPT.init_weights", "wte (embedding):     normal, std=1.0; mlp.c_fc:   uniform, "
                                "std=1/sqrt(n_embd)"] in [d[:2] for d in gpt["docstrings"]]
    # every text kept is one a comment claim quotes, and nothing else
    quoted = [(c.get("file"), c.get("contains"), c.get("matches"))
              for path in templates.glob("*.yaml")
              for c in yaml.safe_load(path.read_text(encoding="utf-8"))["claims"]
              if c["kind"] == "comment"]
    for path, comments, docstrings in kept:
        for text in [c[0] for c in comments] + [d[1] for d in docstrings]:
            assert any((contains is not None and contains in text)
                       or (matches is not None and re.search(matches, text))
                       for _, contains, matches in quoted), (path, text)
    assert all("Test fixture" not in d[1] for _, _, ds in kept for d in ds)
    # and the bundled snapshot answers the claims as the checkout does
    bundle = parse(out.read_text(encoding="utf-8"), "snap.json")
    facts = bundle.facts("nanochat/gpt.py")
    source = (MINI / "nanochat/gpt.py").read_text(encoding="utf-8").splitlines()
    assert [c.line for c in facts.comments if "2048 -> 768" in c.text] == [
        n for n, line in enumerate(source, 1) if "2048 -> 768" in line]
    assert [d.line for d in facts.docstrings if "wte (embedding)" in d.text] == [136]


def test_snapshot_of_fixture_explains_like_the_fixture(tmp_path):
    snap = tmp_path / "snap.json"
    invoke(["snapshot", "--repo", str(MINI), "-o", str(snap)])
    from nanochat_explain.source.locate import locate
    from nanochat_explain.source.snapshot import parse

    bundle = parse(snap.read_text(encoding="utf-8"), "snap.json")
    checkout = Session(locate(str(MINI)))
    packed = Session(bundled().__class__(root=Path("."), display="x", commit=bundle.commit,
                                         bundle=bundle))
    def said(r):  # a source only older forms read is missing here: an error either way
        missing = r.status is Status.ERROR and not (MINI / r.file).exists()
        return (r.id, r.status, r.line, None if missing else r.detail)

    for template in load_packaged().templates:
        # the claims an explanation shows: an older form's claim on a file the fixture does
        # not have (muon.py, adamw.py) is an error either way, only worded differently
        assert ([(r.id, r.status, r.line, r.detail) for r in checkout.explain(template).results]
                == [(r.id, r.status, r.line, r.detail) for r in packed.explain(template).results])


def test_snapshot_never_overwrites_without_force(tmp_path):
    out = tmp_path / "snap.json"
    out.write_text("mine\n")
    result = invoke(["snapshot", "--repo", str(MINI), "-o", str(out)])
    assert result.code == 2 and "pass --force" in result.err
    assert out.read_text() == "mine\n"
    assert invoke(["snapshot", "--repo", str(MINI), "-o", str(out), "--force"]).code == 0
    assert out.read_text().startswith('{"nanochat_commit"')


def test_snapshot_needs_a_checkout(nowhere, tmp_path):
    result = invoke(["snapshot", "-o", str(tmp_path / "x.json")])
    assert result.code == 2 and "reads a nanochat checkout" in result.err


def test_a_corrupt_bundle_is_a_clean_error():
    from nanochat_explain.errors import SourceError
    from nanochat_explain.source.snapshot import parse

    for text in ("not json", "{}", '{"schema_version": 1, "nanochat_commit": "x", '
                 '"files": {"a.py": {"path": 3}}}'):
        with pytest.raises(SourceError):
            parse(text, "broken.json")


def test_dirty_checkout_is_named(mini_copy):
    git = ["git", "-C", str(mini_copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    clean = json.loads(invoke(["check", "--repo", str(mini_copy), "--format", "json"]).out)
    assert clean["source"]["dirty"] is False and clean["source"]["commit"]
    gpt = mini_copy / "nanochat" / "gpt.py"
    gpt.write_text(gpt.read_text() + "\n# edited\n")
    out = invoke(["mlp", "--repo", str(mini_copy)]).out
    assert f"@ {clean['source']['commit']} with uncommitted changes" in out.splitlines()[2]


@pytest.mark.skipif(not os.environ.get("NANOCHAT_DIR"), reason="needs NANOCHAT_DIR")
def test_bundle_is_the_snapshot_of_nanochat_at_92d63d4(tmp_path):
    out = tmp_path / "snap.json"
    result = invoke(["snapshot", "--repo", os.environ["NANOCHAT_DIR"], "-o", str(out)])
    assert result.code == 0
    if load_bundled().commit != json.loads(out.read_text())["nanochat_commit"]:
        pytest.skip("NANOCHAT_DIR is not at the bundled commit")
    assert out.read_bytes() == DATA.read_bytes()


def test_snapshot_skips_sources_only_older_forms_read(tmp_path):
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(PACKAGE / "data" / "templates", templates)
    mlp = templates / "mlp.yaml"
    mlp.write_text(mlp.read_text(encoding="utf-8").replace(
        "sources:\n", "sources:\n  - nanochat/no_such_file.py\n", 1), encoding="utf-8")
    out = tmp_path / "snap.json"
    result = invoke(["snapshot", "--repo", str(MINI), "--templates", str(templates),
                     "-o", str(out)])
    assert result.code == 0, result.err
    assert "no_such_file" not in out.read_text(encoding="utf-8")
