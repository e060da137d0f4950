"""Hostile input: nothing is run, nothing leaks a traceback, nothing is clobbered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI, invoke
from nanochat_explain.core import Session
from nanochat_explain.errors import ExplainError, TemplateError
from nanochat_explain.model import Status
from nanochat_explain.source.locate import locate
from nanochat_explain.templates.load import parse
from nanochat_explain.templates.packaged import load_packaged

TEMPLATES = (Path(__file__).resolve().parent.parent / "src" / "nanochat_explain" / "data"
             / "templates")
TRAP = "import pathlib\npathlib.Path(__file__).with_name('RAN').write_text('ran')\n"


def test_no_command_imports_or_runs_the_code(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo)
    for path in repo.rglob("*.py"):
        path.write_text(TRAP + path.read_text())
    (repo / "conftest.py").write_text(TRAP)
    (repo / "setup.py").write_text(TRAP)
    out = tmp_path / "out"
    out.mkdir()
    runs = [[m, "--repo", str(repo)] for m in load_packaged().names()]
    runs += [["check", "--repo", str(repo)], ["all", "--repo", str(repo)],
             ["coverage", "--repo", str(repo)], ["list"],
             ["docs", "--repo", str(repo), "--out", str(out / "docs")],
             ["docs", "--repo", str(repo), "--out", str(out / "docs"), "--check"],
             ["snapshot", "--repo", str(repo), "-o", str(out / "s.json")],
             ["install-skill", "--dest", str(out)]]
    for args in runs:
        result = invoke(args)
        assert result.code in (0, 1), (args, result.err)
    assert not list(tmp_path.rglob("RAN"))


@pytest.mark.parametrize(("content", "message"), [
    (b"def broken(:\n", "nanochat/gpt.py:1: syntax error"),
    (b"x = '\xff'\n", "nanochat/gpt.py:1: not UTF-8 text"),
    (b"x = 1\x00\n", "nanochat/gpt.py:1: syntax error"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "nanochat/gpt.py:1: not UTF-8 text"),
    (b"x = 1\n" * 400_000, "nanochat/gpt.py: too large to parse (2.4 MB; the limit is 2 MB)"),
    (b"(" * 5000 + b")" * 5000 + b"\n", "nanochat/gpt.py"),
])
def test_broken_sources_are_one_line_errors(mini_copy, content, message):
    (mini_copy / "nanochat" / "gpt.py").write_bytes(content)
    result = invoke(["check", "--repo", str(mini_copy)])
    assert result.code == 1
    errors = result.err.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"nanochat-explain: {message}"), result.err
    assert "Traceback" not in result.err + result.out
    # the modules that do not read gpt.py still check (and gpt.py's claims are errors)
    assert "UNCHECKED" in result.out


def test_empty_file_fails_claims_without_error(mini_copy):
    (mini_copy / "nanochat" / "gpt.py").write_text("")
    result = invoke(["mlp", "--repo", str(mini_copy)])
    assert result.code == 0 and result.err == ""
    assert "expected class MLP; not found in nanochat/gpt.py" in result.out


@pytest.mark.parametrize("kind", ["directory", "missing", "outside-link"])
def test_unreadable_files(mini_copy, tmp_path, kind):
    flash = mini_copy / "nanochat" / "flash_attention.py"
    text = flash.read_text()
    flash.unlink()
    if kind == "directory":
        flash.mkdir()
    elif kind == "outside-link":
        outside = tmp_path / "elsewhere.py"
        outside.write_text(text)
        flash.symlink_to(outside)
    result = invoke(["check", "--repo", str(mini_copy)])
    assert result.code == 1 and "Traceback" not in result.err
    expected = {"directory": "nanochat/flash_attention.py: is a directory, expected a file",
                "missing": "nanochat/flash_attention.py: file not found",
                "outside-link": "nanochat/flash_attention.py: leads outside the repository"}
    assert result.err.splitlines()[0].startswith(f"nanochat-explain: {expected[kind]}")


def test_user_templates_get_the_same_validation(tmp_path):
    bad = (TEMPLATES / "mlp.yaml").read_text().replace("sources:\n  - nanochat/gpt.py",
                                                      "sources:\n  - ../../etc/passwd")
    (tmp_path / "mlp.yaml").write_text(bad)
    result = invoke(["check", "--repo", str(MINI), "--templates", str(tmp_path)])
    assert result.code == 2
    assert result.err.startswith("nanochat-explain: mlp.yaml:")
    assert "must be a relative path inside the repository" in result.err


def test_python_tag_in_a_user_template_is_rejected(tmp_path):
    (tmp_path / "mlp.yaml").write_text("module: !!python/object/apply:os.system [touch x]\n")
    result = invoke(["list", "--templates", str(tmp_path)])
    assert result.code == 2 and "is not allowed" in result.err
    assert not (tmp_path / "x").exists()


# -- fuzzing -----------------------------------------------------------------------

SOURCES = {p.name: p.read_text() for p in TEMPLATES.glob("*.yaml")}
GPT = (MINI / "nanochat" / "gpt.py").read_text()
NOISE = st.sampled_from([":", "-", " ", "\n", "  ", "{", "}", "[", "]", "!!", "&a", "*a", "'",
                         '"', "#", "|", ">", "\t", "x", "0", "1.5", "null", "é", "\x00"])


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        piece = draw(NOISE)
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "replace":
            text = text[:i] + piece + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


def _template_round(name: str, text: str) -> None:
    try:
        template = parse(text, name)
    except TemplateError as exc:
        assert str(exc).startswith(name), str(exc)
        assert "\n" not in str(exc)
        return
    for result in Session(locate(str(MINI))).check(template):
        assert result.status in set(Status)


def _source_round(tmp: Path, text: str) -> None:
    repo = tmp / "repo"
    if not repo.exists():
        shutil.copytree(MINI, repo)
    (repo / "nanochat" / "gpt.py").write_text(text, encoding="utf-8", errors="replace")
    session = Session(locate(str(repo)))
    for template in load_packaged().templates:
        for result in session.check(template):
            assert result.status in set(Status)
            assert "\n" not in result.detail
    for problem in session.problems():
        assert isinstance(problem, ExplainError) and "\n" not in str(problem)


FAST = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LONG = settings(max_examples=2000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FAST
@given(st.sampled_from(sorted(SOURCES)).flatmap(lambda n: st.tuples(st.just(n),
                                                                     mutated(SOURCES[n]))))
def test_fuzz_templates(case):
    _template_round(*case)


@settings(FAST, max_examples=40)
@given(mutated(GPT))
def test_fuzz_sources(tmp_path_factory, text):
    _source_round(tmp_path_factory.mktemp("fuzz"), text)


@pytest.mark.fuzz_long
@LONG
@given(st.sampled_from(sorted(SOURCES)).flatmap(lambda n: st.tuples(st.just(n),
                                                                     mutated(SOURCES[n]))))
def test_fuzz_templates_long(case):
    _template_round(*case)


@pytest.mark.fuzz_long
@LONG
@given(mutated(GPT))
def test_fuzz_sources_long(tmp_path_factory, text):
    _source_round(tmp_path_factory.mktemp("fuzz"), text)
