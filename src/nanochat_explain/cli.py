"""The command line: flags in, one call into the core, text out, an exit code back.

Exit codes (also in ``--help`` and the README):

  0   success: explain rendered; check found every claim holding
  1   check (or explain --strict) found a claim that fails or cannot be checked;
      a --check found a stale file; find matched nothing
  2   usage error: unknown module or option, or an invalid template
  3   nanochat source missing or unreadable (nothing could be rendered)
  70  internal error (a bug: please report it)
  73  an output file or folder cannot be written
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from nanochat_explain import __version__
from nanochat_explain.errors import (
    ExplainError,
    OutputError,
    SourceError,
    TemplateError,
    UsageError,
)

OK, FAILED, USAGE, SOURCE, INTERNAL, CANT_WRITE = 0, 1, 2, 3, 70, 73

EXIT_CODES = f"""\b
Exit codes:
  {OK}   success (explain rendered; check: every claim holds)
  {FAILED}   check or explain --strict: a failing claim; --check: a stale file;
      find: no match
  {USAGE}   usage error: unknown module or option, invalid template
  {SOURCE}   nanochat source missing or unreadable
  {INTERNAL}  internal error (please report it)
  {CANT_WRITE}  an output file or folder cannot be written
"""

_ERROR_CODES: list[tuple[type[ExplainError], int]] = [
    (UsageError, USAGE),
    (TemplateError, USAGE),
    (SourceError, SOURCE),
    (OutputError, CANT_WRITE),
]

FORMAT_NAMES = ("terminal", "plain", "markdown", "json", "svg")
F = TypeVar("F", bound=Callable[..., Any])


def exit_code(error: ExplainError) -> int:
    for cls, code in _ERROR_CODES:
        if isinstance(error, cls):
            return code
    return USAGE


class _DefaultGroup(click.Group):
    """``nanochat-explain MODULE`` means ``nanochat-explain explain MODULE``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h",
                                                                      "--version"):
            args = ["explain", *args]
        return super().parse_args(ctx, args)


def _ref_option(fn: F) -> F:
    return click.option("--ref", metavar="REV",
                        help="Read nanochat as it was at git revision REV (from git's objects; "
                             "the work tree is not touched).")(fn)


def _base_option(fn: F) -> F:
    return click.option(
        "--base", metavar="REV",
        help="The revision a fork started from (default: the newest upstream nanochat commit "
             "in the checkout's history): say which forms the fork's own commits changed, "
             "and what upstream changed since.")(fn)


def _depth_option(fn: F) -> F:
    return click.option(
        "--depth", type=click.IntRange(1, 1024), metavar="N",
        help="Show the concrete model scripts/base_train.py builds at --depth N: config, "
             "numeric shapes, parameters, FLOPs, KV-cache bytes, optimizer groups.")(fn)


def _source_options(fn: F) -> F:
    fn = click.option("--no-cache", "no_cache", is_flag=True,
                      help="Parse every file again instead of using the facts cache "
                           "($NANOCHAT_EXPLAIN_CACHE, default: the user cache folder).")(fn)
    fn = click.option("--templates", "templates_dir", metavar="DIR",
                      help="Use the templates in DIR instead of the packaged ones.")(fn)
    fn = click.option("--repo", metavar="PATH",
                      help="nanochat checkout (default: $NANOCHAT_DIR, else the checkout "
                           "enclosing the current directory).")(fn)
    return fn


def _format_option(fn: F) -> F:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMAT_NAMES), default=None,
        help="Output format (default: terminal on a TTY, plain when piped).")(fn)


def _emit(fmt: str | None, what: str, value: Any) -> None:
    from nanochat_explain.render import Options, render

    is_tty = sys.stdout.isatty()
    fmt = fmt or ("terminal" if is_tty else "plain")
    color = "NO_COLOR" not in os.environ and (is_tty or fmt == "terminal")
    width = _columns() if is_tty else 100
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    # color=True stops click from stripping the escape codes rich wrote on purpose
    click.echo(render(fmt, what, value, Options(width=width, color=color, encoding=encoding)),
               nl=False, color=color)


def _columns() -> int:
    try:
        return int(os.environ.get("COLUMNS") or os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError):
        return 100


def _warn(errors: tuple[ExplainError, ...]) -> None:
    for error in errors:
        click.echo(f"nanochat-explain: {error}", err=True)


