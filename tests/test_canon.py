"""Canonical text is the same on every supported Python: ``ast.unparse`` as Python 3.11
writes it, where 3.10 and 3.12+ write tuples, lambdas, ``:=`` and f-strings otherwise.
CI runs this on the oldest and the newest Python the machine offers (.ci/pythons)."""

from __future__ import annotations

import ast
import sys

import pytest

from conftest import FIXTURES
from nanochat_explain.facts.canon import unparse

# (source, its canonical text): the cases where ast.unparse differs between versions
PINNED = [
    ('f"{x}"', "f'{x}'"),
    ("f'{x!r:>{w}}'", "f'{x!r:>{w}}'"),
    ("f\"{d['k']}\"", "f\"{d['k']}\""),
    ("f'{\"q\"}'", "f\"{'q'}\""),
    ('f"""{x}\n"""', "f'{x}\\n'"),
    ("'a' f'{b}'", "f'a{b}'"),
    ('f"{x=}"', "f'x={x!r}'"),
    ("f'it\\'s {x}'", "f\"it's {x}\""),
    ("f\"{'a' if x else 'b'}\"", "f\"{('a' if x else 'b')}\""),
    ("f'{x}' 'y\\n'", "f'{x}y\\n'"),
    ("f'{ {1: 2}[x] }'", "f'{ {1: 2}[x]}'"),
    ("f'{x!r:{\"a\"}>10}'", "f\"{x!r:{'a'}>10}\""),
    ("f'''{x}\n\"\"\"'''", "f'{x}\\n\"\"\"'"),
    ("[x for i, (a, b) in y]", "[x for i, (a, b) in y]"),
    ("[losses[i] for i, (si, ei) in enumerate(zip(s, e))]",
     "[losses[i] for i, (si, ei) in enumerate(zip(s, e))]"),
    ("a[1, 2]", "a[1, 2]"),
    ("a[(*b, c)]", "a[*b, c]"),
    ("a[()]", "a[()]"),
    ("lambda: (a, b)", "lambda: (a, b)"),
    ("lambda x, *y, z=1: x", "lambda x, *y, z=1: x"),
    ("((a := 1), b)", "((a := 1), b)"),
    ("f((y := 2))", "f((y := 2))"),
    ("x if (n := 1) else y", "x if (n := 1) else y"),
    ("(1,)", "(1,)"),
    ("()", "()"),
    ("-(-a // 4 // 128) * 128", "-(-a // 4 // 128) * 128"),
    ("a if b else (c if d else e)", "a if b else c if d else e"),
]


@pytest.mark.parametrize("source, text", PINNED)
def test_canonical_text_is_pinned(source: str, text: str) -> None:
    assert unparse(ast.parse(source, mode="eval").body) == text


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="ast.unparse of Python 3.11")
def test_equal_to_ast_unparse_of_python_3_11() -> None:
    checked = 0
    sources = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))]
    for source in [*sources, *(s for s, _ in PINNED)]:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.expr):
                assert unparse(node) == ast.unparse(node)
                checked += 1
    assert checked > 1000
