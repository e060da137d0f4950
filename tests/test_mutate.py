"""The mutation harness (bench/mutate.py), small, over the fixture tree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import MINI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import mutate


def test_mutations_of_a_statement():
    text = "def f(self, x):\n    y = x + 1\n    y += 2\n    if y > 3:\n        y = y * 2\n" \
           "    else:\n        y = 0\n    return F.relu(y)\n"
    found = {(m.line, m.what) for m in mutate.mutations_of(text, "f.py", {2, 3, 4, 8})}
    assert (2, "operator + -> -") in found
    assert (2, "constant 1 -> 2") in found
    assert (3, "+= -> =") in found
    assert (4, "test negated") in found and (4, "if/else bodies swapped") in found
    assert (8, "call relu -> gelu") in found
    assert (2, "statement deleted") in found and (2, "reordered with the next statement") in found
    swapped = next(m for m in mutate.mutations_of(text, "f.py", {4})
                   if m.what == "if/else bodies swapped")
    assert "if y > 3:\n        y = 0\n    else:\n        y = y * 2\n" in swapped.text
    for m in mutate.mutations_of(text, "f.py", {2, 3, 4, 8}):
        compile(m.text, "f.py", "exec")  # every mutant still parses


def test_harness_kills_what_the_rotary_claims_check(capsys):
    from nanochat_explain.commands.app import catalog

    cat = catalog(None, cache=False)
    rotary = next(t for t in cat.templates if t.module == "rotary")
    outcome = mutate.run_module(MINI, rotary, cat.mentioned, 0, [])
    assert outcome.tried >= 20 and outcome.killed > 0
    survived = {(s["statement"], s["mutation"]) for s in outcome.survivors}
    # the base and the rotation's signs are claimed: changing them is caught
    assert not any("base" in stmt and "constant" in what for stmt, what in survived)
    assert not any(stmt.startswith("y1 =") and "operator" in what for stmt, what in survived)
    # the JSON of the command line
    code = mutate.main(["--repo", str(MINI), "--module", "rotary", "--max", "25",
                        "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["modules"]["rotary"]["tried"] == 25
    assert code in (0, 1)


def test_an_allowed_survivor_counts_as_equivalent():
    from nanochat_explain.commands.app import catalog

    cat = catalog(None, cache=False)
    rotary = next(t for t in cat.templates if t.module == "rotary")
    first = mutate.run_module(MINI, rotary, cat.mentioned, 0, [])
    assert first.survivors, "the fixture's rotary has survivors to allow"
    s = first.survivors[0]
    allow = [{"module": "rotary", "file": s["file"], "line_text": s["statement"],
              "mutation": s["mutation"], "why": "test"}]
    second = mutate.run_module(MINI, rotary, cat.mentioned, 0, allow)
    assert second.equivalent == 1 and len(second.survivors) == len(first.survivors) - 1
