"""The extractor on inline sources: symbols, signatures, assignments, calls, lines."""

from __future__ import annotations

from textwrap import dedent

from nanochat_explain.facts.canon import canonical
from nanochat_explain.facts.extract import extract
from nanochat_explain.facts.model import Class, Function

SOURCE = dedent('''\
    import torch

    LIMIT = 10


    @dataclass
    class Config:
        width: int = 64
        name: str = "x"


    class Net(Base):
        def __init__(self, cfg, *rest, scale=2.0, **extra):
            self.fc = Linear(cfg.width,  4 * cfg.width, bias = False)
            self.n += 1

        @torch.no_grad()
        def forward(self, x):
            y = self.fc(norm(x))
            return F.relu(y).square()


    def helper(a, b=(1, 2)):
        def inner():
            return call_inside()
        return a
    ''')


def test_symbols_and_lines():
    facts = extract(SOURCE, "m.py")
    assert [c.qualname for c in facts.classes] == ["Config", "Net"]
    assert [f.qualname for f in facts.functions] == [
        "Net.__init__", "Net.forward", "helper", "helper.inner"]
    net = facts.symbol("Net")
    assert isinstance(net, Class) and net.line == 12 and net.bases == ("Base",)
    config = facts.symbol("Config")
    assert isinstance(config, Class) and config.decorators == ("dataclass",)
    forward = facts.symbol("Net.forward")
    # the line of a decorated function is its def line, not the decorator's
    assert isinstance(forward, Function) and forward.line == 18
    assert forward.decorators == ("torch.no_grad()",) and forward.kind == "method"


def test_signature():
    init = facts_of("Net.__init__")
    assert [(p.star + p.name, p.default) for p in init.params] == [
        ("self", None), ("cfg", None), ("*rest", None), ("scale", "2.0"), ("**extra", None)]
    assert facts_of("helper").params[1].default == "(1, 2)"


def test_assignments_are_canonical():
    init = facts_of("Net.__init__")
    fc = init.assigns[0]
    assert (fc.target, fc.value, fc.line, fc.op) == (
        "self.fc", "Linear(cfg.width, 4 * cfg.width, bias=False)", 14, "=")
    aug = init.assigns[1]
    assert (aug.target, aug.value, aug.op) == ("self.n", "1", "+=")
    facts = extract(SOURCE, "m.py")
    assert [(a.target, a.value) for a in facts.assigns] == [("LIMIT", "10")]
    config = facts.symbol("Config")
    assert isinstance(config, Class)
    assert [(a.target, a.value) for a in config.assigns] == [("width", "64"), ("name", "'x'")]


def test_calls_in_source_order_with_evaluation_order():
    forward = facts_of("Net.forward")
    assert [(c.callee, c.line) for c in forward.calls] == [
        ("self.fc", 19), ("norm", 19), ("F.relu", 20), ("F.relu(...).square", 20)]
    order = {c.callee: c.order for c in forward.calls}
    assert order["norm"] < order["self.fc"]  # the argument is evaluated first
    assert order["F.relu"] < order["F.relu(...).square"]
    assert forward.calls[0].args == ("norm(x)",)
    init = facts_of("Net.__init__")
    assert init.calls[0].kwargs == (("bias", "False"),)


def test_nested_functions_keep_their_own_calls():
    assert [c.callee for c in facts_of("helper").calls] == []
    assert [c.callee for c in facts_of("helper.inner").calls] == ["call_inside"]
    assert facts_of("helper").returns == (("a", 26, ()),)


def test_canonical_folds_formatting():
    assert canonical("x1 * (-sin)  +  x2*cos") == "x1 * -sin + x2 * cos"
    assert canonical("not python (") == "not python ("


def facts_of(name: str) -> Function:
    sym = extract(SOURCE, "m.py").symbol(name)
    assert isinstance(sym, Function)
    return sym


def test_kept_texts_are_what_ast_unparse_writes():
    """The extractor builds the text of names, constants, attributes and calls from their
    parts instead of printing each from its source; on every expression of the fixtures
    (and of a few awkward ones) that must be exactly the canonical printer's text (which is
    ``ast.unparse``'s on Python 3.11, whatever Python runs this)."""
    import ast

    import libcst as cst

    from conftest import FIXTURES
    from nanochat_explain.facts.canon import unparse
    from nanochat_explain.facts.extract import _Collector
    from nanochat_explain.facts.positions import Positions

    class Expressions(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.BaseExpression] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.BaseExpression) and not isinstance(
                    node, cst.StarredElement | cst.Element | cst.DictElement):
                self.found.append(node)
            return True

    awkward = "f(a, *b, k=1, **c)(x).y[0]\nu'x'\nb'\\x00'\n1e-05\n-1\n(lambda: 0)()\nx.real\n"
    sources = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))]
    checked = 0
    for source in [*sources, awkward]:
        module = cst.parse_module(source)
        positions = Positions(module, source)
        collector = _Collector(positions)
        visitor = Expressions()
        module.visit(visitor)
        for node in visitor.found:
            if not positions.has(node) or isinstance(node, cst.FormattedStringText):
                continue
            text = positions.text(node)
            try:
                expected = unparse(ast.parse(f"({text})", mode="eval").body)
            except SyntaxError:
                continue  # a part that is no expression alone: a slice, an f-string part
            assert collector._text(node) == expected, text
            checked += 1
    assert checked > 1000
