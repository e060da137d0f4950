"""Docs that stay true: all, docs --out / --check, and SVG."""

from __future__ import annotations

import re

from conftest import MINI, apply_drift, invoke, load_drifts
from nanochat_explain.commands.publish import DOCS_MARKER
from nanochat_explain.templates.packaged import load_packaged


def test_all_markdown_has_a_table_of_contents():
    out = invoke(["all", "--repo", str(MINI), "--format", "markdown"]).out
    from nanochat_explain.render.mdtext import inline

    toc = re.findall(r"^- \[(.+?)\]\(#([a-z0-9_-]+)\): ", out, re.M)
    titles = [t.title for t in load_packaged().templates]
    assert [title for title, _ in toc] == [inline(t) for t in titles]  # as Markdown
    for title, (shown, anchor) in zip(titles, toc, strict=True):
        assert f"\n## {shown}\n" in out
        assert anchor == re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")
    assert out.count("### Data flow") == len(titles)


def test_docs_write_then_check(tmp_path, mini_copy):
    out = tmp_path / "docs"
    result = invoke(["docs", "--repo", str(mini_copy), "--out", str(out)])
    assert result.code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{m}.md" for m in load_packaged().names()] + ["index.md"])
    assert all(p.read_text().startswith(DOCS_MARKER + "\n") for p in out.iterdir())
    again = invoke(["docs", "--repo", str(mini_copy), "--out", str(out), "--check"])
    assert again.code == 0 and again.out == ""
    # a value in the code changes: check goes red with a diff of what changed
    apply_drift(mini_copy, load_drifts()["rope-base"])
    red = invoke(["docs", "--repo", str(mini_copy), "--out", str(out), "--check"])
    assert red.code == 1
    assert "--- a/rotary.md\n+++ b/rotary.md\n" in red.out
    assert re.search(r"^-.*base = 100000", red.out, re.M)
    assert re.search(r"^\+.*base = 50000\b", red.out, re.M)
    assert "differ from the code" in red.err
    # --check wrote nothing; regenerating fixes it
    assert "base = 100000" in (out / "rotary.md").read_text()
    assert invoke(["docs", "--repo", str(mini_copy), "--out", str(out)]).code == 0
    assert invoke(["docs", "--repo", str(mini_copy), "--out", str(out), "--check"]).code == 0


def test_docs_do_not_name_the_path_or_commit(tmp_path):
    out = tmp_path / "docs"
    invoke(["docs", "--repo", str(MINI), "--out", str(out)])
    text = (out / "mlp.md").read_text()
    assert str(MINI) not in text and "the nanochat checkout (nanochat-mini)" in text


def test_docs_never_overwrite_a_user_file(tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "mlp.md").write_text("notes of my own\n")
    result = invoke(["docs", "--repo", str(MINI), "--out", str(out)])
    assert result.code == 2 and "--force" in result.err
    assert (out / "mlp.md").read_text() == "notes of my own\n"
    assert invoke(["docs", "--repo", str(MINI), "--out", str(out), "--force"]).code == 0


def test_missing_docs_folder_checks_red(tmp_path):
    result = invoke(["docs", "--repo", str(MINI), "--out", str(tmp_path / "none"), "--check"])
    assert result.code == 1 and "+++ b/index.md" in result.out


def test_svg_is_a_deterministic_picture():
    a = invoke(["mlp", "--repo", str(MINI), "--format", "svg"]).out
    b = invoke(["mlp", "--repo", str(MINI), "--format", "svg"]).out
    assert a == b and a.startswith("<svg") and a.rstrip().endswith("</svg>")
    assert "c_fc" in a


def test_docs_never_write_through_a_link(tmp_path):
    out, outside = tmp_path / "docs", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "mlp.md").symlink_to(outside / "target.md")
    result = invoke(["docs", "--repo", str(MINI), "--out", str(out), "--force"])
    assert result.code == 2 and "symbolic link" in result.err
    assert list(outside.iterdir()) == []
    linked = tmp_path / "linked"
    linked.symlink_to(outside, target_is_directory=True)
    assert invoke(["docs", "--repo", str(MINI), "--out", str(linked)]).code == 2
    assert list(outside.iterdir()) == []


def test_svg_loads_nothing_from_the_network_and_stays_small():
    import re
    import xml.dom.minidom

    one = invoke(["attention", "--repo", str(MINI), "--format", "svg"]).out
    everything = invoke(["all", "--repo", str(MINI), "--format", "svg"]).out
    for svg in (one, everything):
        xml.dom.minidom.parseString(svg.encode("utf-8"))  # well-formed
        assert "@font-face" not in svg and "url(" not in svg and "<image" not in svg
        assert re.findall(r'(?:href|src)="', svg) == []
        assert "monospace" in svg  # the reader's own fonts
    assert len(everything.encode("utf-8")) < 1_000_000  # rich's own export was 3 MB here
    # as wide as the widest diagram: no diagram line is cut in the picture
    width = int(re.search(r'width="(\d+)"', one).group(1))
    from nanochat_explain.commands import app
    from nanochat_explain.render.svg import CHAR_WIDTH, PAD

    diagram = app.explain("attention", str(MINI)).explanation.diagram
    assert width >= max(len(x) for x in diagram.split("\n")) * CHAR_WIDTH + 2 * PAD
    assert "›" not in one
