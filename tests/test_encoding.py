"""A non-UTF-8 output encoding never breaks a command: text falls back to ASCII marks,
arrows and box characters (the diagram keeps its columns), JSON stays valid and holds
the same data, SVG uses character references."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES
from nanochat_explain.render.charset import ascii_char, fit, transliterate
from ptyterm import command

FORMATS = ("terminal", "plain", "markdown", "json", "svg")


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("PYTHONIOENCODING", "LC_ALL", "LANG", "NANOCHAT_DIR", "PYTHONUTF8")}
    return subprocess.run([*command(), *args], capture_output=True, cwd=FIXTURES,
                          env={**base, **env}, timeout=120, check=False)


@pytest.fixture(scope="module")
def latin1_locale(tmp_path_factory) -> dict[str, str]:
    """``LC_ALL`` naming an ISO-8859-1 locale, compiled into a private folder (no root
    needed); skipped where the system cannot compile locales."""
    localedef = shutil.which("localedef")
    if localedef is None:
        pytest.skip("localedef is not installed")
    folder = tmp_path_factory.mktemp("locales")
    done = subprocess.run([localedef, "-i", "en_US", "-f", "ISO-8859-1",
                           str(folder / "en_US.ISO-8859-1")], capture_output=True, check=False)
    env = {"LOCPATH": str(folder), "LC_ALL": "en_US.ISO-8859-1"}
    probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdout.encoding)"],
                           capture_output=True, text=True, env={**os.environ, **env},
                           check=False)
    if done.returncode not in (0, 1) or probe.stdout.strip() != "iso8859-1":
        pytest.skip(f"cannot compile an ISO-8859-1 locale here: {done.stderr[-200:]!r}")
    return env


ENCODINGS = {
    "PYTHONIOENCODING=latin-1": ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
    "LC_ALL=C, no UTF-8 mode": ({"LC_ALL": "C", "PYTHONUTF8": "0"}, "ascii"),
}


def _check_every_format(env: dict[str, str], encoding: str) -> None:
    utf8 = json.loads(run(["mlp", "--repo", "nanochat-mini", "--format", "json"], {}).stdout)
    for fmt in FORMATS:
        done = run(["mlp", "--repo", "nanochat-mini", "--format", fmt], env)
        assert done.returncode == 0, (fmt, done.stderr[-300:])
        text = done.stdout.decode(encoding)  # strict: every byte is the encoding's
        if fmt == "json":
            assert json.loads(text) == utf8  # the same data, escaped
        elif fmt == "svg":
            assert "&#x2713;" in text or "&#10003;" in text  # ✓ as a character reference
        else:
            assert "+--------------------------+" in text  # the boxes, in ASCII
            assert "-->" in text and "  v\n" in text.replace("\x1b[0m", "")
    for args in (["check", "--repo", "nanochat-mini"], ["list"],
                 ["all", "--repo", "nanochat-mini", "--format", "plain"],
                 ["check", "--repo", "nanochat-mini", "--format", "json"]):
        done = run(args, env)
        assert done.returncode == 0, (args, done.stderr[-300:])
        done.stdout.decode(encoding)
        assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("name", ENCODINGS)
def test_every_format_and_command_survives_the_encoding(name):
    env, encoding = ENCODINGS[name]
    _check_every_format(env, encoding)


def test_an_iso_8859_1_locale(latin1_locale):
    _check_every_format(latin1_locale, "latin-1")


def test_the_diagram_keeps_its_columns_in_ascii():
    drawn = "┌──┴──┐\n│ a   │──▶ b\n└──┬──┘\n   ▼"
    flat = transliterate(drawn, "ascii")
    assert flat == "+--+--+\n| a   |--> b\n+--+--+\n   v"
    assert [len(x) for x in flat.split("\n")] == [len(x) for x in drawn.split("\n")]


def test_fallbacks():
    assert ascii_char("✓") == "+" and ascii_char("✗") == "x"
    assert ascii_char("╇") == "+" and ascii_char("━") == "-" and ascii_char("┃") == "|"
    assert ascii_char("β") == "beta" and ascii_char("ä") == "a"
    assert transliterate("ReLU² · ×", "latin-1") == "ReLU² · ×"  # latin-1 has these
    assert fit("json", '{"a": "✓ 𝔁"}', "ascii") == '{"a": "\\u2713 \\ud835\\udd01"}'
    assert json.loads(fit("json", '{"a": "✓ 𝔁"}', "ascii")) == {"a": "✓ 𝔁"}
    assert fit("plain", "✓ ok", "utf-8") == "✓ ok"


def test_a_code_page_without_an_ascii_character():
    # cp864 puts the Arabic percent sign where ASCII has "%": a stand-in, never an error
    assert transliterate("50% ✓", "cp864") == "50? +"
    assert json.loads(fit("json", '{"a": "50% ✓"}', "cp864")) == {"a": "50% ✓"}
    svg = fit("svg", "<text>50% ✓</text>", "cp864")
    svg.encode("cp864")
    assert "&#37;" in svg and "&#10003;" in svg
    for fmt in FORMATS:
        done = run(["flash", "--repo", "nanochat-mini", "--format", fmt],
                   {"PYTHONIOENCODING": "cp864"})
        assert done.returncode == 0 and b"Traceback" not in done.stderr, (fmt, done.stderr)
        done.stdout.decode("cp864")
