"""history: when each claim started or stopped holding and each value changed, by commit."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import apply_drift, invoke, load_drifts
from nanochat_explain.source.git import BlobReader

DRIFT = load_drifts()["rope-base"]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           "-c", "commit.gpgsign=false", *args],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)
    return _git(repo, "rev-parse", "--short=7", "HEAD")


def _set_base(repo: Path, old: bool) -> None:
    edit = DRIFT["edits"][0]
    a, b = (edit["old"], edit["new"]) if old else (edit["new"], edit["old"])
    apply_drift(repo, {"file": DRIFT["file"], "edits": [{"old": a, "new": b}]})


@pytest.fixture
def three(mini_copy):
    """base 50000; then a commit that leaves gpt.py alone; then base 100000."""
    _git(mini_copy, "init", "-q")
    _set_base(mini_copy, old=True)
    first = _commit(mini_copy, "first: base 50000")
    tok = mini_copy / "nanochat" / "tokenizer.py"
    tok.write_text(tok.read_text(encoding="utf-8") + "\n# unrelated\n", encoding="utf-8")
    other = _commit(mini_copy, "tokenizer only")
    _set_base(mini_copy, old=False)
    last = _commit(mini_copy, "base 100000")
    return mini_copy, first, other, last


def _history(repo: Path, *args: str) -> dict:
    result = invoke(["history", "rotary", "--repo", str(repo), "--format", "json", *args])
    assert result.code == 0, result.err
    return json.loads(result.out)


def _changes(track: dict) -> list[tuple[str, object, object]]:
    return [(c["commit"], c["from"], c["to"]) for c in track["changes"]]


def _now(repo: Path) -> dict:
    result = invoke(["rotary", "--repo", str(repo), "--format", "json"])
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_the_exact_history_of_three_commits(three):
    repo, first, other, last = three
    now = _now(repo)
    data = _history(repo)
    assert data["head"] == last and data["commits"] == 2  # "tokenizer only" is not walked
    assert data["files"] == ["nanochat/gpt.py"]
    shown = {c["id"] for c in now["claims"]}  # other forms' claims are walked too
    claims = {t["name"]: _changes(t) for t in data["claims"] if t["name"] in shown}
    expected = {c["id"]: [(first, "missing", "pass")] for c in now["claims"]}
    expected["rope-base"] = [(first, "missing", "fail"), (last, "fail", "pass")]
    expected["rope-base-everywhere"] = expected["rope-base"]  # the default is the only value
    assert claims == expected
    values = {t["name"]: _changes(t) for t in data["values"]}
    want = {name: [(first, None, v)] for name, v in now["values"].items()}
    want["rope_base"] = [(first, None, 50000), (last, 50000, 100000)]
    assert values == want
    assert {t["name"]: t["now"] for t in data["values"]} == now["values"]
    assert all(t["now"] == "pass" for t in data["claims"] if t["name"] in shown)
    assert other not in json.dumps(data)


def test_since_starts_after_the_revision(three):
    repo, first, _, last = three
    data = _history(repo, "--since", first)
    assert data["since"] == first and data["commits"] == 1
    shown = {c["id"] for c in _now(repo)["claims"]} | {t["name"] for t in data["values"]}
    changed = {t["name"]: _changes(t) for t in data["claims"] + data["values"]
               if t["changes"] and t["name"] in shown}
    assert changed == {"rope-base": [(last, "fail", "pass")],
                       "rope-base-everywhere": [(last, "fail", "pass")],
                       "rope_base": [(last, 50000, 100000)]}
    empty = _history(repo, "--since", "HEAD")
    assert empty["commits"] == 0 and not any(t["changes"] for t in empty["claims"])
    assert {t["name"]: t["now"] for t in empty["values"]}["rope_base"] == 100000


def test_a_change_through_a_merge_is_credited_to_its_commit(three):
    repo, first, _, _ = three
    _git(repo, "checkout", "-q", "-b", "side", first)
    gpt = repo / "nanochat" / "gpt.py"
    gpt.write_text("\n" + gpt.read_text(encoding="utf-8"), encoding="utf-8")  # lines move only
    moved = _commit(repo, "side: a blank line")
    _git(repo, "checkout", "-q", "-")
    _git(repo, "merge", "-q", "--no-edit", "side")
    data = _history(repo)
    assert data["commits"] == 4
    changes = [c for t in data["claims"] + data["values"] for c in _changes(t)]
    assert not [c for c in changes if c[0] in (moved, data["head"])]  # no claim changed there
    values = {t["name"]: _changes(t) for t in data["values"]}
    assert values["rope_base"][-1][1:] == (50000, 100000)


def test_plain_and_markdown_name_the_commit(three):
    repo, first, _, last = three
    plain = invoke(["history", "rotary", "--repo", str(repo)])
    assert plain.code == 0, plain.err
    assert f"    {last} " in plain.out and "50000 -> 100000  base 100000" in plain.out
    assert plain.out.startswith("rotary: history in ") and "2 commits since the first" in plain.out
    md = invoke(["history", "rope", "--repo", str(repo), "--format", "markdown"])
    assert md.code == 0 and md.out.startswith("# rotary: history")
    assert f"| `rope_base` | `100000` | {last} |" in md.out
    assert "| `rope-base` | pass | " + first in md.out


def test_warm_history_reads_no_blob(three, monkeypatch, tmp_path):
    repo = three[0]
    monkeypatch.setenv("NANOCHAT_EXPLAIN_CACHE", str(tmp_path / "cache"))
    cold = _history(repo)

    def refuse(self, blob, relpath):
        raise AssertionError(f"read {relpath} {blob} although the cache holds it")

    monkeypatch.setattr(BlobReader, "read", refuse)
    assert _history(repo) == cold
    assert invoke(["history", "rotary", "--repo", str(repo), "--no-cache"]).code == 70


def test_a_bad_blob_is_an_error_state_not_a_crash(three):
    repo = three[0]
    gpt = repo / "nanochat" / "gpt.py"
    gpt.write_text("def broken(:\n", encoding="utf-8")
    broken = _commit(repo, "broken")
    data = _history(repo)
    rope = {t["name"]: t for t in data["claims"]}["rope-base"]
    assert _changes(rope)[-1] == (broken, "pass", "error") and rope["now"] == "error"


@pytest.mark.parametrize("args, message", [
    (["--since", "nope"], "--since nope: no such revision"),
    (["--since", "--x"], "--since --x: not a revision"),
])
def test_bad_revisions_are_usage_errors(three, args, message):
    result = invoke(["history", "rotary", "--repo", str(three[0]), *args])
    assert result.code == 2 and result.err == f"nanochat-explain: {message}\n"


def test_history_needs_git(mini_copy, tmp_path, monkeypatch):
    result = invoke(["history", "rotary", "--repo", str(mini_copy)])
    assert result.code == 2 and "needs a git checkout" in result.err
    monkeypatch.chdir(tmp_path)  # no checkout at all: upstream's, from the bundled facts
    bundled = invoke(["history", "rotary"])
    assert bundled.code == 0 and "(bundled facts)" in bundled.out
    assert invoke(["history", "nope", "--repo", str(mini_copy)]).code == 2


def test_progress_is_reported_per_commit(three):
    from nanochat_explain.commands import app

    seen = []
    found = app.history("rotary", str(three[0]), None, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)] and len(found.commits) == 2


def test_history_says_what_each_claim_checks(three):
    repo = three[0]
    plain = invoke(["history", "rotary", "--repo", str(repo), "--since", "HEAD~1"]).out
    # a claim that changed: its statement under its name
    assert ("      checks: default of GPT._precompute_rotary_embeddings(base=...) = 100000"
            in plain)
    # claims that did not change: one line each, id and what it checks
    assert "  no change in the commits walked, pass now:" in plain
    assert re.search(r"^    rope-signature: \S.*", plain, re.M)
    data = _history(repo)
    statements = {t["name"]: t.get("statement") for t in data["claims"]}
    assert all(statements.values()), [k for k, v in statements.items() if not v]
    md = invoke(["history", "rotary", "--repo", str(repo), "--format", "markdown"]).out
    assert "- `rope-base` checks: default of" in md
