"""SVG: a picture of the terminal rendering (rich's export), for READMEs and slides."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console

from nanochat_explain.model import Explanation
from nanochat_explain.render import Options, terminal

if TYPE_CHECKING:
    from nanochat_explain.reports import CheckReport, CoverageReport, Listing


def _svg(draw: Callable[[Console, Any], Console], value: Any, options: Options,
         title: str) -> str:
    console = Console(file=io.StringIO(), record=True, width=options.width, force_terminal=True,
                      color_system="truecolor", highlight=False, emoji=False, _environ={})
    draw(console, value)
    return console.export_svg(title=title)


def explanation(exp: Explanation, options: Options) -> str:
    return _svg(terminal.print_explanation, exp, options, f"nanochat-explain {exp.template.module}")


def document(exps: list[Explanation], options: Options) -> str:
    return _svg(terminal.print_document, exps, options, "nanochat-explain all")


def check(report: CheckReport, options: Options) -> str:
    return _svg(terminal.print_check, report, options, "nanochat-explain check")


def coverage(report: CoverageReport, options: Options) -> str:
    return _svg(terminal.print_coverage, report, options, "nanochat-explain coverage")


def listing(listed: Listing, options: Options) -> str:
    return _svg(terminal.print_listing, listed, options, "nanochat-explain list")
