"""``nanochat-explain mcp``: the MCP server of :mod:`nanochat_explain.commands.mcpserver`,
which needs the ``mcp`` extra; without it, a usage error that says how to install it."""

from __future__ import annotations

from nanochat_explain.errors import UsageError


def mcp(repo: str | None) -> None:
    try:
        from nanochat_explain.commands import mcpserver
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "mcp":
            raise
        raise UsageError("the MCP server needs the mcp extra: "
                         "pip install 'nanochat-explain[mcp]'") from None
    mcpserver.serve(repo)
