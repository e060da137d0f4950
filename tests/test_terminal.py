"""The default format as a person meets it: every module in a real pseudo-terminal at 60,
80, 100 and 120 columns. No line is wider than the terminal (so the terminal wraps
nothing), no diagram line is wrapped (a diagram too wide is cut at the edge with a marker,
and the width it needs is said), and no ``file:line`` is cut."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from rich.cells import cell_len

from conftest import FIXTURES, MINI
from nanochat_explain.commands import app
from nanochat_explain.explanation import Explanation
from nanochat_explain.render.terminal import CUT_MARKER, DIAGRAM_INDENT, STACK_BELOW
from nanochat_explain.templates.packaged import load_packaged
from ptyterm import Screen, run_in_pty

MODULES = load_packaged().names()
WIDTHS = (60, 80, 100, 120)


def _locations(exp: Explanation) -> dict[str, int]:
    """How many times each ``file:line`` must be shown, at least."""
    counts: dict[str, int] = {}
    checks = [*(c for _, c in exp.boxes), *(c for *_, c in exp.breakdown),
              *(c for *_, c in exp.comparisons), *(c for *_, c in exp.notes)]
    for check in checks:
        if check.location:
            counts[check.location] = counts.get(check.location, 0) + 1
    return counts


def _diagram_start(lines: list[str], expected: list[str]) -> int:
    first = " " * DIAGRAM_INDENT + expected[0]
    for i, line in enumerate(lines):
        if line.rstrip() == first.rstrip() or (
                line.endswith(CUT_MARKER) and first.startswith(line[:-1])):
            return i
    raise AssertionError(f"the diagram's first line is not on the screen: {expected[0]!r}")


def assert_fits(screen: Screen, exp: Explanation, columns: int) -> None:
    assert screen.code == 0, screen.err
    too_wide = [line for line in screen.lines if cell_len(line) > columns]
    assert not too_wide, f"{len(too_wide)} lines wider than {columns} columns: {too_wide[:2]}"

    expected = [line.rstrip() for line in exp.diagram.rstrip("\n").split("\n")]
    room = columns - DIAGRAM_INDENT
    needs = max(len(line) for line in expected)
    start = _diagram_start(screen.lines, expected)
    for j, want in enumerate(expected):
        shown = screen.lines[start + j].rstrip()
        if len(want) <= room:
            assert shown == (" " * DIAGRAM_INDENT + want).rstrip(), (j, shown, want)
        else:  # cut at the edge, marked, and every column left of the cut kept
            assert shown == " " * DIAGRAM_INDENT + want[: room - 1] + CUT_MARKER, (j, shown)
    note = f"The diagram is {needs} columns wide and this terminal has {columns}"
    text = "\n".join(screen.lines)
    flat = " ".join(text.split())
    assert (note in flat) == (needs > room)
    if needs > room:
        assert f"Widen the terminal to {needs + DIAGRAM_INDENT} columns" in flat

    for location, n in _locations(exp).items():
        found = len(re.findall(re.escape(location) + r"(?![\d.])", text))
        assert found >= n, f"{location} shown {found} times, expected {n} (cut?)"


@pytest.fixture(scope="module")
def explanations() -> dict[str, Explanation]:
    return {m: app.explain(m, str(MINI)).explanation for m in MODULES}


@pytest.mark.parametrize("module", MODULES)
def test_every_module_fits_a_real_terminal(module, explanations):
    def show(columns: int) -> Screen:
        return run_in_pty([module, "--repo", "nanochat-mini"], columns, cwd=FIXTURES)

    with ThreadPoolExecutor(2) as pool:
        screens = dict(zip(WIDTHS, pool.map(show, WIDTHS), strict=True))
    for columns, screen in screens.items():
        assert_fits(screen, explanations[module], columns)
    # below STACK_BELOW the components are a list; from it on, a table
    assert ("┃ Component / where" in "\n".join(screens[120].lines))
    assert ("┃ Component / where" not in "\n".join(screens[80].lines))
    assert 80 < STACK_BELOW <= 100


def test_the_explanation_at_80_columns_uses_the_whole_width_for_text(explanations):
    screen = run_in_pty(["attention", "--repo", "nanochat-mini"], 80, cwd=FIXTURES)
    assert_fits(screen, explanations["attention"], 80)
    # the components' prose is not squeezed into a narrow column
    body = [line for line in screen.lines if line.startswith("      ")]
    assert max(len(line.rstrip()) for line in body) > 70


@pytest.mark.parametrize("columns", WIDTHS)
def test_list_and_check_fit(columns):
    listed = run_in_pty(["list"], columns)
    assert listed.code == 0 and all(cell_len(line) <= columns for line in listed.lines)
    text = " ".join(" ".join(listed.lines).split())
    for t in load_packaged().templates:
        for alias in t.aliases:
            assert alias in text, f"alias {alias} of {t.module} is not shown"
    checked = run_in_pty(["check", "--repo", "nanochat-mini"], columns, cwd=FIXTURES)
    assert checked.code == 0 and all(cell_len(line) <= columns for line in checked.lines)
    assert any(line.startswith("1") and "pass, 0 fail, 0 error" in line
               for line in checked.lines)


def test_list_has_an_aliases_column_in_a_wide_terminal():
    listed = run_in_pty(["list"], 160)
    header = next(line for line in listed.lines if "Module" in line)
    assert "Aliases" in header


def test_a_failing_claim_keeps_its_location_at_60_columns(mini_copy):
    from conftest import apply_drift, load_drifts

    apply_drift(mini_copy, load_drifts()["tanh"])
    screen = run_in_pty(["mlp", "--repo", str(mini_copy)], 60)
    exp = app.explain("mlp", str(mini_copy)).explanation
    assert_fits(screen, exp, 60)
    text = "\n".join(screen.lines)
    assert text.count("nanochat/gpt.py:94:") >= 3  # each CHANGED line names it whole


@pytest.mark.parametrize("columns", [60, 80])
def test_the_concrete_model_at_a_depth_fits(columns):
    depth_mini = FIXTURES / "depth-mini"
    screen = run_in_pty(["gpt", "--repo", str(depth_mini), "--depth", "20"], columns)
    exp = app.explain("gpt", str(depth_mini), depth=20).explanation
    assert exp.depth is not None
    assert_fits(screen, exp, columns)
    assert any("window per layer" in line and "×" in line for line in screen.lines)