@click.group(cls=_DefaultGroup, epilog=EXIT_CODES,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nanochat-explain")
def cli() -> None:
    """Explain nanochat's architecture, module by module, with every statement
    checked against the code.

    \b
      nanochat-explain mlp                      # same as: nanochat-explain explain mlp
      nanochat-explain attention --format markdown > attention.md
      nanochat-explain check                    # exit 1 when a claim no longer holds
      nanochat-explain list
    """


@cli.command(epilog=EXIT_CODES)
@click.argument("module")
@_source_options
@_ref_option
@_base_option
@_depth_option
@_format_option
@click.option("--strict", is_flag=True, help="Exit 1 when any claim fails or errors.")
def explain(module: str, repo: str | None, templates_dir: str | None, no_cache: bool,
            ref: str | None, base: str | None, depth: int | None, fmt: str | None,
            strict: bool) -> int:
    """Explain MODULE (see `list`), checked against the code."""
    from nanochat_explain import app

    run = app.explain(module, repo, templates_dir, cache=not no_cache, ref=ref, depth=depth,
                      base=base)
    if run.explanation.depth_note:
        click.echo(f"nanochat-explain: {run.explanation.depth_note}", err=True)
    _warn(run.unreadable)
    _emit(fmt, "explanation", run.explanation)
    # it rendered: unreadable files are shown as unchecked claims and said on stderr
    return FAILED if strict and run.explanation.status.value != "pass" else OK


@cli.command(epilog=EXIT_CODES)
@click.argument("modules", nargs=-1)
@_source_options
@_ref_option
@_format_option
def check(modules: tuple[str, ...], repo: str | None, templates_dir: str | None,
          no_cache: bool, ref: str | None, fmt: str | None) -> int:
    """Check the claims of MODULES (default: all) against the code; for CI."""
    from nanochat_explain import app

    run = app.check(modules, repo, templates_dir, cache=not no_cache, ref=ref)
    _warn(run.unreadable)
    _emit(fmt, "check", run.report)
    return OK if run.report.ok else FAILED


@cli.command(epilog=EXIT_CODES)
@_source_options
@_format_option
def coverage(repo: str | None, templates_dir: str | None, no_cache: bool,
             fmt: str | None) -> int:
    """List the classes and functions under nanochat/ and in scripts/base_train.py that no
    template mentions."""
    from nanochat_explain import app

    _emit(fmt, "coverage", app.coverage(repo, templates_dir, cache=not no_cache))
    return OK


@cli.command(epilog=EXIT_CODES)
@click.option("--repo", metavar="PATH",
              help="nanochat checkout (default: $NANOCHAT_DIR, else the enclosing checkout).")
@click.option("--templates", "templates_dir", metavar="DIR",
              help="Snapshot the files the templates in DIR read.")
@click.option("-o", "--output", "out", metavar="FILE", required=True,
              help="Where to write the snapshot ('-' for standard output).")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists and differs.")
@click.option("--upstream", is_flag=True,
              help="Write instead the bundle of upstream facts (the package's "
                   "data/upstream.facts.zlib): the facts of every version of every file the "
                   "templates read, at every commit of the clone up to --until.")
@click.option("--until", metavar="REV", default="HEAD", show_default=True,
              help="With --upstream: the newest commit.")
def snapshot(repo: str | None, templates_dir: str | None, out: str, force: bool,
             upstream: bool, until: str) -> int:
    """Write a facts snapshot of a checkout: names, lines, signatures, values, calls and
    assignments the templates read; never function bodies, comments or docstrings."""
    from nanochat_explain import publish

    if upstream:
        built = publish.snapshot_upstream(repo, out, force, templates_dir, until)
        if out == "-":
            click.echo(built.data, nl=False)
        else:
            state = "wrote" if built.written else "unchanged:"
            click.echo(f"{state} {out} ({built.blobs} blobs of {built.paths} files at "
                       f"{built.commits} commits, {len(built.data):,} bytes)", err=True)
        return OK
    if until != "HEAD":
        raise click.UsageError("--until goes with --upstream")
    run = publish.snapshot(repo, out, force, templates_dir)
    if out == "-":
        click.echo(run.text, nl=False)
    else:
        state = "wrote" if run.written else "unchanged:"
        click.echo(f"{state} {out} ({run.files} files, nanochat@{run.commit})", err=True)
    return OK


@cli.command("install-skill", epilog=EXIT_CODES)
@click.option("--agent", type=click.Choice(("claude", "agents")), default="claude",
              show_default=True,
              help="claude: .claude/skills/explain/ (Claude Code); agents: "
                   ".agents/skills/explain/ (Codex, Gemini CLI, OpenCode, Cursor).")
@click.option("--user", is_flag=True, help="Install under the home folder, for every project.")
@click.option("--dest", metavar="DIR",
              help="Install under DIR (default: the nanochat checkout if one is found, else "
                   "the current directory).")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 with a diff when the installed skill differs from "
                   "this version's.")
