"""The libcst extractor reproduces every fact the ast extractor it replaced produced.

The old extractor is kept as an oracle (``ast_oracle``). Its facts are compared field by
field with the new extractor's on every fixture file, on the odd layouts in
fixtures/odd, on small sources below, and (opt-in, NANOCHAT_DIR) on every ``.py`` file
of 30 revisions spread over nanochat's history.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from textwrap import dedent

import pytest

import ast_oracle
from conftest import FIXTURES, ROOT
from nanochat_explain.extract import extract
from nanochat_explain.facts import Function

sys.path.insert(0, str(ROOT / "bench"))
from compare_extractors import compare, differences

PY_FIXTURES = sorted(FIXTURES.rglob("*.py"))

SOURCES = {
    "empty": "",
    "no trailing newline": "x = f(1)",
    "crlf": "def f(a,\r\n      b):\r\n    return g(a)\r\n",
    "lone cr": "x = 1\ry = f(x)\r",
    "semicolons": "a = f(); b = g(a); return_ = h()\n",
    "decorator on one line": "@d(1)\n@e\ndef f(): pass\n",
    "nested scopes": dedent("""\
        class A:
            x = f()
            def m(self):
                def inner():
                    class B:
                        y = g()
                    return B
                return inner
        """),
    "call chains": "x = a.b(c).d[e](f)(g=h, *i, **j).k\n",
    "parenthesised callee": "y = (f)(1); z = (a.b)(2); w = (lambda: 1)()\n",
    "starred after keyword": "f(a, k=1, *b, **c)\nf(*(x or y))\n",
    "walrus and f-string": "if (n := f(x)) > 1:\n    print(f'{n!r:>{w}}', f\"{d['k']}\")\n",
    "match": dedent("""\
        match p:
            case Point(x=0) if ok(p):
                go()
            case [1, *rest]:
                stop(rest)
        """),
    "backslash augassign": "x \\\n  += 1\ny += \\\n  2\nz[\n0] += (\n3)\n",
    "annotations": "a: int\nb: list[int] = []\nc: 'T' = f()\nd.e: int = 2\n",
    "tuples": "a, = b\n(c, d) = e, f\n[g, h] = i\nj = k, *l\nm = ()\nn = (o,)\n",
    "numbers and strings": "a = 0, 00, 1_0, 0xFF, 1., .5, 1e-3, 3j, 'a\\tb', r'\\d', b'x', u'y'\n",
    "conditions": ("assert a, b\nwhile c:\n    pass\nx = d if e else f\nif g:\n    pass\n"
                   "elif h:\n    pass\n"),
    "lambda defaults": "f = lambda a, b=g(), *c, d=h(), **e: (a, b)\n",
    "comprehensions": "x = [f(a) for a in g() if h(a)]\ny = {k: v(k) for k in z}\n",
    "imports in blocks": dedent("""\
        import a.b.c
        from .x import y as z
        try:
            import q
        except E:
            import r
        else:
            import s
        finally:
            import t
        if u:
            from v import *
        """),
    "async": "async def f():\n    async with a() as b:\n        await c(b)\n",
    "unicode columns": "ä = 'ü'; b = f('é')\nc = g(h('ö'), 'ß')\n",
    "global and del": "def f():\n    global g\n    del g[h()]\n",
    "return forms": "def f(a):\n    if a:\n        return\n    return a, b\n",
    "class keywords": "class A(B, *C, metaclass=M, **k):\n    pass\n",
    "blocks": dedent("""\
        def f(a):
            if a > 0:
                x = g(a)
            elif h(a):
                return 1
            else:
                if k:
                    y += 1
            for i, (p, q) in enumerate(zip(a, b)):
                with torch.no_grad(), ctx() as (c, d):
                    try:
                        m(c)
                    except (ValueError, KeyError) as e:
                        n(e)
                    except:
                        pass
                    else:
                        o()
                    finally:
                        r()
            else:
                s()
            while t(a):
                u()
            else:
                v()
            return w
        if z:
            @dec(1)
            def inner():
                return f(2)
            class C:
                if y:
                    k = 3
        """),
    "async blocks": "async def f():\n    async for x in y:\n        async with a as b:\n"
                    "            await c(b)\n",
    "match blocks": "match p:\n    case [x] if x:\n        go(x)\n",
    "long string args": "f('''x\ny''', \"a\" \"b\")\nf(('a'\n  'b'))\n",
}


@pytest.mark.parametrize("path", PY_FIXTURES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert differences(ast_oracle.extract(text, "x.py"), extract(text, "x.py")) == []


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_odd_sources(name: str) -> None:
    text = SOURCES[name]
    assert differences(ast_oracle.extract(text, "x.py"), extract(text, "x.py")) == []


def test_the_blocks_are_compared() -> None:
    """Both extractors place each statement in the blocks around it; the identity tests
    compare those too, so the odd sources must hold some."""
    facts = extract(SOURCES["blocks"], "x.py")
    f = facts.symbol("f")
    assert f is not None and isinstance(f, Function)
    where = {c.callee: c.where for c in f.calls}
    assert where["n"][-1] == ("except", "(ValueError, KeyError)", "body")
    assert where["s"] == (("for", "i, (p, q) in enumerate(zip(a, b))", "else"),)
    assert where["m"][1] == ("with", "torch.no_grad(), ctx() as (c, d)", "body")
    assert f.returns[0][2] == (("if", "a > 0", "else"), ("elif", "h(a)", "body"))
    assert [a.where for a in f.assigns if a.target == "y"] == [
        (("if", "a > 0", "else"), ("elif", "h(a)", "else"), ("if", "k", "body"))]
    # a function or class starts afresh: its body is in no block of the module's
    assert facts.symbol("inner").calls[0].where == ()  # type: ignore[union-attr]
    assert facts.symbol("C").assigns[0].where == (("if", "y", "body"),)  # type: ignore[union-attr]
    assert [c.where for c in facts.calls if c.callee == "dec"] == [(("if", "z", "body"),)]


def test_the_odd_fixtures_are_there() -> None:
    """fixtures/odd holds decorators, nested functions, f-strings, walrus, match, star-args,
    line continuations, lambdas and comprehensions, compared by test_fixture_files."""
    odd = {p.name for p in PY_FIXTURES if p.parent.name == "odd"}
    assert odd >= {"decorators_nested.py", "expressions.py", "unicode_cols.py"}


REAL = os.environ.get("NANOCHAT_DIR")


@pytest.mark.nanochat
@pytest.mark.skipif(not REAL or not (Path(REAL) / ".git").exists(),
                    reason="set NANOCHAT_DIR to a nanochat git clone to run this")
def test_thirty_revisions_of_nanochat() -> None:
    assert REAL is not None
    result = compare(Path(REAL), 30)
    assert len(result.revisions) >= 30 or result.revisions
    assert result.differences == []
    assert result.equal + result.unparsable == result.blobs > 0
