"""The console script: ``nanochat-explain MODULE`` and ``nanochat-explain check`` into a
pipe or a file without importing click, everything else through the click CLI
(:mod:`nanochat_explain.cli`).

Importing click costs about as much as explaining a module from the cache, and the most
common calls, one module explained or the claims checked, in text, need none of it. Only
the simplest spelling of those calls is taken here; any other word, option, spelling or
error goes to the click CLI, which runs the command from the start (nothing has been
written yet), so every message and exit code is the CLI's own.
"""

from __future__ import annotations

import sys

# the options taken here, each once, each followed by its value as the next word
_OPTIONS = ("--repo", "--format")
_FORMATS = ("plain", "markdown", "json")  # output that needs neither rich nor a terminal
_COMMANDS = frozenset({"explain", "check", "coverage", "snapshot", "install-skill", "all",
                       "docs", "diff", "history", "find", "mcp", "list"})


def _simple(args: list[str]) -> tuple[str, list[str], dict[str, str]] | None:
    """(command, modules, options) of ``[explain] MODULE [OPTIONS]`` or ``check
    [MODULE]... [OPTIONS]``, the options being ``--repo PATH`` and ``--format FMT``; None
    for anything else."""
    command = "check" if args[:1] == ["check"] else "explain"
    if args[:1] in (["explain"], ["check"]):
        args = args[1:]
    elif not args or args[0] in _COMMANDS:
        return None
    words = 0
    while words < len(args) and not args[words].startswith("-"):
        words += 1
    if words != 1 and command == "explain":
        return None
    modules, rest = args[:words], args[words:]
    options: dict[str, str] = {}
    while rest:
        if len(rest) < 2 or rest[0] not in _OPTIONS or rest[0] in options \
                or rest[1].startswith("-"):
            return None
        options[rest[0]] = rest[1]
        rest = rest[2:]
    fmt = options.get("--format")
    if fmt is None and sys.stdout.isatty():
        return None  # the terminal format: rich, at the terminal's width
    if (fmt or "plain") not in _FORMATS:
        return None
    return command, modules, options


def quick(args: list[str]) -> int | None:
    """The exit code of a simple ``explain`` or ``check`` done here, or None when the CLI
    must run."""
    found = _simple(args)
    if found is None:
        return None
    command, modules, options = found
    from nanochat_explain.commands import app
    from nanochat_explain.render import Options, render

    try:
        repo = options.get("--repo")
        value: object
        if command == "check":
            checked = app.check(tuple(modules), repo)
            what, value, unreadable = "check", checked.report, checked.unreadable
            code = 0 if checked.report.ok else 1
        else:
            explained = app.explain(modules[0], repo)
            what, value, unreadable = "explanation", explained.explanation, explained.unreadable
            code = 0
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        text = render(options.get("--format", "plain"), what, value,
                      Options(width=100, color=False, encoding=encoding))
        text.encode(encoding)  # what the stream cannot take, the CLI reports in its words
    except KeyboardInterrupt:
        print("\nnanochat-explain: aborted", file=sys.stderr)  # as click and the CLI say it
        return 1
    except Exception:  # an error or a bug: the CLI says it, with its exit code
        return None
    if "\x1b" in text:
        return None  # click would strip what looks like a terminal escape code
    for error in unreadable:
        print(f"nanochat-explain: {error}", file=sys.stderr)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (| head): as click ends it, quietly
        from nanochat_explain.streams import silence

        silence(sys.stdout)
        return 1
    except OSError as exc:  # a full disk: said on one line, with the documented code
        from nanochat_explain.streams import lost

        error = lost(exc, sys.stdout)
        print(f"nanochat-explain: {error}", file=sys.stderr)
        return error.exit_code
    return code


def main() -> None:
    import gc

    # A run is short and makes many small objects that live until it ends (facts, claims,
    # results): the collector's default pace spends a tenth of a check walking them to
    # find no garbage.
    gc.set_threshold(100_000, 50, 100)
    args = sys.argv[1:]
    try:
        code = quick(args) if "--debug" not in args else None
        if code is not None:
            sys.exit(code)
        from nanochat_explain.cli import main as cli_main

        cli_main()
    finally:
        # Python's exit would walk every object still alive for garbage (about 25 ms of a
        # cold check): frozen, they are left to the end of the process, which frees them
        gc.freeze()
