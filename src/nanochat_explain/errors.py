"""One exception tree, each class with its exit code; the CLI turns them into exit codes in
one place (:func:`nanochat_explain.cli.run`)."""

from __future__ import annotations

# The exit codes, documented in ``--help`` and the README
OK, FAILED, USAGE, SOURCE, INTERNAL, CANT_WRITE = 0, 1, 2, 3, 70, 73
EXIT_HELP = f"""Exit codes:
  {OK}   success (explain rendered; check: every claim holds)
  {FAILED}   check or explain --strict: a failing claim; --check: a stale file;
      find: no match
  {USAGE}   usage error: unknown module or option, invalid template
  {SOURCE}   nanochat source missing or unreadable
  {INTERNAL}  internal error (please report it)
  {CANT_WRITE}  the output (a file, a folder, standard output) cannot be written
"""


class ExplainError(Exception):
    """Base of every error the tool reports on one line.

    ``file`` and ``line`` say where the problem is, ``key`` which template key
    (when it comes from a template).
    """

    exit_code = USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.key = key

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.key:
            where = f"{where}: {self.key}" if where else self.key
        return f"{where}: {self.message}" if where else self.message


class UsageError(ExplainError):
    """Bad arguments: an unknown module, a conflicting flag."""


class TemplateError(ExplainError):
    """A template that does not load or does not validate."""


class SourceError(ExplainError):
    """nanochat's source is missing, unreadable or not a nanochat checkout."""

    exit_code = SOURCE


class FileMissing(SourceError):
    """A source file that is not there (in the tree, at the revision, in the bundled
    facts): unlike one that does not read or parse, its absence says which version this
    is."""


class OutputError(ExplainError):
    """An output that cannot be written: a file or folder (or, for ``docs --check``, read),
    or standard output (a full disk)."""

    exit_code = CANT_WRITE
