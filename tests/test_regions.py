"""docs --update FILE...: explanation regions in the user's own markdown, kept true."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import FIXTURES, MINI, apply_drift, invoke, load_drifts
from nanochat_explain.commands.regions import GITHUB, link_locations, parse

BEFORE = "# Our model\n\nProse of our own, kept byte for byte.\n\n"
EXAMPLE = "```markdown\n<!-- nanochat-explain: mlp -->\nan example, not a region\n```\n\n"
AFTER = "\nMore prose.\n<!-- a comment of our own -->\n"


def region(args: str, inside: str = "stale text\n") -> str:
    return f"<!-- nanochat-explain: {args} -->\n{inside}<!-- /nanochat-explain -->\n"


def update(*args: str) -> tuple[int, str, str]:
    result = invoke(["docs", "--update", *args])
    return result.code, result.out, result.err


def git(repo, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def checkout(mini_copy):
    git(mini_copy, "init", "-q")
    git(mini_copy, "add", ".")
    git(mini_copy, "commit", "-qm", "one")
    return mini_copy


def test_update_fills_regions_and_leaves_the_rest_alone(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text(BEFORE + EXAMPLE + region("mlp") + "\nBetween.\n\n" + region("rope") + AFTER)
    code, _, err = update(str(doc), "--repo", str(MINI))
    assert code == 0 and f"updated {doc} (2 regions)" in err
    text = doc.read_text()
    assert text.startswith(BEFORE + EXAMPLE + "<!-- nanochat-explain: mlp -->\n\n# MLP")
    assert text.endswith("\n<!-- /nanochat-explain -->\n" + AFTER)
    assert "stale text" not in text and "an example, not a region" in text
    middle = text[text.index("\nBetween.\n"):]
    assert middle.startswith("\nBetween.\n\n<!-- nanochat-explain: rope -->\n\n# Rotary")
    mlp = invoke(["mlp", "--repo", str(MINI), "--format", "markdown"]).out
    assert mlp.split("\n", 3)[3] in text  # the explanation itself
    again_code, _, again_err = update(str(doc), "--repo", str(MINI))
    assert again_code == 0 and f"unchanged: {doc} (2 regions)" in again_err


def test_check_is_red_with_a_diff_when_the_code_moved(tmp_path, mini_copy):
    doc = tmp_path / "notes.md"
    doc.write_text(BEFORE + region("rotary") + AFTER)
    code, out, _ = update(str(doc), "--repo", str(mini_copy), "--check")
    assert code == 1 and "-stale text" in out  # never filled: stale
    assert "stale text" in doc.read_text()  # --check writes nothing
    assert update(str(doc), "--repo", str(mini_copy))[0] == 0
    assert update(str(doc), "--repo", str(mini_copy), "--check")[0] == 0
    apply_drift(mini_copy, load_drifts()["rope-base"])
    code, out, err = update(str(doc), "--repo", str(mini_copy), "--check")
    assert code == 1
    assert f"--- a/{doc}\n+++ b/{doc}\n" in out
    assert re.search(r"^-.*100000", out, re.M) and re.search(r"^\+.*\b50000\b", out, re.M)
    assert "docs --update" in err


def test_line_endings_of_the_file_are_kept(tmp_path):
    doc = tmp_path / "crlf.md"
    original = (BEFORE + region("mlp") + AFTER).replace("\n", "\r\n")
    doc.write_bytes(original.encode())
    assert update(str(doc), "--repo", str(MINI))[0] == 0
    data = doc.read_bytes()
    assert data.startswith(BEFORE.replace("\n", "\r\n").encode())
    assert data.endswith(AFTER.replace("\n", "\r\n").encode())
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_region_options_depth_and_ref(tmp_path, checkout):
    apply_drift(checkout, load_drifts()["rope-base"])  # the work tree moves; HEAD does not
    doc = tmp_path / "notes.md"
    doc.write_text(region("rotary --ref HEAD") + region("rotary"))
    assert update(str(doc), "--repo", str(checkout))[0] == 0
    at_head, work_tree = doc.read_text().split("<!-- /nanochat-explain -->", 1)
    assert "(nanochat-mini) at HEAD" in at_head and "base = 100000" in at_head
    assert "base = 50000\n" in work_tree or "base = 50000 " in work_tree
    deep = tmp_path / "deep.md"
    deep.write_text(region("gpt --depth 4"))
    assert update(str(deep), "--repo", str(FIXTURES / "depth-mini"))[0] == 0
    assert "## The model at --depth 4 (evaluated from the code)" in deep.read_text()


def locations(repo, module):
    data = json.loads(invoke([module, "--repo", str(repo), "--format", "json"]).out)
    return {f"{c['file']}:{c['line']}" for c in data["claims"] if c["line"]}


@pytest.mark.parametrize("url", ["https://github.com/karpathy/nanochat.git",
                                 "git@github.com:karpathy/nanochat.git",
                                 "ssh://git@github.com/karpathy/nanochat"])
def test_locations_link_to_the_commit_on_github(tmp_path, checkout, url):
    git(checkout, "remote", "add", "origin", url)
    sha = git(checkout, "rev-parse", "HEAD")
    doc = tmp_path / "notes.md"
    doc.write_text(region("mlp"))
    assert update(str(doc), "--repo", str(checkout))[0] == 0
    text = doc.read_text()
    links = re.findall(r"\[`([^`]+):(\d+)`\]\(([^)]+)\)", text)
    assert links
    expected = locations(checkout, "mlp")
    for path, line, target in links:
        assert f"{path}:{line}" in expected  # the line the check found
        assert target == f"https://github.com/karpathy/nanochat/blob/{sha}/{path}#L{line}"
    assert "```text\n" in text and "](" not in text.split("```text\n")[1].split("```")[0]
    assert len(links) == len(re.findall(r"`nanochat/[a-z_/]+\.py:\d+`", text))
    # a region at another revision links to that revision's commit
    gpt = checkout / "nanochat" / "gpt.py"
    gpt.write_text("# moved down a line\n" + gpt.read_text())
    git(checkout, "commit", "-qam", "two")
    doc.write_text(region("mlp --ref HEAD~1") + region("mlp"))
    assert update(str(doc), "--repo", str(checkout))[0] == 0
    old, new = doc.read_text().split("<!-- /nanochat-explain -->", 1)
    head = git(checkout, "rev-parse", "HEAD")
    assert f"/blob/{sha}/nanochat/gpt.py#L" in old and f"/blob/{head}/" not in old
    assert f"/blob/{head}/nanochat/gpt.py#L" in new and f"/blob/{sha}/" not in new


def test_no_links_without_a_github_remote_and_link_base_overrides(tmp_path, checkout):
    doc = tmp_path / "notes.md"
    doc.write_text(region("mlp"))
    assert update(str(doc), "--repo", str(checkout))[0] == 0
    assert "[`nanochat" not in doc.read_text() and "`nanochat/gpt.py:" in doc.read_text()
    git(checkout, "remote", "add", "origin", "https://gitlab.com/someone/nanochat.git")
    assert update(str(doc), "--repo", str(checkout), "--check")[0] == 0  # still no links
    base = "https://example.org/nanochat/src/abc"
    assert update(str(doc), "--repo", str(checkout), "--link-base", base + "/")[0] == 0
    assert re.search(r"\]\(https://example\.org/nanochat/src/abc/nanochat/gpt\.py#L\d+\)",
                     doc.read_text())


def test_github_remote_forms():
    ok = ["https://github.com/a/b", "https://github.com/a/b.git", "git@github.com:a-b/c.d.git",
          "ssh://git@github.com/a/b.git", "https://www.github.com/a/b/"]
    bad = ["https://gitlab.com/a/b", "https://github.com.evil.org/a/b", "/work/mirror/b",
           "https://github.com/a"]
    assert all(GITHUB.match(u) for u in ok)
    assert not any(GITHUB.match(u) for u in bad)
    assert link_locations("`a.py:3`, `a.py`\n```\n`a.py:4`\n```\n`b/c.py:5`", "B") == (
        "[`a.py:3`](B/a.py#L3), `a.py`\n```\n`a.py:4`\n```\n[`b/c.py:5`](B/b/c.py#L5)")


@pytest.mark.parametrize(("text", "line", "message"), [
    (region("mlp").replace("<!-- /nanochat-explain -->\n", ""), 1, "not closed"),
    ("x\n" + region("mlp", inside=region("rope")), 3, "opens inside"),
    ("x\n\n<!-- /nanochat-explain -->\n", 3, "closes no region"),
    (region("mlp --depth"), 1, "needs a value"),
    (region("mlp --depth 0"), 1, "between 1 and 1024"),
    (region("mlp --width 3"), 1, "unknown region option"),
    (region("--depth 3"), 1, "names a module"),
    ("\n" + region("atention"), 2, "did you mean attention"),
])
def test_bad_regions_are_one_line_errors_naming_file_and_line(tmp_path, text, line, message):
    doc = tmp_path / "notes.md"
    doc.write_text(text)
    code, out, err = update(str(doc), "--repo", str(MINI))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and f"{doc}:{line}: " in err and message in err
    assert doc.read_text() == text


def test_nothing_is_written_when_any_file_is_bad(tmp_path):
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text(region("mlp"))
    bad.write_text(region("nope"))
    assert update(str(good), str(bad), "--repo", str(MINI))[0] == 2
    assert good.read_text() == region("mlp")
    plain = tmp_path / "plain.md"
    plain.write_text("no regions here\n")
    code, _, err = update(str(plain), "--repo", str(MINI))
    assert code == 2 and "no <!-- nanochat-explain: MODULE --> regions" in err
    assert update(str(tmp_path / "missing.md"), "--repo", str(MINI))[0] == 2


def test_update_never_writes_through_a_link(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text(region("mlp"))
    link = tmp_path / "link.md"
    link.symlink_to(outside)
    code, _, err = update(str(link), "--repo", str(MINI))
    assert code == 2 and "symbolic link" in err
    assert outside.read_text() == region("mlp")


@pytest.mark.parametrize("args", [[], ["x.md"], ["--out", "d", "--update", "x.md"],
                                  ["--update"], ["--out", "d", "--link-base", "u"]])
def test_docs_takes_out_or_update(tmp_path, args):
    assert invoke(["docs", *args]).code == 2


def test_markers_in_fences_are_not_regions():
    text = "~~~\n<!-- nanochat-explain: mlp -->\n~~~\n" + region("rope") + "````\n" + region(
        "mlp") + "````\n"
    assert [(r.module, r.line) for r in parse(text, "t.md")] == [("rope", 4)]
