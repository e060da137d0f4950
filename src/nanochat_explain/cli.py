"""The command line: flags in (their table: :mod:`nanochat_explain.commands.flags`), one
call into the core, text out, an exit code back (:func:`run` is the one place errors become
exit codes)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from nanochat_explain import __version__
from nanochat_explain.commands.flags import FLAGS, SOURCE_FLAGS
from nanochat_explain.errors import (  # every exit code, importable from here too
    CANT_WRITE,  # noqa: F401
    EXIT_HELP,
    FAILED,
    INTERNAL,
    OK,
    SOURCE,  # noqa: F401
    USAGE,
    ExplainError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from nanochat_explain.commands.publish import Told

    F = TypeVar("F", bound=Callable[..., Any])


EXIT_CODES = "\b\n" + EXIT_HELP  # \b: click keeps the lines as they are


class _DefaultGroup(click.Group):
    """``nanochat-explain MODULE`` means ``nanochat-explain explain MODULE``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h",
                                                                      "--version"):
            args = ["explain", *args]
        return super().parse_args(ctx, args)


def _flags(*names: str) -> Callable[[F], F]:
    """The click options of the flags ``names``, in that order."""

    def apply(fn: F) -> F:
        for f in (FLAGS[name] for name in reversed(names)):
            kind: Any = (click.Choice(f.choices) if f.choices else
                         click.IntRange(*f.limits) if f.limits else None)
            fn = click.option(*f.decls, **({"type": kind} if kind else {}), **f.settings())(fn)
        return fn

    return apply


def _emit(fmt: str | None, what: str, value: Any) -> None:
    from nanochat_explain.render import for_stream

    text, color = for_stream(fmt, what, value, sys.stdout)
    # color=True stops click from stripping the escape codes rich wrote on purpose
    _out(text, color)


def _out(text: str | bytes, color: bool | None = None) -> None:
    from nanochat_explain.streams import lost

    try:
        click.echo(text, nl=False, color=color)
    except BrokenPipeError:  # the reader went away (| head): click ends the run quietly
        raise
    except OSError as exc:  # a full disk: an OutputError, with its documented code
        raise lost(exc, sys.stdout) from None


def _warn(errors: tuple[ExplainError, ...], notes: tuple[str, ...] = ()) -> None:
    for said in (*notes, *errors):
        click.echo(f"nanochat-explain: {said}", err=True)


def _tell(told: Told) -> int:
    _out(told.out)
    for line in told.err:
        click.echo(line, err=True)
    return told.exit_code


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
@_flags(*SOURCE_FLAGS, "ref", "base", "depth", "format", "strict")
def explain(module: str, repo: str | None, templates_dir: str | None, no_cache: bool,
            ref: str | None, base: str | None, depth: int | None, fmt: str | None,
            strict: bool) -> int:
    """Explain MODULE (see `list`), checked against the code."""
    from nanochat_explain.commands import app

    run = app.explain(module, repo, templates_dir, cache=not no_cache, ref=ref, depth=depth,
                      base=base)
    note = run.explanation.depth_note
    _warn(run.unreadable, (note,) if note else ())
    _emit(fmt, "explanation", run.explanation)
    # it rendered: unreadable files are shown as unchecked claims and said on stderr
    return FAILED if strict and run.explanation.status.value != "pass" else OK


@cli.command(epilog=EXIT_CODES)
@click.argument("modules", nargs=-1)
@_flags(*SOURCE_FLAGS, "ref", "format")
def check(modules: tuple[str, ...], repo: str | None, templates_dir: str | None,
          no_cache: bool, ref: str | None, fmt: str | None) -> int:
    """Check the claims of MODULES (default: all) against the code; for CI."""
    from nanochat_explain.commands import app

    run = app.check(modules, repo, templates_dir, cache=not no_cache, ref=ref)
    _warn(run.unreadable)
    _emit(fmt, "check", run.report)
    return OK if run.report.ok else FAILED


@cli.command(epilog=EXIT_CODES)
@_flags(*SOURCE_FLAGS, "format")
def coverage(repo: str | None, templates_dir: str | None, no_cache: bool,
             fmt: str | None) -> int:
    """List the classes and functions under nanochat/ and in scripts/base_train.py that no
    template mentions."""
    from nanochat_explain.commands import app

    _emit(fmt, "coverage", app.coverage(repo, templates_dir, cache=not no_cache))
    return OK


@cli.command(epilog=EXIT_CODES)
@_flags("repo:snapshot", "templates:snapshot", "output", "force:snapshot", "upstream", "until")
def snapshot(repo: str | None, templates_dir: str | None, out: str, force: bool,
             upstream: bool, until: str) -> int:
    """Write a facts snapshot of a checkout: names, lines, signatures, values, calls and
    assignments the templates read; never function bodies, comments or docstrings."""
    from nanochat_explain.commands import publish

    if upstream:
        return _tell(publish.snapshot_upstream(repo, out, force, templates_dir, until).told(out))
    if until != "HEAD":
        raise click.UsageError("--until goes with --upstream")
    return _tell(publish.snapshot(repo, out, force, templates_dir).told(out))


@cli.command("install-skill", epilog=EXIT_CODES)
@_flags("agent", "user", "dest", "check:skill", "force:skill")
def install_skill(agent: str, user: bool, dest: str | None, check_only: bool,
                  force: bool) -> int:
    """Install the /explain agent skill (the Agent Skills format)."""
    from nanochat_explain.commands import publish

    return _tell(publish.install_skill(dest, force, agent=agent, user=user,
                                       check=check_only).told(check_only))


