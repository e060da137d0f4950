"""Work a run does only when it pays: claims checked when their result is read, a
claim's own text parsed when its template is validated, files parsed in two processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nanochat_explain.claims import texts
from nanochat_explain.claims.checks import BRIEF
from nanochat_explain.core import Session
from nanochat_explain.facts import parse, processes
from nanochat_explain.facts.parse import extract_many, extract_text
from nanochat_explain.model import Status
from nanochat_explain.source.locate import locate
from nanochat_explain.templates.forms import choose
from nanochat_explain.templates.packaged import load_packaged

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "fixtures" / "nanochat-mini"


# upstream commits of several eras, from the bundle: older forms of many items hold there
REFS = ("3a5e0bc", "8203efa", "92d63d4")


def _sessions() -> list[tuple[str, object]]:
    from nanochat_explain.commands.app import _session

    return [("mini", lambda: Session(locate(str(MINI)))),
            *((ref, lambda ref=ref: _session(None, True, ref=ref)) for ref in REFS)]


@pytest.mark.parametrize(("name", "session"), _sessions(), ids=[n for n, _ in _sessions()])
def test_forms_chosen_from_results_read_lazily_are_those_of_every_result(name, session):
    """The lazy results pick the same form, values and shown claims as all results
    checked up front, in every template, on the mini fixture and at upstream commits of
    several eras; and leave claims unchecked."""
    unchecked = 0
    for template in load_packaged().templates:
        lazy = session()._briefly(template)
        eager = session()
        token = BRIEF.set(True)
        try:
            every = {r.id: r for r in eager.check(template)}
        finally:
            BRIEF.reset(token)
        assert choose(template, lazy.brief) == choose(template, every)
        unchecked += len(template.claims) - len(lazy.brief)
    assert unchecked > 0


def test_an_items_other_forms_are_not_checked_when_its_first_holds():
    template = load_packaged().get("mlp")
    session = Session(locate(str(MINI)))
    by_id = session._briefly(template)
    chosen = choose(template, by_id.brief)
    newest = [c for c in chosen.choices if c.newest and c.held]
    assert newest, "the mini fixture has the newest form of some mlp item"
    held = {c.key for c in newest if c.section == "breakdown"}
    items = [i for i in template.breakdown if i.forms and f"breakdown:{i.name}" in held]
    own = {cid for i in template.breakdown for cid in i.claims}
    others = {cid for i in items for f in i.forms for cid in f.claims} - own
    assert others and others - set(by_id.brief)


def test_a_claims_own_text_is_parsed_when_its_template_is_validated(monkeypatch):
    """Each statement and order claim's text carries what it parses to; with those
    remembered, checking the claims parses none of them again."""
    catalog = load_packaged()
    prepared = [e for t in catalog.templates for e in t.prepared]
    names = {name for name, _, _ in prepared}
    assert {"nanochat_explain.claims.statement._statement",
            "nanochat_explain.claims.order._whole_assign",
            "nanochat_explain.claims.order._whole_call"} <= names
    for name, text, value in prepared:  # what was kept is what the function gives now
        fn = texts._OF_TEXT[name][0]
        assert fn(text) == value, (name, text)

    import ast

    real = ast.parse

    def refuse(source, *args, **kwargs):
        if any(source == t for _, t, _ in prepared):
            raise AssertionError(f"parsed again: {source!r}")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", refuse)
    session = Session(locate(str(MINI)))
    for template in catalog.templates:
        session.check(template)


def test_a_text_no_template_carries_is_parsed_once():
    calls = []

    @texts.of_text(("demo", "code"))
    def _demo(text: str) -> int:
        calls.append(text)
        return len(text)

    assert (_demo("abc"), _demo("abc"), _demo("de")) == (3, 3, 2)
    assert calls == ["abc", "de"]
    texts._OF_TEXT.pop(f"{__name__}.test_a_text_no_template_carries_is_parsed_once.<locals>"
                      "._demo")


def _texts() -> dict[str, str]:
    return {str(p.relative_to(MINI)): p.read_text(encoding="utf-8")
            for p in sorted(MINI.rglob("*.py"))}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="two processes need fork")
def test_files_parsed_in_two_processes_have_the_facts_of_one(monkeypatch):
    texts = _texts()
    texts["broken.py"] = "def f(:\n"
    assert len(texts) >= 3
    monkeypatch.setattr(processes, "_cores", lambda: 2)
    found = extract_many(texts)
    assert "broken.py" not in found  # its error is raised when it is asked for alone
    assert found == {p: extract_text(t, p) for p, t in texts.items() if p != "broken.py"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="two processes need fork")
def test_when_the_second_process_fails_this_one_parses_its_share(monkeypatch):
    texts = _texts()
    parent = os.getpid()
    real = parse._extracted

    def dies_in_the_child(share):
        if os.getpid() != parent:
            os._exit(3)
        return real(share)

    monkeypatch.setattr(processes, "_cores", lambda: 2)
    monkeypatch.setattr(parse, "_extracted", dies_in_the_child)
    assert extract_many(texts) == {p: extract_text(t, p) for p, t in texts.items()}


def test_the_shares_are_even_and_whole():
    texts = {f"f{i}.py": "x = 1\n" * n for i, n in enumerate([50, 40, 30, 20, 10, 5])}
    ours, theirs = parse._halves(texts)
    assert set(ours) | set(theirs) == set(texts) and not set(ours) & set(theirs)
    size = [sum(len(t) for t in share.values()) for share in (ours, theirs)]
    assert abs(size[0] - size[1]) <= len(texts["f5.py"]) * 2


def test_a_check_of_an_edited_tree_parses_each_file_once(tmp_path, monkeypatch):
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    for path in tree.rglob("*.py"):
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    parsed: list[str] = []
    real = parse.extract_text

    def counting(text: str, relpath: str):
        parsed.append(relpath)
        return real(text, relpath)

    from nanochat_explain import core

    monkeypatch.setattr(parse, "extract_text", counting)  # a share parsed ahead
    monkeypatch.setattr(core, "extract_text", counting)  # a file parsed when a claim reads it
    monkeypatch.setattr(processes, "_cores", lambda: 1)  # one process: every parse is seen here
    # the run's memory of parsed texts nearly full, as in a long run: what was parsed
    # ahead must not be lost when it is cleared
    monkeypatch.setattr(core, "_PARSED", {(f"x{i}.py", ""): None for i in range(64)})
    from nanochat_explain.commands import app

    report = app.check((), str(tree), cache=False).report
    assert report.count(Status.PASS) > 0
    assert len(parsed) == len(set(parsed)) and parsed


def _check(tree: Path, cores: int, monkeypatch) -> tuple[object, list[str], set[str]]:
    monkeypatch.setattr(processes, "_cores", lambda: cores)
    session = Session(locate(str(tree)))
    templates = list(load_packaged().templates)
    report = session.check_all(templates)
    shown = [r for _, results in report.modules for r in results]
    problems = [str(p) for p in session.problems(shown)]
    return report, problems, set(session._facts)


@pytest.fixture()
def gappy(tmp_path) -> Path:
    """The mini fixture without two files some modules read."""
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    for name in ("nanochat/engine.py", "nanochat/tokenizer.py"):
        (tree / name).unlink()
    return tree


@pytest.mark.skipif(not hasattr(os, "fork"), reason="two processes need fork")
@pytest.mark.parametrize("which", ["mini", "gappy"])
def test_a_check_in_two_processes_reports_what_one_does(which, gappy, monkeypatch):
    tree = MINI if which == "mini" else gappy
    one = _check(tree, 1, monkeypatch)
    two = _check(tree, 2, monkeypatch)
    assert two == one
    if which == "gappy":
        assert len(one[1]) == 2  # both missing files, in the order of the first claim on each


@pytest.mark.skipif(not hasattr(os, "fork"), reason="two processes need fork")
def test_when_the_second_process_of_a_check_fails_this_one_checks_its_modules(
        gappy, monkeypatch):
    one = _check(gappy, 1, monkeypatch)
    parent = os.getpid()
    real = Session._checked

    def dies_in_the_child(self, template):
        if os.getpid() != parent:
            os._exit(3)
        return real(self, template)

    monkeypatch.setattr(Session, "_checked", dies_in_the_child)
    assert _check(gappy, 2, monkeypatch) == one


def test_a_file_the_second_process_read_is_read_here_when_asked_for():
    from nanochat_explain import core

    session = Session(locate(str(MINI)))
    session._facts["nanochat/gpt.py"] = core.ELSEWHERE  # as _in_two records it
    session._facts["nanochat/gone.py"] = core.ELSEWHERE
    assert session.problems() == []
    facts = session.facts("nanochat/gpt.py")
    text = (MINI / "nanochat/gpt.py").read_text(encoding="utf-8")
    assert facts == core.parse_text(text, "nanochat/gpt.py")  # as any session reads it
    assert session._facts["nanochat/gpt.py"] is facts
    assert "gone.py" in str(session.facts("nanochat/gone.py"))
    assert [p.file for p in session.problems()] == ["nanochat/gone.py"]


def test_the_bundle_decompresses_its_blobs_facts_only_when_one_is_asked_for(
        tmp_path, monkeypatch):
    import zlib

    from nanochat_explain.source import upstream

    upstream._loaded.cache_clear()
    try:
        bundle = upstream._loaded()
        assert bundle is not None and "_lines" not in vars(bundle)  # only the head so far
        blob = bundle.blob_ids[-1]  # its facts are the last decoded: after the cut
        path = next(p for p, b in upstream.iter_blobs(bundle) if b == blob)
        assert bundle.facts(blob, path) is not None and "_lines" in vars(bundle)

        # a bundle whose body is cut short: its head still answers, its facts are missing
        data = (upstream.Path(upstream.__file__).resolve().parent.parent / "data"
                / upstream.FILE).read_bytes()
        cut = tmp_path / "data"
        cut.mkdir()
        (cut / upstream.FILE).write_bytes(data[: len(data) // 2])
        monkeypatch.setattr(upstream, "__file__", str(tmp_path / "source" / "upstream.py"))
        upstream._loaded.cache_clear()
        damaged = upstream._loaded()
        assert damaged is not None and damaged.has(blob)
        assert damaged.facts(blob, path) is None
        assert zlib.decompress(data)  # the shipped one is whole

        # cut inside its head: no bundle at all, found at once
        (cut / upstream.FILE).write_bytes(data[:2000])
        upstream._loaded.cache_clear()
        assert upstream._loaded() is None
    finally:
        upstream._loaded.cache_clear()


def test_no_second_process_while_another_thread_runs(monkeypatch):
    import threading

    monkeypatch.setattr(processes, "_cores", lambda: 2)
    assert processes.can_fork() is hasattr(os, "fork")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert processes.can_fork() is False
        forks = []
        monkeypatch.setattr(os, "fork", lambda: forks.append(1) or 0)
        texts = _texts()
        assert extract_many(texts) == {p: extract_text(t, p) for p, t in texts.items()}
        Session(locate(str(MINI))).check_all(list(load_packaged().templates))
        assert forks == []
    finally:
        stop.set()
        other.join()


def test_explaining_every_module_of_an_edited_tree_parses_in_one_go(tmp_path, monkeypatch):
    import shutil

    from nanochat_explain.commands import app

    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    for path in tree.rglob("*.py"):
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(processes, "_cores", lambda: 2)
    batches: list[int] = []
    real = parse.extract_many
    monkeypatch.setattr(parse, "extract_many", lambda texts: batches.append(len(texts))
                        or real(texts))
    run = app.explain_all(str(tree), cache=False)
    assert len(run.explanations) == len(load_packaged().templates)
    sources = {s for t in load_packaged().templates for s in t.sources}
    assert batches == [len([s for s in sources if (tree / s).is_file()])]
