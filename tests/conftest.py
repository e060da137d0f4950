from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nanochat_explain.cli import run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MINI = FIXTURES / "nanochat-mini"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the facts cache of the tests away from the user's."""
    os.environ["NANOCHAT_EXPLAIN_CACHE"] = str(tmp_path_factory.mktemp("facts-cache"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/* from the current output")


@dataclass(frozen=True)
class Invocation:
    code: int
    out: str
    err: str


def invoke(args: list[str], env: dict[str, str | None] | None = None) -> Invocation:
    """Run the CLI in-process exactly as the console script does, capturing its streams."""
    base: dict[str, str | None] = {"NANOCHAT_DIR": None, "NO_COLOR": None}
    runner = CliRunner()
    with runner.isolation(env={**base, **(env or {})}) as (out, err, _):
        code = run(args)
    return Invocation(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def cli() -> Callable[..., Invocation]:
    return invoke


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "nanochat-mini"
    shutil.copytree(MINI, dest)
    return dest


def load_drifts() -> dict[str, dict]:
    """Every drift in fixtures/drift/*.yaml, by name (names are unique across files)."""
    drifts: dict[str, dict] = {}
    for path in sorted((FIXTURES / "drift").glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            for name, drift in yaml.safe_load(f).items():
                assert name not in drifts, f"drift {name!r} is defined twice"
                drifts[name] = drift
    return drifts


TEMPLATES = ROOT / "src" / "nanochat_explain" / "data" / "templates"


def drift_claims() -> list[dict]:
    """Every claim the drift fixtures add to the templates (``add_claims``)."""
    return [c for d in load_drifts().values() for c in d.get("add_claims", ())]


def templates_with(additions: list[dict], dest: Path) -> Path:
    """A copy of the templates with each claim of ``additions`` ({module, note, claim})
    that the module does not have yet, added to its claims and to the note that quotes
    what it checks."""
    shutil.copytree(TEMPLATES, dest)
    by_module: dict[str, list[dict]] = {}
    for addition in additions:
        by_module.setdefault(addition["module"], []).append(addition)
    for module, items in by_module.items():
        path = dest / f"{module}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        have = {c["id"] for c in data["claims"]}
        for item in items:
            claim = item["claim"]
            if claim["id"] in have:
                continue
            data["claims"].append(claim)
            have.add(claim["id"])
            note = next(n for n in data["notes"] if n["text"].startswith(item["note"]))
            note["claims"] = [*note["claims"], claim["id"]]
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
    return dest


def apply_drift(tree: Path, drift: dict) -> None:
    path = tree / drift["file"]
    text = path.read_text(encoding="utf-8")
    for edit in drift["edits"]:
        assert text.count(edit["old"]) == 1, f"edit does not apply once: {edit['old']!r}"
        text = text.replace(edit["old"], edit["new"])
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    update = request.config.getoption("--update-golden")

    def compare(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update or not path.exists():
            if not update and os.environ.get("CI"):
                pytest.fail(f"missing golden file {path}; run pytest --update-golden")
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        if actual != expected:
            import difflib

            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                f"golden/{name}", "actual"))
            pytest.fail(f"output differs from tests/golden/{name}; if the change is intended, "
                        f"run: pytest --update-golden\n{diff}")

    return compare