@click.option("--force", is_flag=True, help="Overwrite an existing SKILL.md that differs.")
def install_skill(agent: str, user: bool, dest: str | None, check_only: bool,
                  force: bool) -> int:
    """Install the /explain agent skill (the Agent Skills format)."""
    from nanochat_explain import publish

    run = publish.install_skill(dest, force, agent=agent, user=user, check=check_only)
    if check_only:
        if run.diff:
            click.echo(run.diff, nl=False)
            click.echo(f"nanochat-explain: {run.path} differs from this version's skill; "
                       "update it with nanochat-explain install-skill --force", err=True)
            return FAILED
        click.echo(f"{run.path} is this version's skill", err=True)
        return OK
    click.echo(f"{'wrote' if run.written else 'unchanged:'} {run.path}")
    return OK


@cli.command("all", epilog=EXIT_CODES)
@_source_options
@_ref_option
@_base_option
@_depth_option
@_format_option
@click.option("--strict", is_flag=True, help="Exit 1 when any claim fails or errors.")
def all_(repo: str | None, templates_dir: str | None, no_cache: bool, ref: str | None,
         base: str | None, depth: int | None, fmt: str | None, strict: bool) -> int:
    """Explain every module in one document (markdown gets a table of contents)."""
    from nanochat_explain import app

    run = app.explain_all(repo, templates_dir, cache=not no_cache, ref=ref, depth=depth,
                          base=base)
    notes = {e.depth_note for e in run.explanations if e.depth_note}
    for note in sorted(notes):
        click.echo(f"nanochat-explain: {note}", err=True)
    _warn(run.unreadable)
    _emit(fmt, "document", list(run.explanations))
    failing = any(e.status.value != "pass" for e in run.explanations)
    return FAILED if strict and failing else OK


@cli.command(epilog=EXIT_CODES)
@_source_options
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option("--out", "out", metavar="DIR",
              help="Folder for one markdown file per module and an index.md.")
@click.option("--update", "update", is_flag=True,
              help="Fill the <!-- nanochat-explain: MODULE --> ... <!-- /nanochat-explain --> "
                   "regions of the markdown FILEs, leaving the rest of them untouched.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; print a unified diff and exit 1 when a file (or region) "
                   "differs from what the code says now.")
@click.option("--force", is_flag=True,
              help="Overwrite files in DIR that nanochat-explain did not write.")
@click.option("--link-base", metavar="URL",
              help="With --update: link file:line references to URL/FILE#LLINE (default: the "
                   "commit on GitHub when the checkout's remote is there; else no links).")
def docs(files: tuple[str, ...], repo: str | None, templates_dir: str | None, no_cache: bool,
         out: str | None, update: bool, check_only: bool, force: bool,
         link_base: str | None) -> int:
    """Write (or with --check, verify) markdown docs of every module in a folder, or with
    --update, the explanation regions of your own markdown FILEs."""
    from nanochat_explain import publish

    if update == (out is not None):
        raise click.UsageError("give either --out DIR or --update FILE...")
    if update:
        return _update_regions(files, repo, templates_dir, no_cache, check_only, link_base)
    if files or link_base is not None:
        raise click.UsageError("FILEs and --link-base go with --update")
    assert out is not None
    run = publish.docs(repo, out, check_only, force, templates_dir, cache=not no_cache)
    _warn(run.unreadable)
    if check_only:
        if run.diff:
            click.echo(run.diff, nl=False)
            click.echo(f"nanochat-explain: docs in {out} differ from the code; regenerate with "
                       f"nanochat-explain docs --out {out}", err=True)
            return FAILED
        click.echo(f"docs in {out} match the code ({len(run.files)} files)", err=True)
        return SOURCE if run.unreadable else OK
    click.echo(f"wrote {len(run.written)} of {len(run.files)} files in {out}", err=True)
    return SOURCE if run.unreadable else OK


def _update_regions(files: tuple[str, ...], repo: str | None, templates_dir: str | None,
                    no_cache: bool, check_only: bool, link_base: str | None) -> int:
    from nanochat_explain import regions

    if not files:
        raise click.UsageError("--update needs the markdown FILEs whose regions to fill")
    run = regions.update(files, repo, check_only, templates_dir, cache=not no_cache,
                         link_base=link_base)
    _warn(run.unreadable)
    if check_only and run.diff:
        click.echo(run.diff, nl=False)
        click.echo(f"nanochat-explain: regions in {', '.join(run.changed)} differ from the "
                   f"code; update them with nanochat-explain docs --update "
                   f"{' '.join(run.changed)}", err=True)
        return FAILED
    for name, count in run.files:
        noun = "region" if count == 1 else "regions"
        if check_only:
            state = "match the code:"
        else:
            state = "updated" if name in run.changed else "unchanged:"
        click.echo(f"{state} {name} ({count} {noun})", err=True)
    return SOURCE if run.unreadable else OK


