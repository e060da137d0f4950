"""Line numbers come from the parse: shifting the file shifts every reported line."""

from __future__ import annotations

import json

from conftest import invoke


def claims_by_id(repo) -> dict[tuple[str, str], dict]:
    data = json.loads(invoke(["check", "--repo", str(repo), "--format", "json"]).out)
    return {(m["module"], c["id"]): c for m in data["modules"] for c in m["claims"]}


def test_blank_lines_shift_every_line(mini_copy):
    before = claims_by_id(mini_copy)
    gpt = mini_copy / "nanochat" / "gpt.py"
    gpt.write_text("\n" * 7 + gpt.read_text(encoding="utf-8"), encoding="utf-8")
    after = claims_by_id(mini_copy)
    assert before.keys() == after.keys()
    for key, claim in before.items():
        assert after[key]["status"] == "pass"
        if claim["line"] is None:  # a search of the whole file has no one line
            assert after[key]["line"] is None, key
        elif claim["file"] == "nanochat/gpt.py":
            assert after[key]["line"] == claim["line"] + 7, key
        else:
            assert after[key]["line"] == claim["line"], key


def test_reported_line_holds_what_the_claim_names(mini_copy):
    """Spot-check that a line points at the right source text."""
    lines = (mini_copy / "nanochat" / "gpt.py").read_text(encoding="utf-8").splitlines()
    claims = claims_by_id(mini_copy)
    assert "base=100000" in lines[claims[("rotary", "rope-base")]["line"] - 1]
    assert "self.c_fc = Linear(" in lines[claims[("mlp", "mlp-c-fc")]["line"] - 1]
    assert "F.relu(x).square()" in lines[claims[("mlp", "mlp-square")]["line"] - 1]
    assert "class MLP(" in lines[claims[("mlp", "mlp-class")]["line"] - 1]


def test_a_component_points_inside_the_symbol_it_names():
    from conftest import MINI
    from nanochat_explain.core import Session
    from nanochat_explain.source.locate import locate
    from nanochat_explain.templates.packaged import load_packaged

    session = Session(locate(str(MINI)))
    checked = 0
    for template in load_packaged().templates:
        for item, _, _, check in session.explain(template).breakdown:
            files = [r.file for r in check.results]
            owner = next((f for f in files if not isinstance(session.facts(f), Exception)
                          and session.facts(f).symbol(item.symbol)), None)
            if owner is None:
                continue
            sym = session.facts(owner).symbol(item.symbol)
            file, _, line = check.location.rpartition(":")
            assert file == owner and sym.line <= int(line) <= sym.end_line, \
                (template.module, item.name, check.location, sym.line, sym.end_line)
            checked += 1
    assert checked > 50