@cli.command("all", epilog=EXIT_CODES)
@_flags(*SOURCE_FLAGS, "ref", "base", "depth", "format", "strict")
def all_(repo: str | None, templates_dir: str | None, no_cache: bool, ref: str | None,
         base: str | None, depth: int | None, fmt: str | None, strict: bool) -> int:
    """Explain every module in one document (markdown gets a table of contents)."""
    from nanochat_explain.commands import app

    run = app.explain_all(repo, templates_dir, cache=not no_cache, ref=ref, depth=depth,
                          base=base)
    _warn(run.unreadable, tuple(sorted({e.depth_note for e in run.explanations
                                        if e.depth_note})))
    _emit(fmt, "document", list(run.explanations))
    failing = any(e.status.value != "pass" for e in run.explanations)
    return FAILED if strict and failing else OK


@cli.command(epilog=EXIT_CODES)
@_flags(*SOURCE_FLAGS)
@click.argument("files", nargs=-1, metavar="[FILE]...")
@_flags("out", "update", "check:docs", "force:docs", "link-base")
def docs(files: tuple[str, ...], repo: str | None, templates_dir: str | None, no_cache: bool,
         out: str | None, update: bool, check_only: bool, force: bool,
         link_base: str | None) -> int:
    """Write (or with --check, verify) markdown docs of every module in a folder, or with
    --update, the explanation regions of your own markdown FILEs."""
    from nanochat_explain.commands import publish, regions

    if update == (out is not None):
        raise click.UsageError("give either --out DIR or --update FILE...")
    if out is None:  # --update
        if not files:
            raise click.UsageError("--update needs the markdown FILEs whose regions to fill")
        return _tell(regions.update(files, repo, check_only, templates_dir, cache=not no_cache,
                                    link_base=link_base).told(check_only))
    if files or link_base is not None:
        raise click.UsageError("FILEs and --link-base go with --update")
    return _tell(publish.docs(repo, out, check_only, force, templates_dir,
                              cache=not no_cache).told(out, check_only))


@cli.command("diff", epilog=EXIT_CODES)
@click.argument("module")
@_flags("from", "to", *SOURCE_FLAGS, "format:text")
def diff_(module: str, base: str, head: str, repo: str | None, templates_dir: str | None,
          no_cache: bool, fmt: str) -> int:
    """What changed in MODULE between two git revisions: claims whose status changed,
    values read from the code (old -> new), symbols added, removed or moved."""
    from nanochat_explain.commands import app

    _emit(fmt, "diff", app.diff(module, repo, base, head, templates_dir, cache=not no_cache))
    return OK


@cli.command("history", epilog=EXIT_CODES)
@click.argument("module")
@_flags("since", *SOURCE_FLAGS, "format:text")
def history_(module: str, since: str | None, repo: str | None, templates_dir: str | None,
             no_cache: bool, fmt: str) -> int:
    """When each claim of MODULE started or stopped holding and each value read from the
    code changed, commit by commit (git blame for architecture facts)."""
    from nanochat_explain.commands import app
    from nanochat_explain.render.progress import progress as bar

    with bar("walking commits") as progress:
        found = app.history(module, repo, since, templates_dir, cache=not no_cache,
                            progress=progress)
    _emit(fmt, "history", found)
    return OK


@cli.command("find", epilog=EXIT_CODES)
@click.argument("query", nargs=-1)
@_flags(*SOURCE_FLAGS, "ref", "limit", "format:text")
def find_(query: tuple[str, ...], repo: str | None, templates_dir: str | None,
          no_cache: bool, ref: str | None, limit: int, fmt: str) -> int:
    """The modules and checked statements that match the words of QUERY, best first,
    each with its status and file:line; with no words, every module. Exit 1 when
    nothing matches."""
    from nanochat_explain.commands import app

    found = app.find(" ".join(query), repo, templates_dir, cache=not no_cache, ref=ref,
                     limit=limit)
    _emit(fmt, "find", found)
    return OK if found.found else FAILED


@cli.command("mcp", epilog=EXIT_CODES)
@_flags("repo:mcp")
def mcp_(repo: str | None) -> int:
    """Serve list_modules, explain, check, find, diff and history to MCP clients over
    stdio (needs the mcp extra: pip install 'nanochat-explain[mcp]')."""
    from nanochat_explain.commands import serve

    serve.mcp(repo)
    return OK


@cli.command("list", epilog=EXIT_CODES)
@_flags("templates", "repo:list", "ref", "format")
def list_(templates_dir: str | None, repo: str | None, ref: str | None,
          fmt: str | None) -> int:
    """List every module with its summary and source files (with --repo or --ref, and the
    files missing there)."""
    from nanochat_explain.commands import app

    _emit(fmt, "listing", app.listing(templates_dir, repo, ref))
    return OK


def run(args: list[str] | None = None, *, debug: bool = False) -> int:
    """Run the CLI and return its exit code; the one place errors become codes."""
    try:
        result = cli.main(args=args, prog_name="nanochat-explain", standalone_mode=False)
    except ExplainError as error:
        click.echo(f"nanochat-explain: {error}", err=True)
        return error.exit_code
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
