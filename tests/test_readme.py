"""The README is a tested spec: its output blocks, claim examples, exit codes and set-up."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import MINI, ROOT, apply_drift, invoke, load_drifts
from nanochat_explain import cli
from nanochat_explain.claims.checks import KINDS
from nanochat_explain.core import Session
from nanochat_explain.model import Status
from nanochat_explain.source.locate import locate
from nanochat_explain.templates.load import parse

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- output: (.+?) -->\n)(.*?)(<!-- /output -->)", re.S)
CLAIM = re.compile(r"<!-- claim -->\n```yaml\n(.*?)```", re.S)


def _render(args: str, tmp: Path) -> str | None:
    """Output of one README block, or None when it needs a checkout that is not here.

    ``{pty:N}`` runs the command in a pseudo-terminal N columns wide (what a person sees
    there, colours removed); ``{first:N}`` keeps the first N lines, ``{last:N}`` the last N.
    """
    words = shlex.split(args)
    cwd, shown = None, None
    columns = first = last = None
    for word in list(words):
        if word.startswith(("{pty:", "{first:", "{last:")):
            words.remove(word)
            number = int(word[word.index(":") + 1:-1])
            if word.startswith("{pty:"):
                columns = number
            elif word.startswith("{first:"):
                first = number
            else:
                last = number
    if "{bundled}" in words:
        words.remove("{bundled}")
        cwd = tmp / "empty"
        cwd.mkdir(parents=True)
    for i, word in enumerate(words):
        if word == "{nanochat}":
            real = os.environ.get("NANOCHAT_DIR")
            if not real:
                return None
            path = Path(real).resolve()
            cwd, words[i], shown = path.parent, path.name, path.name
        elif word.startswith(("{fork:", "{era:")):
            from conftest import FIXTURES
            from test_eras import build

            kind, name = word[1:-1].split(":", 1)
            where = FIXTURES / ("forks" if kind == "fork" else "eras")
            overlays = ([where / f"{name}.yaml"] if kind == "fork"
                        else sorted((where / name).glob("*.yaml")))
            build(tmp / f"{kind}-{name}", overlays)
            cwd, words[i] = tmp, f"{kind}-{name}"
        elif word.startswith("{drift:"):
            tree = tmp / "nanochat-mini"
            shutil.copytree(MINI, tree)
            apply_drift(tree, load_drifts()[word[len("{drift:"):-1]])
            cwd, words[i] = tmp, "nanochat-mini"
    if columns is not None:
        from ptyterm import run_in_pty

        screen = run_in_pty(words, columns, cwd=cwd)
        assert screen.code == 0, screen.err
        out = "\n".join(line.rstrip() for line in screen.lines).strip("\n") + "\n"
    else:
        here = Path.cwd()
        try:
            if cwd is not None:
                os.chdir(cwd)
            out = invoke(words).out
        finally:
            os.chdir(here)
    if first is not None:
        out = "".join(out.splitlines(True)[:first])
    if last is not None:
        out = "".join(out.splitlines(True)[-last:])
    if shown and shown != "nanochat":
        out = out.replace(f"checked against {shown} ", "checked against nanochat ")
    if "markdown" not in words:
        out = f"```text\n{out}```\n"
    return out


def test_output_blocks(request, tmp_path):
    update = request.config.getoption("--update-golden")
    text = README.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= 4
    stale, skipped = [], 0
    new_text = text
    for n, m in enumerate(blocks):
        fresh = _render(m.group(2), tmp_path / str(n))
        if fresh is None:
            skipped += 1
            assert m.group(3).strip(), f"README block {m.group(2)!r} is empty"
            continue
        if fresh != m.group(3):
            stale.append(m.group(2))
            new_text = new_text.replace(m.group(0), m.group(1) + fresh + m.group(4), 1)
    if update and new_text != text:
        README.write_text(new_text, encoding="utf-8")
    elif stale:
        pytest.fail(f"README output blocks are stale: {stale}; run pytest --update-golden")


def test_claim_examples_are_valid_and_hold_on_the_fixture():
    examples = CLAIM.findall(README.read_text(encoding="utf-8"))
    kinds = set()
    session = Session(locate(str(MINI)))
    for example in examples:
        claims = yaml.safe_load(example)
        kinds.update(c["kind"] for c in claims)
        placeholders = [c["as"] for c in claims if "as" in c]
        template = yaml.safe_dump({
            "module": "example", "title": "t", "summary": "s",
            "summary_claims": [c["id"] for c in claims],
            "sources": list(dict.fromkeys(["nanochat/gpt.py",
                                           *(c["file"] for c in claims if "file" in c)])),
            "diagram": {"text": " ".join("{" + p + "}" for p in placeholders),
                        "claims": [claims[0]["id"]]},
            "breakdown": [], "compare_with": ["x"], "comparisons": [], "papers": [],
            "claims": claims,
        })
        t = parse(template, "example.yaml")
        for result in session.check(t):
            assert result.status is Status.PASS, (result.id, result.detail)
    assert kinds == set(KINDS), "every claim kind needs an example in the README"


def test_exit_codes_table_matches_the_cli():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Exit codes"):]
    codes = [int(c) for c in re.findall(r"^\| (\d+) \|", section, re.M)]
    assert codes == [cli.OK, cli.FAILED, cli.USAGE, cli.SOURCE, cli.INTERNAL, cli.CANT_WRITE]
    help_text = invoke(["--help"]).out
    for code in codes:
        assert re.search(rf"^\s+{code}\s+\S", help_text, re.M)


def test_setup_is_two_commands_and_ci_runs_the_second():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Set up"):text.index("## Use")]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "nanochat-explain attention" in commands[0]
    assert commands[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_every_command_is_documented():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| command | what it does |"):text.index("| flag | meaning |")]
    documented = {m.split()[0] for m in re.findall(r"^\| `([^`]+)`", table, re.M)}
    assert set(cli.cli.commands) == documented
