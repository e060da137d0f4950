"""The Claude Code plugin and marketplace files at the repository's root, checked against
the fields Claude Code documents for them (plugins reference, marketplace reference)."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from conftest import ROOT
from nanochat_explain import __version__
from nanochat_explain.commands.publish import skill_text

PLUGIN_DIR = ROOT / ".claude-plugin"
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")

# plugin.json: metadata, then the component paths that add to the default layout
PLUGIN_FIELDS = {"$schema": str, "name": str, "version": str, "description": str,
                 "author": dict, "homepage": str, "repository": (str, dict), "license": str,
                 "keywords": list, "commands": (str, list), "agents": (str, list),
                 "skills": (str, list), "hooks": (str, dict, list),
                 "mcpServers": (str, dict, list), "outputStyles": (str, list),
                 "lspServers": (str, dict, list), "userConfig": dict, "channels": list}
PERSON_FIELDS = {"name": str, "email": str, "url": str}
MARKETPLACE_FIELDS = {"$schema": str, "name": str, "owner": dict, "metadata": dict,
                      "plugins": list, "description": str, "version": str}
METADATA_FIELDS = {"description": str, "version": str, "pluginRoot": str}
ENTRY_FIELDS = {"name": str, "source": (str, dict), "description": str, "version": str,
                "author": dict, "homepage": str, "repository": (str, dict), "license": str,
                "keywords": list, "category": str, "tags": list, "strict": bool,
                "commands": (str, list), "agents": (str, list), "skills": (str, list),
                "hooks": (str, dict, list), "mcpServers": (str, dict, list),
                "lspServers": (str, dict, list)}
PATH_FIELDS = ("commands", "agents", "skills", "hooks", "mcpServers", "outputStyles",
               "lspServers")
RESERVED = {"claude-code-marketplace", "claude-code-plugins", "claude-plugins-official",
            "anthropic-marketplace", "anthropic-plugins", "agent-skills", "life-sciences"}


def fields(data: Any, allowed: dict[str, Any], where: str) -> None:
    assert isinstance(data, dict), f"{where}: expected an object"
    for key, value in data.items():
        assert key in allowed, f"{where}: {key!r} is not a documented field"
        assert isinstance(value, allowed[key]), f"{where}.{key}: wrong type"


def relative_path(value: str, where: str) -> PurePosixPath:
    assert value.startswith("./"), f"{where}: paths start with ./"
    path = PurePosixPath(value)
    assert ".." not in path.parts and "\\" not in value, f"{where}: stays inside the plugin"
    return path


def load(name: str) -> dict[str, Any]:
    return json.loads((PLUGIN_DIR / name).read_text(encoding="utf-8"))


def validate_plugin(root: Path) -> dict[str, Any]:
    manifest = json.loads((root / ".claude-plugin" / "plugin.json").read_text(encoding="utf-8"))
    fields(manifest, PLUGIN_FIELDS, "plugin.json")
    assert KEBAB.match(manifest["name"]), "plugin.json: name is kebab-case"
    if "version" in manifest:
        assert SEMVER.match(manifest["version"])
    if "author" in manifest:
        fields(manifest["author"], PERSON_FIELDS, "plugin.json author")
        assert "name" in manifest["author"]
    if "keywords" in manifest:
        assert all(isinstance(k, str) for k in manifest["keywords"])
    for key in PATH_FIELDS:
        values = manifest.get(key)
        for value in [values] if isinstance(values, str) else values or []:
            if isinstance(value, str):
                assert (root / relative_path(value, f"plugin.json {key}")).exists()
    return manifest


def validate_marketplace(root: Path) -> dict[str, Any]:
    market = json.loads((root / ".claude-plugin" / "marketplace.json").read_text(
        encoding="utf-8"))
    fields(market, MARKETPLACE_FIELDS, "marketplace.json")
    assert {"name", "owner", "plugins"} <= set(market), "name, owner and plugins are required"
    assert KEBAB.match(market["name"]) and market["name"] not in RESERVED
    fields(market["owner"], PERSON_FIELDS, "marketplace.json owner")
    assert "name" in market["owner"]
    fields(market.get("metadata", {}), METADATA_FIELDS, "marketplace.json metadata")
    names = [p.get("name") for p in market["plugins"]]
    assert market["plugins"] and len(set(names)) == len(names)
    for n, entry in enumerate(market["plugins"]):
        where = f"marketplace.json plugins[{n}]"
        fields(entry, ENTRY_FIELDS, where)
        assert {"name", "source"} <= set(entry)
        assert KEBAB.match(entry["name"])
        assert isinstance(entry["source"], str), "this marketplace ships its plugin in-tree"
        plugin_root = (root / relative_path(entry["source"], f"{where} source")).resolve()
        assert plugin_root == root.resolve() or root.resolve() in plugin_root.parents
        assert validate_plugin(plugin_root)["name"] == entry["name"]
    return market


def test_plugin_manifest_is_valid_and_versioned_with_the_tool():
    manifest = validate_plugin(ROOT)
    assert manifest["name"] == "nanochat-explain"
    assert manifest["version"] == __version__


def test_marketplace_lists_the_plugin_at_the_repository_root():
    market = validate_marketplace(ROOT)
    (entry,) = market["plugins"]
    assert entry["name"] == "nanochat-explain" and entry["source"] == "./"
    # the plugin's version lives in plugin.json only, so the two cannot disagree
    assert "version" not in entry


def test_the_plugin_ships_the_packaged_skill():
    """The plugin's skills folder is the default one, skills/<name>/SKILL.md, and holds
    this version's skill: installed, it is /nanochat-explain:explain."""
    skills = sorted(p.parent.name for p in (ROOT / "skills").glob("*/SKILL.md"))
    assert skills == ["explain"]
    assert (ROOT / "skills" / "explain" / "SKILL.md").read_text(encoding="utf-8") == skill_text()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.update(name="Nanochat Explain"), "kebab-case"),
    (lambda m: m.update(homepage_url="x"), "not a documented field"),
    (lambda m: m.update(skills="skills/"), "start with ./"),
    (lambda m: m.update(skills="./../outside"), "inside the plugin"),
])
def test_the_validator_rejects_what_claude_code_rejects(tmp_path, edit, message):
    manifest = load("plugin.json")
    edit(manifest)
    (tmp_path / ".claude-plugin").mkdir()
    (tmp_path / ".claude-plugin" / "plugin.json").write_text(json.dumps(manifest))
    with pytest.raises(AssertionError, match=message):
        validate_plugin(tmp_path)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.pop("owner"), "required"),
    (lambda m: m["plugins"][0].update(source="../elsewhere"), "start with ./"),
    (lambda m: m["plugins"][0].update(name="other"), "other"),
    (lambda m: m.update(name="claude-plugins-official"), "claude-plugins-official"),
])
def test_the_marketplace_validator_rejects_bad_entries(tmp_path, edit, message):
    market = load("marketplace.json")
    edit(market)
    (tmp_path / ".claude-plugin").mkdir()
    (tmp_path / ".claude-plugin" / "marketplace.json").write_text(json.dumps(market))
    (tmp_path / ".claude-plugin" / "plugin.json").write_text(
        (PLUGIN_DIR / "plugin.json").read_text(encoding="utf-8"))
    with pytest.raises(AssertionError, match=message):
        validate_marketplace(tmp_path)