@cli.command("diff", epilog=EXIT_CODES)
@click.argument("module")
@click.option("--from", "base", metavar="REV", required=True, help="The older revision.")
@click.option("--to", "head", metavar="REV", default="HEAD", show_default=True,
              help="The newer revision.")
@_source_options
@click.option("--format", "fmt", type=click.Choice(("plain", "markdown", "json")),
              default="plain", help="Output format.")
def diff_(module: str, base: str, head: str, repo: str | None, templates_dir: str | None,
          no_cache: bool, fmt: str) -> int:
    """What changed in MODULE between two git revisions: claims whose status changed,
    values read from the code (old -> new), symbols added, removed or moved."""
    from nanochat_explain import app

    _emit(fmt, "diff", app.diff(module, repo, base, head, templates_dir, cache=not no_cache))
    return OK


@cli.command("history", epilog=EXIT_CODES)
@click.argument("module")
@click.option("--since", metavar="REV",
              help="Walk only the commits after REV (default: the whole history).")
@_source_options
@click.option("--format", "fmt", type=click.Choice(("plain", "markdown", "json")),
              default="plain", help="Output format.")
def history_(module: str, since: str | None, repo: str | None, templates_dir: str | None,
             no_cache: bool, fmt: str) -> int:
    """When each claim of MODULE started or stopped holding and each value read from the
    code changed, commit by commit (git blame for architecture facts)."""
    from nanochat_explain import app

    with _progress("walking commits") as progress:
        found = app.history(module, repo, since, templates_dir, cache=not no_cache,
                            progress=progress)
    _emit(fmt, "history", found)
    return OK


@contextlib.contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@cli.command("find", epilog=EXIT_CODES)
@click.argument("query", nargs=-1)
@_source_options
@_ref_option
@click.option("--limit", type=click.IntRange(1, 500), default=10, show_default=True,
              help="How many statements to show.")
@click.option("--format", "fmt", type=click.Choice(("plain", "markdown", "json")),
              default="plain", help="Output format.")
def find_(query: tuple[str, ...], repo: str | None, templates_dir: str | None,
          no_cache: bool, ref: str | None, limit: int, fmt: str) -> int:
    """The modules and checked statements that match the words of QUERY, best first,
    each with its status and file:line; with no words, every module. Exit 1 when
    nothing matches."""
    from nanochat_explain import app

    found = app.find(" ".join(query), repo, templates_dir, cache=not no_cache, ref=ref,
                     limit=limit)
    _emit(fmt, "find", found)
    return OK if found.found else FAILED


@cli.command("mcp", epilog=EXIT_CODES)
@click.option("--repo", metavar="PATH",
              help="nanochat checkout (default: $NANOCHAT_DIR, else the checkout enclosing the "
                   "current directory, else the bundled facts).")
def mcp_(repo: str | None) -> int:
    """Serve list_modules, explain, check, find, diff and history to MCP clients over
    stdio (needs the mcp extra: pip install 'nanochat-explain[mcp]')."""
    try:
        from nanochat_explain import mcpserver
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "mcp":
            raise
        raise UsageError("the MCP server needs the mcp extra: "
                         "pip install 'nanochat-explain[mcp]'") from None
    mcpserver.serve(repo)
    return OK


@cli.command("list", epilog=EXIT_CODES)
@click.option("--templates", "templates_dir", metavar="DIR",
              help="Use the templates in DIR instead of the packaged ones.")
@click.option("--repo", metavar="PATH",
              help="Also say which files each module needs that this checkout lacks.")
@_ref_option
@_format_option
def list_(templates_dir: str | None, repo: str | None, ref: str | None,
          fmt: str | None) -> int:
    """List every module with its summary and source files (with --repo or --ref, and the
    files missing there)."""
    from nanochat_explain import app

    _emit(fmt, "listing", app.listing(templates_dir, repo, ref))
    return OK


def run(args: list[str] | None = None, *, debug: bool = False) -> int:
    """Run the CLI and return its exit code; the one place errors become codes."""
    try:
        result = cli.main(args=args, prog_name="nanochat-explain", standalone_mode=False)
    except ExplainError as error:
        click.echo(f"nanochat-explain: {error}", err=True)
        return exit_code(error)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return USAGE
    except click.Abort:
        click.echo("nanochat-explain: aborted", err=True)
        return FAILED
    except Exception as exc:  # the last line of defence: a bug, not the user's fault
        if debug:
            raise
        click.echo(f"nanochat-explain: internal error: {type(exc).__name__}: {exc}; "
                   "please report", err=True)
        return INTERNAL
    return int(result) if isinstance(result, int) else OK


def main() -> None:
    args = sys.argv[1:]
    debug = "--debug" in args
    if debug:
        args = [a for a in args if a != "--debug"]
    sys.exit(run(args, debug=debug))
