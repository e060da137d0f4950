"""Canonical text of an expression: how facts and templates spell expressions alike.

The canonical text is what ``ast.unparse`` writes for the parsed expression, so that
``Linear(a,b , bias = False)`` and ``Linear(a, b, bias=False)`` compare equal.
"""

from __future__ import annotations

import ast

_PRINTED: dict[str, str] = {}  # source text -> canonical text, for this process


def unparse_source(text: str) -> str:
    """The canonical text of the expression ``text`` (as it stands in a file: it may run
    over lines, hold comments, or be a generator expression without its parentheses)."""
    printed = _PRINTED.get(text)
    if printed is None:
        if len(_PRINTED) > 50_000:
            _PRINTED.clear()
        printed = _PRINTED[text] = ast.unparse(ast.parse(f"({text})", mode="eval").body)
    return printed
