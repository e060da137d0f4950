"""The positions read from libcst's code generator (cstpos, which uses libcst internals)
equal libcst's public PositionProvider for every node they give, on every fixture file
and (opt-in, NANOCHAT_DIR) on every ``.py`` file of a real checkout."""

from __future__ import annotations

import os
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from conftest import FIXTURES
from nanochat_explain.facts.positions import Positions

PY_FIXTURES = sorted(FIXTURES.rglob("*.py"))


def mismatches(text: str) -> tuple[int, list[str]]:
    module = cst.parse_module(text)
    ours = Positions(module, text).all_spans()
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    wrong = []
    for node, (start, end) in ours.items():
        public = theirs[node]
        if (start, end) != ((public.start.line, public.start.column),
                            (public.end.line, public.end.column)):
            wrong.append(f"{type(node).__name__}: {start}-{end} vs {public}")
    return len(ours), wrong


@pytest.mark.parametrize("path", PY_FIXTURES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_positions_equal_position_provider(path: Path) -> None:
    count, wrong = mismatches(path.read_text(encoding="utf-8"))
    assert count > 0 or not path.read_text(encoding="utf-8").strip()
    assert wrong == []


def test_comment_offsets_point_at_comments() -> None:
    text = "x = f(1,  # one\n      2)\n# own line\ny = 2  # two\n"
    positions = Positions(cst.parse_module(text), text)
    assert [text[o:o + len(c.value)] for c, o in positions.comments] == [
        "# one", "# own line", "# two"]


REAL = os.environ.get("NANOCHAT_DIR")


@pytest.mark.nanochat
@pytest.mark.skipif(not REAL or not (Path(REAL) / "nanochat").is_dir(),
                    reason="set NANOCHAT_DIR to a nanochat checkout to run this")
def test_positions_on_a_real_checkout() -> None:
    assert REAL is not None
    files = sorted(p for p in Path(REAL).rglob("*.py") if ".git" not in p.parts)
    assert files
    for path in files:
        _, wrong = mismatches(path.read_text(encoding="utf-8"))
        assert wrong == [], path
