"""The Markdown output as GitHub renders it (cmark-gfm, GitHub's own renderer): no
emphasis, strikethrough, link or swallowed HTML the tool did not mean, identifiers such as
``model_<step>.pt`` and ``__init__`` shown as written, short table cells, and claims said
in words rather than in the templates' notation."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from conftest import MINI, apply_drift, invoke, load_drifts
from nanochat_explain.commands import app
from nanochat_explain.render.mdtext import inline
from nanochat_explain.templates.packaged import load_packaged

cmarkgfm = pytest.importorskip("cmarkgfm", reason="pip install cmarkgfm (in the test extra)")

MODULES = load_packaged().names()
MAX_CELL = 400  # characters of Markdown in one table cell


class _Marks(HTMLParser):
    """The text of every element that changes how text looks or where it leads."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.found: list[tuple[str, str, str]] = []  # (tag, href, text)
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("em", "strong", "del", "a"):
            self.open.append((tag, dict(attrs), []))

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            name, attrs, parts = self.open.pop()
            self.found.append((name, attrs.get("href") or "", "".join(parts)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, _, parts in self.open:
            parts.append(data)


def render(markdown: str) -> tuple[str, _Marks]:
    page = cmarkgfm.github_flavored_markdown_to_html(markdown)
    marks = _Marks()
    marks.feed(page)
    return page, marks


MEANT_STRONG = re.compile(r"(✗ |DRIFT: |No longer true:|Unchecked:|\d+ claims do not hold)")
MEANT_EM = re.compile(r"(checked against |Shapes stay symbolic|\(?form: )")
MEANT_LINK = re.compile(r"(https://arxiv\.org/abs/[\d.]+|#[a-z0-9_-]+|[a-z]+\.md)$")


def assert_renders_as_meant(markdown: str) -> str:
    """The page's text; fails on anything the renderer did not mean."""
    page, marks = render(markdown)
    assert "raw HTML omitted" not in page and "<!--" not in page, "text swallowed as HTML"
    for tag, href, text in marks.found:
        if tag == "del":
            pytest.fail(f"strikethrough nobody asked for: {text!r}")
        if tag == "strong":
            assert MEANT_STRONG.match(text), f"bold nobody asked for: {text!r}"
        if tag == "em":
            assert MEANT_EM.match(text), f"italics nobody asked for: {text!r}"
        if tag == "a":
            assert MEANT_LINK.match(href) or href == text, f"a link nobody made: {href!r}"
    for line in markdown.split("\n"):
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert max(len(c) for c in cells) <= MAX_CELL, f"a cell of {max(map(len, cells))}"
    return " ".join("".join(marks.text).split())  # entities are decoded by the parser


def _codeish(text: str) -> list[str]:
    """The words of template prose that Markdown could mangle: underscores, angle and
    square brackets, stars and tildes."""
    words = []
    for word in text.split():
        word = word.rstrip(".,;:")
        if word.startswith("(") and word.count("(") > word.count(")"):
            word = word[1:]
        if word.endswith(")") and word.count(")") > word.count("("):
            word = word[:-1]
        if re.search(r"[_<>\[\]*~]", word):
            words.append(word)
    return words


@pytest.mark.parametrize("module", MODULES)
def test_module_markdown_renders_as_meant(module):
    exp = app.explain(module, str(MINI)).explanation
    markdown = invoke([module, "--repo", str(MINI), "--format", "markdown"]).out
    shown = assert_renders_as_meant(markdown)
    prose = [exp.template.summary, *(w for _, w, y, _ in exp.breakdown for w in (w, y)),
             *(t for _, t, _ in exp.notes), *(t for _, t, _ in exp.comparisons),
             *(o for row, _, _ in exp.comparisons for _, o in row.others),
             *(p.backs for p in exp.template.papers)]
    for text in prose:
        for word in _codeish(text):
            assert word in shown, f"{word!r} does not survive Markdown"
    assert "~/" not in markdown  # the absent claims' notation, said in words instead


def test_the_reported_cases_survive():
    cases = {
        "CausalSelfAttention.__init__": "CausalSelfAttention.__init__",
        "self._adamw_step_t.fill_(…) resets it": "self._adamw_step_t.fill_(…) resets it",
        "model_<step>.pt and d<N>": "model_<step>.pt and d<N>",
        "Llama's <s> … </s>": "Llama's <s> … </s>",
        "the <<expr>> tool": "the <<expr>> tool",
        "self.value_embeds[str(i)](idx)": "self.value_embeds[str(i)](idx)",
        "x ~~y~~ *z* _w_ [a](b) <b>c</b> &amp; #1": "x ~~y~~ *z* _w_ [a](b) <b>c</b> &amp; #1",
    }
    for text, expected in cases.items():
        assert assert_renders_as_meant(inline(text)) == expected


def test_drifted_markdown_marks_what_no_longer_holds(mini_copy):
    apply_drift(mini_copy, load_drifts()["rope-base"])
    markdown = invoke(["rotary", "--repo", str(mini_copy), "--format", "markdown"]).out
    assert_renders_as_meant(markdown)
    _, marks = render(markdown)
    strong = [text for tag, _, text in marks.found if tag == "strong"]
    assert "No longer true:" in strong
    assert any(s.startswith("✗ no longer holds: [rope-base]") for s in strong)
    shown = assert_renders_as_meant(markdown)
    assert "✗ CHANGED [rope-base] nanochat/gpt.py:" in shown  # the drift list at the top


@pytest.mark.parametrize("args", [
    ["all", "--repo", str(MINI), "--format", "markdown"],
    ["check", "--repo", str(MINI), "--format", "markdown"],
    ["list", "--format", "markdown"],
    ["coverage", "--repo", str(MINI), "--format", "markdown"],
])
def test_other_markdown_renders_as_meant(args):
    result = invoke(args)
    assert result.code == 0
    assert_renders_as_meant(result.out)


def _page(path) -> str:
    """A docs page without its first line, the HTML comment saying it is generated."""
    from nanochat_explain.commands.publish import DOCS_MARKER

    text = path.read_text(encoding="utf-8")
    assert text.startswith(DOCS_MARKER + "\n")
    return text[len(DOCS_MARKER) + 1:]


def test_docs_render_as_meant(tmp_path):
    out = tmp_path / "docs"
    assert invoke(["docs", "--repo", str(MINI), "--out", str(out)]).code == 0
    shown = assert_renders_as_meant(_page(out / "index.md"))
    assert "model_<step>.pt, meta_<step>.json and one optim_<step>_rank<r>.pt" in shown
    assert "the largest d<N> tag" in shown
    for page in sorted(out.glob("*.md")):
        assert_renders_as_meant(_page(page))
