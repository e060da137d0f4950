"""The console script explains one module in plain text without click, exactly as the
click CLI does; everything else it hands to the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINI

CLI = "import sys; from nanochat_explain.cli import main; sys.argv[0] = 'x'; main()"
ENTRY = "import sys; from nanochat_explain.entry import main; sys.argv[0] = 'x'; main()"
PROBE = ("import sys; from nanochat_explain.entry import quick; "
         "code = quick(sys.argv[1:]); print(code, 'click' in sys.modules, file=sys.stderr)")


def _run(code: str, args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    env = {**os.environ, "NANOCHAT_EXPLAIN_CACHE": str(tmp_path / "cache")}
    env.pop("NANOCHAT_DIR", None)
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("args", [
    ["mlp", "--repo", str(MINI), "--format", "plain"],
    ["explain", "rotary", "--format", "json", "--repo", str(MINI)],
    ["attn", "--repo", str(MINI), "--format", "markdown"],
    ["mlp", "--repo", str(MINI)],  # into a pipe: plain
    ["nope", "--repo", str(MINI), "--format", "plain"],  # an unknown module: the CLI's error
    ["mlp", "--repo", str(MINI / "nanochat"), "--format", "plain"],  # not a checkout
    ["mlp", "--repo", str(MINI), "--format", "plain", "--format", "json"],
    ["mlp", "--repo", str(MINI), "--strict"],
    ["list", "--format", "plain"],
    ["check", "--repo", str(MINI), "--format", "plain"],
    ["check", "mlp", "rotary", "--format", "json", "--repo", str(MINI)],
    ["check", "nope", "--repo", str(MINI)],
    ["check", "--repo", str(MINI / "nanochat")],
    ["--version"],
])
def test_the_console_script_says_what_the_cli_says(args, tmp_path):
    assert _run(ENTRY, args, tmp_path) == _run(CLI, args, tmp_path)


def test_the_simple_call_imports_no_click(tmp_path):
    code, _, err = _run(PROBE, ["mlp", "--repo", str(MINI), "--format", "plain"], tmp_path)
    assert code == 0 and err.split() == ["0", "False"]
    code, _, err = _run(PROBE, ["check", "mlp", "--repo", str(MINI)], tmp_path)
    assert code == 0 and err.split() == ["0", "False"]
    for handed in (["check", "--repo", str(MINI), "--ref", "HEAD"], ["mlp", "mlp"],
                   ["mlp", "--repo", str(MINI), "--depth", "4"], ["list"], [],
                   ["mlp", "--repo=" + str(MINI)], ["mlp", "--format", "terminal"]):
        assert _run(PROBE, handed, tmp_path)[2].split() == ["None", "False"]


def test_every_command_of_the_cli_is_known_as_one():
    from nanochat_explain.cli import cli
    from nanochat_explain.entry import _COMMANDS

    assert set(cli.commands) == _COMMANDS
