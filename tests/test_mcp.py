"""nanochat-explain mcp: the server started as a subprocess and driven over stdio by the
MCP SDK's own client, as an MCP client application would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from conftest import MINI, invoke
from nanochat_explain.templates.packaged import load_packaged

BIN = Path(sys.executable).parent
SCRIPT = BIN / "nanochat-explain"
TOOLS = {"list_modules", "explain", "check", "find", "diff", "history"}


def server(*args: str, cwd: Path | None = None) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if k != "NANOCHAT_DIR"}
    return StdioServerParameters(command=str(SCRIPT), args=["mcp", *args], env=env,
                                 cwd=str(cwd or Path.cwd()))


def drive(params: StdioServerParameters, session: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with Client(params) as client:
            return await session(client)

    return anyio.run(main)


def cli_json(*args: str) -> dict[str, Any]:
    result = invoke([*args, "--format", "json"])
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def text(result: Any) -> str:
    (block,) = result.content
    return block.text


@pytest.fixture
def checkout(mini_copy):
    git = ["git", "-C", str(mini_copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    gpt = mini_copy / "nanochat" / "gpt.py"
    gpt.write_text(gpt.read_text().replace("base=100000", "base=10000"))
    subprocess.run([*git, "commit", "-qam", "two"], check=True)
    return mini_copy


def test_every_tool_answers_with_the_json_of_the_cli(checkout):
    repo = str(checkout)

    async def session(client: Client) -> dict[str, Any]:
        listed = await client.list_tools()
        calls = {
            "list_modules": {},
            "explain": {"module": "rope"},
            "check": {"modules": ["mlp", "rotary"]},
            "find": {"query": "rope base"},
            "diff": {"module": "rotary", "from": "HEAD~1"},
            "history": {"module": "rotary"},
        }
        results = {name: await client.call_tool(name, args) for name, args in calls.items()}
        results["explain-plain"] = await client.call_tool(
            "explain", {"module": "mlp", "format": "plain"})
        return {"tools": listed.tools, **results}

    got = drive(server("--repo", repo), session)
    assert {t.name for t in got["tools"]} == TOOLS
    for tool in got["tools"]:
        assert tool.description and tool.annotations.read_only_hint is True
    diff_schema = next(t for t in got["tools"] if t.name == "diff").input_schema
    assert set(diff_schema["properties"]) == {"module", "from", "to"}
    assert diff_schema["required"] == ["module", "from"]
    expected = {
        "list_modules": cli_json("list", "--repo", repo),
        "explain": cli_json("explain", "rope", "--repo", repo),
        "check": cli_json("check", "mlp", "rotary", "--repo", repo),
        "find": cli_json("find", "rope base", "--repo", repo),
        "diff": cli_json("diff", "rotary", "--from", "HEAD~1", "--repo", repo),
        "history": cli_json("history", "rotary", "--repo", repo),
    }
    for name, data in expected.items():
        assert not got[name].is_error, text(got[name])
        assert got[name].structured_content == data, name
    assert got["diff"].structured_content["values"]  # the base moved between the commits
    markdown = invoke(["explain", "rope", "--repo", repo, "--format", "markdown"]).out
    assert text(got["explain"]) == markdown
    plain = invoke(["explain", "mlp", "--repo", repo, "--format", "plain"]).out
    assert text(got["explain-plain"]) == plain


BAD = [
    ("explain", {"module": "atention"}, "unknown module 'atention'; did you mean attention"),
    ("explain", {"module": "mlp", "ref": "no-such-rev"}, "--ref no-such-rev: no such revision"),
    ("explain", {"module": "mlp", "depth": 100000}, "depth 100000: must be between 1 and 1024"),
    ("explain", {"module": "mlp", "format": "yaml"}, "format 'yaml'"),
    ("check", {"modules": ["mlp", "nope"]}, "unknown module 'nope'"),
    ("diff", {"module": "mlp", "from": "no-such-rev"}, "no-such-rev"),
    ("history", {"module": "nope"}, "unknown module 'nope'"),
]


def test_bad_arguments_are_one_line_tool_errors(checkout):
    async def session(client: Client) -> list[Any]:
        return [await client.call_tool(tool, args) for tool, args, _ in BAD]

    results = drive(server("--repo", str(checkout)), session)
    for (tool, args, message), result in zip(BAD, results, strict=True):
        assert result.is_error, (tool, args)
        assert message in text(result) and "\n" not in text(result).strip(), (tool, args)
        assert "Traceback" not in text(result)


def test_resources_and_the_explain_prompt(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    async def session(client: Client) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resources": await client.list_resources(),
            "templates": await client.list_resource_templates(),
            "rope": await client.read_resource("nanochat-explain://module/rope"),
            "prompts": await client.list_prompts(),
            "free": await client.get_prompt("explain", {"module": "how does the kv cache work"}),
            "none": await client.get_prompt("explain", {}),
        }
        try:
            await client.read_resource("nanochat-explain://module/nope")
        except MCPError as error:
            out["error"] = error
        return out

    got = drive(server(cwd=empty), session)
    names = load_packaged().names()
    assert [r.uri for r in got["resources"].resources] == [
        f"nanochat-explain://module/{n}" for n in names]
    assert [t.uri_template for t in got["templates"].resource_templates] == [
        "nanochat-explain://module/{name}"]
    (content,) = got["rope"].contents
    cwd = Path.cwd()
    try:
        os.chdir(empty)
        rotary = invoke(["rotary", "--format", "markdown"]).out
    finally:
        os.chdir(cwd)
    assert content.text == rotary and "(bundled facts)" in rotary
    assert content.mime_type == "text/markdown"
    assert got["error"].error.code == -32602 and "unknown module 'nope'" in str(got["error"])
    (prompt,) = got["prompts"].prompts
    assert prompt.name == "explain" and [a.name for a in prompt.arguments] == ["module"]
    (message,) = got["free"].messages
    assert message.role == "user" and "\n# Engine: " in message.content.text
    listing = got["none"].messages[0].content.text
    assert all(f"| `{n}` |" in listing for n in names)


def test_concurrent_calls_give_what_calls_one_by_one_give():
    names = load_packaged().names()

    async def session(client: Client) -> tuple[list[Any], list[Any]]:
        calls = [("explain", {"module": n}) for n in names]
        calls += [("check", {}), ("find", {"query": "weight decay"}), ("list_modules", {})]
        one_by_one = [await client.call_tool(name, args) for name, args in calls]
        together: list[Any] = [None] * len(calls)

        async def call(i: int) -> None:
            together[i] = await client.call_tool(*calls[i])

        async with anyio.create_task_group() as group:
            for i in range(len(calls)):
                group.start_soon(call, i)
        # not a git checkout: history is refused, and the server keeps serving
        refused = await client.call_tool("history", {"module": "mlp"})
        assert refused.is_error and "history needs a git checkout" in text(refused)
        return one_by_one, together

    one_by_one, together = drive(server("--repo", str(MINI)), session)
    for a, b in zip(one_by_one, together, strict=True):
        assert not a.is_error and not b.is_error
        assert a.structured_content == b.structured_content
        assert text(a) == text(b)


def test_standard_output_carries_only_protocol(tmp_path):
    """Raw JSON-RPC over the pipes: every line the server writes is a protocol message,
    errors included, and it exits when its input closes."""
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "test", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "explain", "arguments": {"module": "mlp"}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "explain", "arguments": {"module": "nope"}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
         "params": {"name": "find", "arguments": {"query": "sliding window"}}},
    ]
    params = server("--repo", str(MINI))
    proc = subprocess.Popen([params.command, *params.args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=params.env)
    assert proc.stdin is not None and proc.stdout is not None
    messages = []
    try:
        for request in requests:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            if "id" in request:  # read up to its answer: closing stdin early cancels calls
                while not messages or messages[-1].get("id") != request["id"]:
                    messages.append(json.loads(proc.stdout.readline()))
        proc.stdin.close()
        rest = proc.stdout.read()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    messages += [json.loads(line) for line in rest.splitlines()]
    assert all(m["jsonrpc"] == "2.0" for m in messages)
    by_id = {m["id"]: m for m in messages if "id" in m}
    assert set(by_id) == {1, 2, 3, 4}
    assert by_id[2]["result"]["structuredContent"]["module"] == "mlp"
    assert by_id[3]["result"]["isError"] is True
    assert by_id[4]["result"]["structuredContent"]["modules"][0]["module"] == "flash"


def test_the_base_install_says_how_to_get_the_server(monkeypatch):
    import nanochat_explain.commands

    for name in ["mcp", *(n for n in sys.modules if n.startswith("mcp."))]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "nanochat_explain.commands.mcpserver", raising=False)
    monkeypatch.delattr(nanochat_explain.commands, "mcpserver", raising=False)
    result = invoke(["mcp"])
    assert result.code == 2 and result.out == ""
    assert result.err == ("nanochat-explain: the MCP server needs the mcp extra: "
                          "pip install 'nanochat-explain[mcp]'\n")


def test_a_wrong_repo_fails_before_serving(tmp_path):
    result = invoke(["mcp", "--repo", str(tmp_path / "nope")])
    assert result.code == 3 and "no such directory" in result.err


def test_the_sdk_is_an_extra_pinned_to_its_major_version():
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    base = pyproject[pyproject.index("dependencies = ["):]
    base = base[:base.index("]")]
    assert "mcp" not in base  # the base install stays without the SDK
    assert re.search(r'^mcp = \["mcp>=2,<3"\]', pyproject, re.M)
    import mcp.server

    assert hasattr(mcp.server, "MCPServer")  # the 2.x API the server is written against
