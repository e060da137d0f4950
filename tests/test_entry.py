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


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "NANOCHAT_EXPLAIN_CACHE": str(tmp_path / "cache"), **extra}
    env.pop("NANOCHAT_DIR", None)
    return env


def _run(code: str, args: list[str], tmp_path: Path, **extra: str) -> tuple[int, str, str]:
    env = _env(tmp_path, **extra)
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          encoding=extra.get("PYTHONIOENCODING", "utf-8"), env=env,
                          cwd=tmp_path, timeout=300)
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
    ["mlp", "--repo=" + str(MINI)],
    ["mlp", "--repo", str(MINI), "--format", "terminal"],
    ["mlp", "--repo", str(MINI), "--format", "yaml"],  # not a format: a usage error
    ["mlp", "--repo"],
    ["mlp", "--help"],
    ["check", "--repo", str(MINI), "--ref", "HEAD"],
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


def test_facts_known_without_parsing_need_no_library_and_no_typing(tmp_path):
    # what a run imports is most of its time: typing alone costs a cold check 3 ms
    probe = ("import sys; from nanochat_explain.entry import quick; code = quick(sys.argv[1:]); "
             "print(code, *sorted(m for m in ('click', 'rich', 'yaml', 'typing', 'libcst') "
             "if m in sys.modules), file=sys.stderr)")
    for args in (["check"], ["attention", "--format", "plain"], ["check", "mlp"]):
        _, _, err = _run(probe, args, tmp_path)  # no checkout here: the bundled facts
        assert err.split() == ["0"], (args, err)


def test_an_explanation_from_kept_results_defines_no_facts(tmp_path):
    probe = ("import sys; from nanochat_explain.entry import quick; code = quick(sys.argv[1:]); "
             "print(code, 'nanochat_explain.facts.model' in sys.modules, file=sys.stderr)")
    args = ["attention", "--repo", str(MINI), "--format", "plain"]
    assert _run(probe, args, tmp_path)[2].split() == ["0", "True"]  # parsed, then kept
    assert _run(probe, args, tmp_path)[2].split() == ["0", "False"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["mlp"], ["check", "mlp"], ["all"], ["list"],
                                  ["check", "mlp", "--format", "json"]])
def test_output_that_cannot_be_written_is_one_line_and_its_code(args, tmp_path):
    with open("/dev/full", "w") as full:  # every write fails: no space left on the device
        done = subprocess.run([sys.executable, "-c", ENTRY, *args, "--repo", str(MINI)],
                              stdout=full, stderr=subprocess.PIPE, encoding="utf-8",
                              env=_env(tmp_path), cwd=tmp_path, timeout=300)
    assert done.returncode == 73, done.stderr
    assert done.stderr.splitlines() == [
        "nanochat-explain: standard output: cannot write: No space left on device"]


def test_every_command_of_the_cli_is_known_as_one():
    from nanochat_explain.cli import cli
    from nanochat_explain.entry import _COMMANDS

    assert set(cli.commands) == _COMMANDS


def test_an_encoding_that_takes_the_output_is_written_here(tmp_path):
    args = ["flash", "--repo", str(MINI), "--format", "plain"]
    latin1 = _run(ENTRY, args, tmp_path, PYTHONIOENCODING="latin-1")
    assert latin1 == _run(CLI, args, tmp_path, PYTHONIOENCODING="latin-1")
    assert latin1[0] == 0 and "Flash" in latin1[1]
    code, _, err = _run(PROBE, args, tmp_path, PYTHONIOENCODING="latin-1")
    assert code == 0 and err.split() == ["0", "False"]


def test_an_output_the_encoding_cannot_take_is_written_as_the_cli_writes_it(tmp_path):
    # cp864 has no "%" (its 0x25 is the Arabic percent sign), which flash's text holds
    args = ["flash", "--repo", str(MINI), "--format", "plain"]
    entry = _run(ENTRY, args, tmp_path, PYTHONIOENCODING="cp864")
    assert entry == _run(CLI, args, tmp_path, PYTHONIOENCODING="cp864")
    code, out, err = entry
    assert code == 0 and err == "" and "%" not in out and "flash" in out


def _into_a_closed_pipe(code: str, args: list[str], tmp_path: Path) -> tuple[int, str]:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before a byte is written
    try:
        done = subprocess.run([sys.executable, "-c", code, *args], stdout=write,
                              stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
                              cwd=tmp_path, timeout=300)
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.mark.parametrize("args", [
    ["rotary", "--repo", str(MINI), "--format", "plain"],
    ["check", "--repo", str(MINI), "--format", "json"],
])
def test_a_reader_that_went_away_ends_the_run_quietly(args, tmp_path):
    entry = _into_a_closed_pipe(ENTRY, args, tmp_path)
    assert entry == (1, "")  # no traceback, no "Exception ignored" at exit
    assert entry == _into_a_closed_pipe(CLI, args, tmp_path)
    # and it was the quick path that ended it, not the CLI
    assert _into_a_closed_pipe(PROBE, args, tmp_path) == (0, "1 False\n")
