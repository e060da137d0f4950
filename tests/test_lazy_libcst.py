"""libcst is imported only when a file must be parsed: never on a cache hit, never with
the bundled facts; and a cold run does import it and parse with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import MINI

PROBE = """
import json, sys
from nanochat_explain.cli import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "libcst": "libcst" in sys.modules}), file=sys.stderr)
"""


def run_probe(args: list[str], cache: Path, cwd: Path) -> dict:
    env = {**os.environ, "NANOCHAT_EXPLAIN_CACHE": str(cache)}
    env.pop("NANOCHAT_DIR", None)
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_parsing_imports_libcst_and_a_cache_hit_does_not(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ["check", "--repo", str(MINI), "--format", "json"]
    cold = run_probe(args, cache, tmp_path)
    assert cold == {"code": 0, "libcst": True}
    warm = run_probe(args, cache, tmp_path)
    assert warm == {"code": 0, "libcst": False}


def test_bundled_facts_never_import_libcst(tmp_path: Path) -> None:
    found = run_probe(["check", "--format", "json"], tmp_path / "cache", tmp_path)
    assert found["libcst"] is False
