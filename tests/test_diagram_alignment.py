"""Every diagram, as filled from the code and at every --depth from 2 to 32 (numeric
shapes), keeps its drawing whole: each box is a rectangle whose corners and edges line
up, and every arrow and connector meets something above and below it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES, MINI
from nanochat_explain.commands import app
from nanochat_explain.commands.app import numeric_shapes
from nanochat_explain.depth.phases import evaluate_depth
from nanochat_explain.templates.packaged import load_packaged

DEPTHS = range(2, 33)
MODULES = load_packaged().names()

TOP, BOTTOM = "─┬┴┼", "─┬┴┼"
SIDE = "│├┤┼"
DRAWING = set("─│┌┐└┘├┤┬┴┼▼▲◀▶")
# what must meet something right above it, and right below it
NEEDS_ABOVE = set("│├┤┼┘└┴")
NEEDS_BELOW = set("│├┤┼┐┌┬▼")


def problems(diagram: str) -> list[str]:
    """Where the drawing is broken, as ``line:column: what``; empty when it is whole."""
    grid = diagram.split("\n")

    def at(r: int, c: int) -> str:
        return grid[r][c] if 0 <= r < len(grid) and 0 <= c < len(grid[r]) else " "

    def meets(r: int, c: int, step: int) -> bool:
        """Going up (-1) or down (+1) from (r, c) past rows with nothing near column c,
        the first row with something near it has a stroke in column c itself, or text
        (a label the arrow points at): not only strokes beside the column, which is an
        arrow missing its box."""
        y = r + step
        while 0 <= y < len(grid):
            if at(y, c) != " ":
                return True
            near = "".join(at(y, x) for x in range(c - 2, c + 3)).strip()
            if near:
                return any(ch not in DRAWING for ch in near)
            y += step
        return False

    found: list[str] = []
    for r, row in enumerate(grid):
        for c, ch in enumerate(row):
            if ch in NEEDS_ABOVE and not meets(r, c, -1):
                found.append(f"{r + 1}:{c + 1}: {ch} meets nothing above it")
            if ch in NEEDS_BELOW and not meets(r, c, 1):
                found.append(f"{r + 1}:{c + 1}: {ch} meets nothing below it")
            if ch == "┌":
                found += _box(at, r, c)
    return found


def _box(at, r: int, c: int) -> list[str]:
    """The box whose top-left corner is at (r, c), when it is one: its four sides must
    meet in four corners."""
    c1 = c + 1
    while at(r, c1) in TOP:
        c1 += 1
    r1 = r + 1
    while at(r1, c) in SIDE:
        r1 += 1
    if at(r, c1) != "┐" or at(r1, c) != "└":
        return []  # a corner of a connector, not a box
    where = f"{r + 1}:{c + 1}: box"
    broken = []
    if any(at(r1, x) not in BOTTOM for x in range(c + 1, c1)) or at(r1, c1) != "┘":
        broken.append(f"{where}: its bottom edge does not end under its top-right corner")
    if any(at(y, c1) not in SIDE for y in range(r + 1, r1)):
        broken.append(f"{where}: its right edge is not straight")
    return broken


def test_the_checker_finds_what_the_issue_reported():
    whole = "  x\n  │\n  ▼\n┌───┐\n│ a │\n└───┘\n  │\n  ▼\n  out"
    assert problems(whole) == []
    beside = "      x\n      │\n      ▼\n┌───┐\n│ a │\n└───┘\n      │\n      ▼\n  out"
    assert problems(beside) == ["3:7: ▼ meets nothing below it",
                                "7:7: │ meets nothing above it"]
    shifted = "┌───┐\n│ a │\n│ bb  │\n└───┘\n"
    assert "3:5: box" not in " ".join(problems(shifted))
    assert any("right edge" in p for p in problems(shifted))


@pytest.fixture(scope="module")
def diagrams() -> dict[str, str]:
    return {m: app.explain(m, str(MINI)).explanation.diagram for m in MODULES}


@pytest.fixture(scope="module")
def configs() -> dict[int, dict]:
    mini = FIXTURES / "depth-mini"
    gpt = (mini / "nanochat" / "gpt.py").read_text(encoding="utf-8")
    train = (mini / "scripts" / "base_train.py").read_text(encoding="utf-8")
    return {d: evaluate_depth(gpt, train, d).config for d in DEPTHS}


@pytest.mark.parametrize("module", MODULES)
def test_diagram_is_whole_as_filled(module, diagrams):
    assert problems(diagrams[module]) == []


@pytest.mark.parametrize("module", MODULES)
def test_diagram_is_whole_at_every_depth(module, diagrams, configs):
    for depth, config in configs.items():
        shaped = numeric_shapes(diagrams[module], config)
        assert problems(shaped) == [], f"--depth {depth}"
        # every vertical stroke stays in its column, left and right of the shapes
        assert _strokes(shaped) == _strokes(diagrams[module]), f"--depth {depth}"


VERTICAL = set("│┌┐└┘├┤┬┴┼▼▲")


def _strokes(diagram: str) -> list[list[tuple[int, str]]]:
    """The columns of what is drawn up and down; a horizontal arrow inside a line of text
    (``[B, T, H, hd] ──▶ [B, H, T, hd]``) may move with the text."""
    return [[(c, ch) for c, ch in enumerate(line) if ch in VERTICAL]
            for line in diagram.split("\n")]


def test_numeric_shapes_keep_the_columns_right_of_them():
    drawn = "  │ [B,T,n_head,hd]    │ [B,T,n_kv_head,hd] │ [B,T,n_kv_head,hd]\n  │ x"
    shaped = numeric_shapes(drawn, {"n_head": 10, "n_kv_head": 10, "head_dim": 128})
    assert shaped.split("\n")[0] == (
        "  │ [B,T,10,128]       │ [B,T,10,128]       │ [B,T,10,128]")
    longer = numeric_shapes("[B, T, hd]   │", {"head_dim": 1234567})
    assert longer == "[B, T, 1234567] │"  # took two of the three spaces, kept one


@pytest.mark.skipif(not os.environ.get("NANOCHAT_DIR"), reason="needs NANOCHAT_DIR")
def test_real_nanochat_diagrams_at_every_depth():
    repo = Path(os.environ["NANOCHAT_DIR"])
    gpt = (repo / "nanochat" / "gpt.py").read_text(encoding="utf-8")
    train = (repo / "scripts" / "base_train.py").read_text(encoding="utf-8")
    configs = {d: evaluate_depth(gpt, train, d).config for d in DEPTHS}
    for module in MODULES:
        diagram = app.explain(module, str(repo)).explanation.diagram
        assert problems(diagram) == [], module
        for depth, config in configs.items():
            shaped = numeric_shapes(diagram, config)
            assert problems(shaped) == [], (module, depth)
            assert _strokes(shaped) == _strokes(diagram), (module, depth)
