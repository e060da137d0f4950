"""``nanochat-explain mcp``: the same checked explanations for MCP clients, over stdio.

Built on the official MCP Python SDK (``mcp``, 2.x: ``mcp.server.MCPServer``), an optional
extra. Every tool is read-only and is one call into :mod:`nanochat_explain.commands.app`: its text
is the markdown rendering (what an agent relays), its structured content the very JSON
``--format json`` prints. An argument the core rejects (unknown module, bad revision,
absurd depth) comes back as a tool error carrying the core's one-line message. The tools
are plain functions the SDK runs on worker threads: each call builds its own session, so
concurrent calls share only caches, whose entries are written whole (a dict item in this
process, a file renamed into place on disk). Nothing here prints: standard output carries
the protocol only.
"""

import inspect
import json
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from nanochat_explain import __version__
from nanochat_explain.commands import app
from nanochat_explain.errors import ExplainError

INSTRUCTIONS = """\
Explanations of nanochat's architecture (Karpathy's full-stack ChatGPT clone) in which every \
statement is a claim checked against nanochat's code: a data-flow diagram, components with \
file:line, comparisons with GPT-2/nanoGPT and Llama 2, and papers. Use `find` to turn a \
question into the modules and checked statements that answer it, then `explain` a module. \
A statement marked ✗ no longer holds for this code: say so, with what the claim found, \
instead of repeating it. `diff` and `history` say when and how the architecture changed."""

FORMATS = ("markdown", "plain", "json")
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False,
                            idempotent_hint=True, open_world_hint=False)
MODULE_URI = "nanochat-explain://module/{name}"


def _result(what: str, value: Any, fmt: str = "markdown",
            problems: tuple[ExplainError, ...] = ()) -> CallToolResult:
    """Text in ``fmt`` and, as structured content, the JSON ``--format json`` prints."""
    from nanochat_explain.render import Options, render

    data = json.loads(render("json", what, value))
    text = render(fmt, what, value, Options(width=100, color=False))
    warnings = "".join(f"nanochat-explain: {p}\n" for p in problems)
    return CallToolResult(content=[TextContent(type="text", text=warnings + text)],
                          structured_content=data)


def _checked(call: Callable[[], CallToolResult]) -> CallToolResult:
    try:
        return call()
    except ExplainError as error:
        raise ToolError(str(error)) from None


def _depth(depth: int | None) -> int | None:
    if depth is not None and not 1 <= depth <= 1024:
        raise ToolError(f"depth {depth}: must be between 1 and 1024")
    return depth


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ToolError(f"format {fmt!r}: not one of {', '.join(FORMATS)}")
    return fmt


