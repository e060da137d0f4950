"""The /explain agent skill: its format, the commands it runs, and install-skill."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MINI, ROOT, invoke
from nanochat_explain import __version__, cli
from nanochat_explain.commands.publish import skill_text
from nanochat_explain.templates.packaged import load_packaged

PACKAGED = ROOT / "src" / "nanochat_explain" / "data" / "skill" / "SKILL.md"
REPO_COPY = ROOT / "skills" / "explain" / "SKILL.md"
BIN = Path(sys.executable).parent  # where the console script is installed
BASH = shutil.which("bash") or "/bin/bash"


def split(text: str) -> tuple[dict, str]:
    m = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    assert m, "SKILL.md must start with YAML frontmatter between --- lines"
    return yaml.safe_load(m.group(1)), m.group(2)


def sh_blocks(body: str) -> list[str]:
    return [c.strip() for c in re.findall(r"```sh\n(.*?)\n\s*```", body, re.S)]


def test_frontmatter_follows_the_skill_format():
    meta, body = split(skill_text())
    assert set(meta) == {"name", "description", "argument-hint", "arguments", "allowed-tools",
                         "metadata"}
    name = meta["name"]
    assert name == "explain" == REPO_COPY.parent.name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and len(name) <= 64
    assert "claude" not in name and "anthropic" not in name
    desc = meta["description"]
    assert isinstance(desc, str) and 0 < len(desc) <= 1024
    assert "<" not in desc and ">" not in desc
    assert "Use when" in desc and "/explain" not in desc
    # the current permission syntax; the follow-up commands are all nanochat-explain ones
    assert meta["allowed-tools"] == "Bash(nanochat-explain *)"
    assert isinstance(meta["argument-hint"], str) and meta["argument-hint"]
    assert [a["name"] for a in meta["arguments"]] == ["module"]
    described = meta["arguments"][0]["description"]
    assert all(m in described for m in load_packaged().names())
    assert meta["metadata"] == {"version": __version__}
    assert body.strip()


def test_arguments_appear_only_on_the_command_line():
    """Claude Code substitutes $ARGUMENTS (and $0, $1, ...) wherever they stand in the
    body; prose that names them would reach the model as the user's words."""
    _, body = split(skill_text())
    assert body.count("$ARGUMENTS") == 1
    line = next(ln for ln in body.splitlines() if "$ARGUMENTS" in ln)
    assert line.strip() in sh_blocks(body)
    assert not re.search(r"\$(\d|ARGUMENTS\[|module\b)", body)


def test_repo_copy_is_the_packaged_skill(request):
    if request.config.getoption("--update-golden"):
        REPO_COPY.write_text(PACKAGED.read_text(encoding="utf-8"), encoding="utf-8")
    assert REPO_COPY.read_bytes() == PACKAGED.read_bytes(), (
        "skills/explain/SKILL.md differs from the packaged skill; run pytest --update-golden")


