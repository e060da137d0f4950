"""Renderers: one module per format, each a set of pure functions returning text.

Modules are imported only when their format is asked for, so the CLI does not
pay for rich when it prints JSON.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO


FORMATS = ("terminal", "plain", "markdown", "json", "svg")


@dataclass(frozen=True)
class Options:
    """How to render: width, colour and the output's encoding."""

    width: int = 100
    color: bool = True
    encoding: str = "utf-8"  # of the stream the text goes to; see render.charset


def _module(fmt: str) -> Any:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    return importlib.import_module(f"nanochat_explain.render.{fmt}")


def render(fmt: str, what: str, value: Any, options: Options | None = None) -> str:
    """Render ``value`` (an explanation, check report or catalog listing) as text.

    ``what`` names the function every renderer module provides:
    ``explanation``, ``document`` (a list of explanations), ``check``, ``coverage``,
    ``listing`` or (plain, markdown and json only) ``diff`` and ``history``.
    """
    from nanochat_explain.render.charset import fit

    options = options or Options()
    fn = getattr(_module(fmt), what)
    return fit(fmt, str(fn(value, options)), options.encoding)


def for_stream(fmt: str | None, what: str, value: Any, stream: TextIO) -> tuple[str, bool]:
    """``value`` rendered for ``stream``, and whether in colour: by default in the terminal
    format on a terminal, at its width, else plain; never in colour with ``NO_COLOR``."""
    is_tty = stream.isatty()
    fmt = fmt or ("terminal" if is_tty else "plain")
    color = "NO_COLOR" not in os.environ and (is_tty or fmt == "terminal")
    width = _columns(stream) if is_tty else 100
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return render(fmt, what, value, Options(width=width, color=color, encoding=encoding)), color


def _columns(stream: TextIO) -> int:
    try:
        return int(os.environ.get("COLUMNS") or os.get_terminal_size(stream.fileno()).columns)
    except (OSError, ValueError):
        return 100
