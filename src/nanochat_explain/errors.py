"""One exception tree; the CLI maps each class to an exit code in one place."""

from __future__ import annotations


class ExplainError(Exception):
    """Base of every error the tool reports on one line.

    ``file`` and ``line`` say where the problem is, ``key`` which template key
    (when it comes from a template).
    """

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


class OutputError(ExplainError):
    """An output file or folder that cannot be written (or, for ``docs --check``, read)."""
