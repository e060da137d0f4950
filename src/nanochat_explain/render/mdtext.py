"""Prose made safe for Markdown as GitHub (cmark-gfm) and MkDocs render it.

Template prose is full of code: ``CausalSelfAttention.__init__``, ``model_<step>.pt``,
``<|bos|>``, ``self.value_embeds[str(i)](idx)``. Left bare, Markdown turns them into
emphasis, raw HTML that is swallowed, strikethrough or links. :func:`inline` puts each
code-like word in a code span and escapes every other character Markdown could read as
markup, so the page shows exactly the text the template wrote.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z0-9_]+")
_ANGLE = re.compile(r"</?[^<>\s]+>")
_OPEN = {"(": ")", "[": "]"}
_MAX_BRACKETS = 120  # a bracket left open is prose, not code: look no further than this
_ESCAPE = set("\\`*_[]<>~&#!")  # backslash escapes that CommonMark defines for these
_NOT_CODE = re.compile(r"[0-9.]+|[A-Za-z]\.[A-Za-z]")  # 0.95, 3.14, e.g, i.e


def code(text: str) -> str:
    """A code span holding ``text`` exactly, whatever backticks it contains."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _brackets(text: str, i: int) -> int | None:
    """The index after the bracket opened at ``i`` closes, or None."""
    stack: list[str] = []
    for j in range(i, min(len(text), i + _MAX_BRACKETS)):
        ch = text[j]
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch in ")]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return j + 1
        elif ch == "\n":
            return None
    return None


def _token_end(text: str, i: int) -> int:
    """Where the word starting at ``i`` ends: identifier characters, dots, balanced
    brackets and ``<...>`` groups without spaces, joined."""
    j = i
    while j < len(text):
        m = _WORD.match(text, j) or _ANGLE.match(text, j)
        if m:
            j = m.end()
            continue
        if text[j] == "." and j + 1 < len(text) and (_WORD.match(text, j + 1)
                                                    or _ANGLE.match(text, j + 1)):
            j += 1
            continue
        if text[j] in _OPEN and j > i:
            end = _brackets(text, j)
            if end is not None:
                j = end
                continue
        break
    return j


def _is_code(token: str) -> bool:
    if _NOT_CODE.fullmatch(token):
        return False
    return any(c in token for c in "_([<>") or bool(re.search(r"\w\.\w", token))


def inline(text: str) -> str:
    """``text`` as Markdown that renders as ``text``: code-like words in code spans,
    every other character that Markdown could take for markup escaped."""
    out: list[str] = []
    i = 0
    while i < len(text):
        starts = (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and (
            _WORD.match(text, i) or _ANGLE.match(text, i))
        if starts:
            end = _token_end(text, i)
            token = text[i:end]
            if _is_code(token):
                out.append(code(token))
                i = end
                continue
            out.append(_escape(token))
            i = end
            continue
        ch = text[i]
        # GitHub links a bare scheme://... or name@host by itself; an escape stops it
        autolink = ch == "@" or (ch == ":" and text.startswith("//", i + 1))
        out.append("\\" + ch if autolink else _escape(ch))
        i += 1
    return "".join(out)


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in _ESCAPE else ch for ch in text)


def cell(text: str) -> str:
    """A table cell's Markdown on one line; a pipe, even in a code span, is escaped
    (GitHub splits cells on it otherwise)."""
    return " ".join(text.split()).replace("|", "\\|")