def agent_env(tmp_path: Path, path: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NANOCHAT_DIR"}
    env["HOME"] = str(tmp_path)
    env["PATH"] = path if path is not None else f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_as_agent(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """What the agent's Bash tool does with the command line: hand it to a shell."""
    return subprocess.run([BASH, "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)


def first_module(markdown: str) -> str:
    table = markdown[markdown.index("| Module |"):]
    return re.search(r"^\| `([a-z0-9-]+)` \|", table, re.M).group(1)


@pytest.mark.parametrize(("words", "module", "title"), [
    ("attention", "attention", "# Attention"),
    ("how does attention work", "attention", "# Attention"),
    ("rope", "rotary", "# Rotary"),
    ("what's the rope base", "rotary", "# Rotary"),
    ("how does the kv cache work?", "engine", "# Engine"),
    ("sliding window", "flash", "# Flash"),
])
def test_the_commands_the_body_gives_run_on_free_text(tmp_path, words, module, title):
    find_line, explain_line = sh_blocks(split(skill_text())[1])
    env = agent_env(tmp_path)
    # Claude Code puts the words in as typed; the body asks to leave out single quotes
    found = run_as_agent(find_line.replace("$ARGUMENTS", words.replace("'", "")), tmp_path, env)
    assert found.returncode == 0, found.stderr
    assert "(bundled facts)" in found.stdout
    assert first_module(found.stdout) == module
    assert "## Statements" in found.stdout
    explained = run_as_agent(explain_line.replace("MODULE", module), tmp_path, env)
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith(title)
    assert "## Data flow\n\n```text\n" in explained.stdout


def test_with_no_words_the_body_lists_the_modules(tmp_path):
    find_line, _ = sh_blocks(split(skill_text())[1])
    done = run_as_agent(find_line.replace("$ARGUMENTS", ""), tmp_path, agent_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "No words to search for" in done.stdout  # the phrase the body tells the agent
    assert "No words to search for" in skill_text()
    for name in load_packaged().names():
        assert f"| `{name}` |" in done.stdout


def test_words_that_match_nothing_exit_1_as_the_body_says(tmp_path):
    find_line, _ = sh_blocks(split(skill_text())[1])
    done = run_as_agent(find_line.replace("$ARGUMENTS", "xyzzy plugh"), tmp_path,
                        agent_env(tmp_path))
    assert done.returncode == 1 and "Nothing matches" in done.stdout
    assert 'Exit status 1 ("Nothing matches")' in skill_text()
    assert "`attention`" in done.stdout


def test_shell_syntax_in_the_words_is_not_run(tmp_path):
    find_line, _ = sh_blocks(split(skill_text())[1])
    marker = tmp_path / "ran"
    words = f"$(touch {marker}) `touch {marker}` ; touch {marker}"
    done = run_as_agent(find_line.replace("$ARGUMENTS", words), tmp_path, agent_env(tmp_path))
    assert done.returncode in (0, 1) and not marker.exists()


def test_the_body_handles_the_exit_codes_an_agent_can_meet(tmp_path):
    find_line, _ = sh_blocks(split(skill_text())[1])
    missing = run_as_agent(find_line.replace("$ARGUMENTS", "attention"), tmp_path,
                           agent_env(tmp_path, path="/nonexistent"))
    assert missing.returncode == 127  # not installed: what the body must recognise
    body = split(skill_text())[1]
    handled = {int(c) for c in re.findall(r"^\s+- (\d+): ", body, re.M)}
    assert handled == {127, cli.USAGE, cli.SOURCE, cli.INTERNAL}
    install = next(ln for ln in body.splitlines() if ln.strip().startswith("- 127:"))
    assert "not installed" in install and "pip install" in body


def test_follow_up_commands_run_under_the_allowed_pattern(mini_copy):
    git = ["git", "-C", str(mini_copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    body = split(skill_text())[1]
    prose = " ".join(re.sub(r"```sh\n.*?```", "", body, flags=re.S).split())
    snippets = sh_blocks(body) + re.findall(r"`(nanochat-explain [^`]+)`", prose)
    assert len(snippets) == 5
    for snippet in snippets:
        assert snippet.startswith("nanochat-explain ")  # Bash(nanochat-explain *) allows it
    follow_ups = [s for s in snippets if s.split()[1] in ("history", "diff", "explain")]
    assert {s.split()[1] for s in follow_ups} == {"history", "diff", "explain"}
    for snippet in follow_ups:
        args = snippet.replace("'MODULE'", "mlp").replace("REV", "HEAD").split()[1:]
        result = invoke([*args, "--repo", str(mini_copy)])
        assert result.code == 0, (snippet, result.err)


def test_install_skill_writes_once_and_never_overwrites(tmp_path):
    first = invoke(["install-skill", "--dest", str(tmp_path)])
    path = tmp_path / ".claude" / "skills" / "explain" / "SKILL.md"
    assert first.code == 0 and first.out == f"wrote {path}\n"
    assert path.read_text(encoding="utf-8") == skill_text()
    again = invoke(["install-skill", "--dest", str(tmp_path)])
    assert again.code == 0 and again.out == f"unchanged: {path}\n"
    path.write_text("my own edits\n")
    second = invoke(["install-skill", "--dest", str(tmp_path)])
    assert second.code == 2 and "--force" in second.err
    assert path.read_text() == "my own edits\n"
    forced = invoke(["install-skill", "--dest", str(tmp_path), "--force"])
    assert forced.code == 0 and path.read_text(encoding="utf-8") == skill_text()


def test_install_skill_for_other_agents(tmp_path):
    result = invoke(["install-skill", "--agent", "agents", "--dest", str(tmp_path)])
    path = tmp_path / ".agents" / "skills" / "explain" / "SKILL.md"
    assert result.code == 0 and result.out == f"wrote {path}\n"
    assert path.read_text(encoding="utf-8") == skill_text()
    assert not (tmp_path / ".claude").exists()
    assert invoke(["install-skill", "--agent", "cursor", "--dest", str(tmp_path)]).code == 2


@pytest.mark.parametrize(("agent", "folder"), [("claude", ".claude"), ("agents", ".agents")])
def test_install_skill_for_the_user(tmp_path, agent, folder):
    home = tmp_path / "home"
    home.mkdir()
    result = invoke(["install-skill", "--user", "--agent", agent], env={"HOME": str(home)})
    assert result.code == 0, result.err
    assert (home / folder / "skills" / "explain" / "SKILL.md").read_text(
        encoding="utf-8") == skill_text()
    both = invoke(["install-skill", "--user", "--dest", str(tmp_path)], env={"HOME": str(home)})
    assert both.code == 2 and "--user" in both.err


def test_install_skill_check_finds_a_stale_copy_and_writes_nothing(tmp_path):
    path = tmp_path / ".claude" / "skills" / "explain" / "SKILL.md"
    absent = invoke(["install-skill", "--dest", str(tmp_path), "--check"])
    assert absent.code == 1 and "+++ b/.claude/skills/explain/SKILL.md" in absent.out
    assert not path.exists()
    invoke(["install-skill", "--dest", str(tmp_path)])
    fresh = invoke(["install-skill", "--dest", str(tmp_path), "--check"])
    assert fresh.code == 0 and fresh.out == ""
    # an older version's skill, as left behind by an upgrade
    stale = skill_text().replace("Bash(nanochat-explain *)", "Bash(nanochat-explain:*)")
    path.write_text(stale, encoding="utf-8")
    red = invoke(["install-skill", "--dest", str(tmp_path), "--check"])
    assert red.code == 1
    assert "-allowed-tools: Bash(nanochat-explain:*)" in red.out
    assert "+allowed-tools: Bash(nanochat-explain *)" in red.out
    assert "install-skill --force" in red.err
    assert path.read_text(encoding="utf-8") == stale


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


def test_find_reads_a_checkout_too():
    result = invoke(["find", "rope", "base", "--repo", str(MINI)])
    assert result.code == 0 and "rotary" in result.out
