"""The /explain agent skill: its format, the command it runs, and install-skill."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, invoke
from nanochat_explain.publish import skill_text
from nanochat_explain.templates import load_packaged

PACKAGED = ROOT / "src" / "nanochat_explain" / "skill" / "SKILL.md"
REPO_COPY = ROOT / "skills" / "explain" / "SKILL.md"


def split(text: str) -> tuple[dict, str]:
    m = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    assert m, "SKILL.md must start with YAML frontmatter between --- lines"
    return yaml.safe_load(m.group(1)), m.group(2)


def test_frontmatter_follows_the_skill_format():
    meta, body = split(skill_text())
    assert set(meta) == {"name", "description", "argument-hint", "allowed-tools"}
    name = meta["name"]
    assert name == "explain" == REPO_COPY.parent.name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and len(name) <= 64
    assert "claude" not in name and "anthropic" not in name
    desc = meta["description"]
    assert isinstance(desc, str) and 0 < len(desc) <= 1024
    assert "<" not in desc and ">" not in desc
    assert "Use when" in desc
    assert meta["allowed-tools"] == "Bash(nanochat-explain:*)"
    modules = meta["argument-hint"].strip("[]").split("|")
    assert sorted(modules) == sorted(load_packaged().names())
    assert body.strip()


def test_repo_copy_is_the_packaged_skill(request):
    if request.config.getoption("--update-golden"):
        REPO_COPY.write_text(PACKAGED.read_text(encoding="utf-8"), encoding="utf-8")
    assert REPO_COPY.read_bytes() == PACKAGED.read_bytes(), (
        "skills/explain/SKILL.md differs from the packaged skill; run pytest --update-golden")


def test_the_command_the_body_gives_runs(tmp_path):
    _, body = split(skill_text())
    commands = [c.strip() for c in re.findall(r"```sh\n(.*?)\n\s*```", body, re.S)]
    assert commands == ["nanochat-explain $ARGUMENTS --format markdown"]
    args = shlex.split(commands[0].strip().replace("$ARGUMENTS", "attention"))
    assert args[0] == "nanochat-explain"
    env = {k: v for k, v in os.environ.items() if k != "NANOCHAT_DIR"}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "nanochat_explain", *args[1:]], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Attention")
    assert "## Data flow\n\n```text\n" in done.stdout
    assert "(bundled facts)" in done.stdout
    listing = invoke(["list", "--format", "markdown"])
    assert listing.code == 0 and "| `attention` |" in listing.out


def test_install_skill_writes_once_and_never_overwrites(tmp_path):
    first = invoke(["install-skill", "--dest", str(tmp_path)])
    path = tmp_path / ".claude" / "skills" / "explain" / "SKILL.md"
    assert first.code == 0 and first.out == f"wrote {path}\n"
    assert path.read_text(encoding="utf-8") == skill_text()
    path.write_text("my own edits\n")
    second = invoke(["install-skill", "--dest", str(tmp_path)])
    assert second.code == 2 and "--force" in second.err
    assert path.read_text() == "my own edits\n"
    forced = invoke(["install-skill", "--dest", str(tmp_path), "--force"])
    assert forced.code == 0 and path.read_text(encoding="utf-8") == skill_text()


def test_install_skill_never_follows_a_link_out(tmp_path):
    dest, outside = tmp_path / "dest", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / ".claude").symlink_to(outside, target_is_directory=True)
    result = invoke(["install-skill", "--dest", str(dest)])
    assert result.code == 2 and "symbolic link" in result.err
    assert list(outside.iterdir()) == []


def test_install_skill_defaults_to_the_enclosing_checkout(mini_copy, monkeypatch):
    monkeypatch.chdir(mini_copy / "nanochat")
    result = invoke(["install-skill"])
    assert result.code == 0
    assert (mini_copy / ".claude" / "skills" / "explain" / "SKILL.md").is_file()


def test_install_skill_defaults_to_cwd_without_a_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke(["install-skill"]).code == 0
    assert Path(tmp_path / ".claude" / "skills" / "explain" / "SKILL.md").is_file()


def test_missing_dest_is_a_usage_error(tmp_path):
    result = invoke(["install-skill", "--dest", str(tmp_path / "nope")])
    assert result.code == 2


@pytest.mark.parametrize("name", ["explain"])
def test_skill_name_matches_folder(name):
    assert split(REPO_COPY.read_text(encoding="utf-8"))[0]["name"] == name