def build(repo: str | None = None) -> MCPServer:
    """The server, reading the checkout ``repo`` (else as the CLI would find one)."""
    server = MCPServer("nanochat-explain", version=__version__, instructions=INSTRUCTIONS,
                       log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def list_modules() -> CallToolResult:
        """The modules nanochat-explain explains, with their one-line summaries, source
        files and aliases."""
        return _checked(lambda: _result("listing", app.listing(None, repo)))

    @server.tool(annotations=READ_ONLY)
    def explain(
        module: Annotated[str, Field(description="A module or alias (see list_modules), "
                                                 "e.g. attention, rope, kv-cache")],
        ref: Annotated[str | None, Field(description="Explain the checkout as it was at "
                                                     "this git revision")] = None,
        depth: Annotated[int | None, Field(
            description="The concrete model base_train builds at --depth N (1 to 1024): "
                        "config, shapes, parameters, FLOPs",
            json_schema_extra={"minimum": 1, "maximum": 1024})] = None,
        format: Annotated[str, Field(description="Text format: markdown, plain or json",
                                     json_schema_extra={"enum": list(FORMATS)})] = "markdown",
    ) -> CallToolResult:
        """Explain one module of nanochat: data-flow diagram, components with file:line,
        comparisons and papers, every statement checked against the code."""
        fmt, n = _format(format), _depth(depth)

        def call() -> CallToolResult:
            run = app.explain(module, repo, ref=ref, depth=n)
            return _result("explanation", run.explanation, fmt, run.unreadable)

        return _checked(call)

    @server.tool(annotations=READ_ONLY)
    def check(
        modules: Annotated[list[str] | None, Field(
            description="The modules to check (default: all)")] = None,
    ) -> CallToolResult:
        """Check every claim of the modules against the code: which statements still
        hold, with file:line and what the code has when one does not."""

        def call() -> CallToolResult:
            run = app.check(tuple(modules or ()), repo)
            return _result("check", run.report, problems=run.unreadable)

        return _checked(call)

    @server.tool(annotations=READ_ONLY)
    def find(
        query: Annotated[str, Field(description="Words or a question, e.g. "
                                                "'how does the kv cache work'")],
        limit: Annotated[int, Field(description="How many statements to return",
                                    ge=1, le=500)] = 10,
    ) -> CallToolResult:
        """The modules and checked statements (components, comparison rows, claims,
        values read from the code) that match the words, best first, each with its
        status and file:line. No generated prose: only statements checked against the
        code. An empty query lists the modules."""
        return _checked(lambda: _result("find", app.find(query, repo, limit=limit)))

    def diff(**args: Any) -> CallToolResult:
        return _checked(lambda: _result(
            "diff", app.diff(args["module"], repo, args["from"], args.get("to") or "HEAD")))

    # "from" is the parameter's name, as in the CLI's --from; Python cannot spell it as
    # one, so the signature the SDK reads is given explicitly
    diff.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("module", inspect.Parameter.KEYWORD_ONLY,
                          annotation=Annotated[str, Field(description="A module or alias")]),
        inspect.Parameter("from_", inspect.Parameter.KEYWORD_ONLY,
                          annotation=Annotated[str, Field(alias="from",
                                                          description="The older revision")]),
        inspect.Parameter("to", inspect.Parameter.KEYWORD_ONLY, default="HEAD",
                          annotation=Annotated[str, Field(description="The newer revision")]),
    ], return_annotation=CallToolResult)
    server.add_tool(diff, name="diff", annotations=READ_ONLY, description=(
        "What changed in a module between two git revisions of the checkout: claims whose "
        "status changed, values read from the code (old -> new), symbols added, removed or "
        "moved."))

    @server.tool(annotations=READ_ONLY)
    def history(
        module: Annotated[str, Field(description="A module or alias")],
        since: Annotated[str | None, Field(description="Walk only the commits after this "
                                                       "revision")] = None,
    ) -> CallToolResult:
        """When each claim of a module started or stopped holding and each value read from
        the code changed, commit by commit: git blame for architecture facts."""
        return _checked(lambda: _result("history", app.history(module, repo, since)))

    def read(name: str) -> str:
        from nanochat_explain.render import Options, render

        try:
            run = app.explain(name, repo)
        except ExplainError as error:
            raise ResourceNotFoundError(str(error)) from None
        return render("markdown", "explanation", run.explanation, Options(color=False))

    for module in app.catalog().names():
        server.add_resource(FunctionResource.from_function(
            fn=lambda name=module: read(name), uri=MODULE_URI.format(name=module),
            name=module, description=f"The checked explanation of {module}, in markdown",
            mime_type="text/markdown"))

    @server.resource(MODULE_URI, name="module", mime_type="text/markdown")
    def module_resource(name: str) -> str:
        """The checked explanation of a module (or alias), in markdown."""
        return read(name)

    @server.prompt(name="explain", description="Explain a part of nanochat from its checked "
                                               "explanation")
    def explain_prompt(
        module: Annotated[str, Field(description="A module, an alias or a question; "
                                                 "empty lists the modules")] = "",
    ) -> str:
        return _prompt(module, repo)

    return server


def _prompt(words: str, repo: str | None) -> str:
    from nanochat_explain.render import Options, render

    found = app.find(words, repo)
    if found.empty_query or not found.modules:
        listing = render("markdown", "listing", app.listing(None, None), Options(color=False))
        lead = ("Nothing in the explanations matches those words. "
                if not found.empty_query else "")
        return (f"{lead}These are the parts of nanochat that nanochat-explain explains; "
                f"ask me which one I want explained.\n\n{listing}")
    module = found.modules[0].module
    run = app.explain(module, repo)
    text = render("markdown", "explanation", run.explanation, Options(color=False))
    return ("Explain this part of nanochat to me from the checked explanation below, not from "
            "memory: relay the data-flow diagram as it is and the components table; a "
            "statement marked ✗ no longer holds for the code, so say what the claim found "
            f"instead. For follow-up questions read the code at the file:line it cites.\n\n"
            f"{text}")


def serve(repo: str | None) -> None:
    """Serve over standard input and output until the client closes them."""
    from nanochat_explain.source.locate import locate

    locate(repo)  # a wrong --repo is an error now, not in every call
    build(repo).run("stdio")
