"""SVG: a picture of the terminal rendering, for READMEs and slides.

Self-contained: it names locally installed monospace fonts and loads nothing from the
network. One ``<text>`` per line with a ``<tspan>`` per coloured run keeps the file small
(the whole ``all`` document is a few hundred kilobytes), and the picture is as wide as the
widest diagram needs, so no diagram line is cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from rich.style import Style
from rich.terminal_theme import SVG_EXPORT_THEME
from rich.text import Text

from nanochat_explain.explanation import Explanation
from nanochat_explain.render import Options, terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.model import CheckReport
    from nanochat_explain.reports import CoverageReport, Listing

FONTS = ("ui-monospace, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', "
         "'Noto Sans Mono', monospace")
FONT_SIZE = 14
CHAR_WIDTH = 8.43  # a monospace advance at 14 px (0.6 em), which these fonts share
LINE_HEIGHT = 18
PAD = 12


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rgb(style: Style, theme_default: str) -> str:
    color = style.bgcolor if style.reverse else style.color
    if color is None or color.is_default:
        return theme_default
    return color.get_truecolor(SVG_EXPORT_THEME).hex


def _attrs(style: Style, classes: dict[str, str]) -> str:
    """The class of a run's look, defined once in the style sheet."""
    fg = _rgb(style, SVG_EXPORT_THEME.foreground_color.hex)
    rules = [f"fill:{fg}"]
    if style.bold:
        rules.append("font-weight:bold")
    if style.italic:
        rules.append("font-style:italic")
    if style.dim:
        rules.append("opacity:0.7")
    if style.reverse:
        rules = [f"fill:{SVG_EXPORT_THEME.background_color.hex}", *rules[1:]]
    rule = ";".join(rules)
    if rule not in classes:
        classes[rule] = f"s{len(classes)}"
    return classes[rule]


def picture(ansi: str, columns: int, title: str) -> str:
    """An SVG of terminal output ``ansi`` (text with escape codes) at ``columns`` wide."""
    lines = Text.from_ansi(ansi).split("\n", allow_blank=True)
    while lines and not lines[-1].plain.strip():
        lines.pop()
    classes: dict[str, str] = {}
    body = []
    for n, line in enumerate(lines):
        y = PAD + (n + 1) * LINE_HEIGHT
        runs = []
        for text, style in _runs(line):
            if not style:
                runs.append(_escape(text))
            else:
                runs.append(f'<tspan class="{_attrs(style, classes)}">{_escape(text)}</tspan>')
        content = "".join(runs).rstrip()
        if content:
            body.append(f'<text x="{PAD}" y="{y}">{content}</text>')
    width = round(2 * PAD + columns * CHAR_WIDTH)
    height = PAD * 2 + (len(lines) + 1) * LINE_HEIGHT - LINE_HEIGHT // 2
    sheet = "".join(f".{name}{{{rule}}}" for rule, name in classes.items())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_escape(title)}">\n'
        f"<title>{_escape(title)}</title>\n"
        f"<style>text{{font-family:{FONTS};font-size:{FONT_SIZE}px;white-space:pre;"
        f"fill:{SVG_EXPORT_THEME.foreground_color.hex}}}{sheet}</style>\n"
        f'<rect width="100%" height="100%" rx="6" '
        f'fill="{SVG_EXPORT_THEME.background_color.hex}"/>\n'
        f'<g xml:space="preserve">\n' + "\n".join(body) + "\n</g>\n</svg>\n")


def _runs(line: Text) -> list[tuple[str, Style]]:
    """The line cut into runs of one look each."""
    plain = line.plain
    cuts = sorted({0, len(plain), *(s.start for s in line.spans), *(s.end for s in line.spans)})
    runs: list[tuple[str, Style]] = []
    for a, b in itertools.pairwise(cuts):
        if a >= b:
            continue
        style = Style()
        for span in line.spans:
            if span.start <= a and b <= span.end:
                style += span.style if isinstance(span.style, Style) else Style.parse(
                    str(span.style))
        runs.append((plain[a:b], style))
    return runs


def _draw(render: Callable[[Any, Options], str], value: Any, options: Options, title: str,
          diagrams: list[str]) -> str:
    needs = max((len(x) for d in diagrams for x in d.split("\n")), default=0)
    columns = max(options.width, needs + terminal.DIAGRAM_INDENT)
    ansi = render(value, Options(width=columns, color=True, encoding="utf-8"))
    return picture(ansi, columns, title)


def explanation(exp: Explanation, options: Options) -> str:
    return _draw(terminal.explanation, exp, options, f"nanochat-explain {exp.template.module}",
                 [exp.diagram])


def document(exps: list[Explanation], options: Options) -> str:
    return _draw(terminal.document, exps, options, "nanochat-explain all",
                 [e.diagram for e in exps])


def check(report: CheckReport, options: Options) -> str:
    return _draw(terminal.check, report, options, "nanochat-explain check", [])


def coverage(report: CoverageReport, options: Options) -> str:
    return _draw(terminal.coverage, report, options, "nanochat-explain coverage", [])


def listing(listed: Listing, options: Options) -> str:
    return _draw(terminal.listing, listed, options, "nanochat-explain list", [])
