"""Each claim kind against inline sources: what passes, what fails, what cannot be checked."""

from __future__ import annotations

from textwrap import dedent
from typing import Any

import pytest

from nanochat_explain.claims.checks import KINDS, evaluate
from nanochat_explain.facts.extract import extract
from nanochat_explain.model import ClaimSpec, Status

SOURCE = dedent('''\
    BASE = 100000
    PATTERN = ["S", "S", "L"]


    @dataclass
    class Config:
        n_head: int = 6
        window: str = "SSSL"


    def norm(x):
        return F.rms_norm(x, (x.size(-1),))


    class MLP(nn.Module):
        def __init__(self, config):
            self.c_fc = Linear(config.n_embd, 4 * config.n_embd, bias=False)
            self.c_proj = Linear(4 * config.n_embd, config.n_embd, bias=False)
            self.gate = Linear(12, 1, bias=False) if config.gated else None

        def forward(self, x, scale=1.2):
            x = self.c_fc(x)
            x = F.relu(x).square()
            x = x * 1.5
            return self.c_proj(x)


    class GPT(nn.Module):
        def __init__(self):
            self.lm_head = Linear(8, 16, bias=False)

        def rope(self, seq_len, base=10000, device=None):
            return base
    ''')
FACTS = extract(SOURCE, "m.py")


def check(kind: str, symbol: str | None = None, **fields: Any):
    claim = ClaimSpec("c", kind, "m.py", symbol, tuple(fields.items()), None, 1)
    return evaluate(claim, FACTS)


def test_every_kind_is_tested():
    assert set(KINDS) == {"symbol", "signature", "assign", "call", "order", "literal", "absent",
                          "count", "returns", "condition", "statement", "comment"}


@pytest.mark.parametrize(("kind", "symbol", "fields", "status", "line", "detail"), [
    ("symbol", "MLP", {"type": "class", "bases": ["nn.Module"]}, "pass", 15,
     "class MLP defined"),
    ("symbol", "FeedForward", {}, "fail", None,
     "expected symbol FeedForward; not found in m.py"),
    ("symbol", "MLP", {"bases": ["object"]}, "fail", 15,
     "expected MLP(object); found MLP(nn.Module)"),
    ("symbol", "Config", {"decorators": ["dataclass"]}, "pass", 6, "class Config defined"),
    ("symbol", "norm", {"type": "class"}, "fail", 11, "expected class norm; found a function"),
    ("signature", "GPT.rope", {"params": ["self", "seq_len", "base", "device"],
                               "defaults": {"base": 10000, "device": None}}, "pass", 32,
     "GPT.rope(self, seq_len, base, device)"),
    ("signature", "GPT.rope", {"defaults": {"base": 100000}}, "fail", 32,
     "expected base=100000; found base=10000"),
    ("signature", "GPT.rope", {"params": ["self", "seq_len"]}, "fail", 32,
     "expected GPT.rope(self, seq_len); found GPT.rope(self, seq_len, base, device)"),
    ("assign", "MLP.__init__", {"target": "self.c_fc", "callee": "Linear",
                                "args": ["config.n_embd", "4*config.n_embd"],
                                "kwargs": {"bias": False}}, "pass", 17,
     "self.c_fc = Linear(config.n_embd, 4 * config.n_embd, bias=False)"),
    ("assign", "MLP.__init__", {"target": "self.c_fc", "callee": "Linear",
                                "args": ["config.n_embd", "8 * config.n_embd"]}, "fail", 17,
     "expected self.c_fc = Linear(config.n_embd, 8 * config.n_embd); found "
     "self.c_fc = Linear(config.n_embd, 4 * config.n_embd, bias=False) (line 17)"),
    ("assign", "MLP.__init__", {"target": "self.c_fc", "callee": "Linear",
                                "args": ["config.n_embd", "4 * config.n_embd"]}, "pass", 17,
     "self.c_fc = Linear(config.n_embd, 4 * config.n_embd, bias=False)"),
    ("assign", "MLP.__init__", {"target": "self.c_fc", "callee": "Linear",
                                "args": ["config.n_embd", "4 * config.n_embd"],
                                "kwargs": {}}, "fail", 17,
     "expected self.c_fc = Linear(config.n_embd, 4 * config.n_embd); found "
     "self.c_fc = Linear(config.n_embd, 4 * config.n_embd, bias=False) (line 17)"),
    ("assign", "MLP.__init__", {"target": "self.gate", "callee": "Linear"}, "pass", 19,
     "self.gate = Linear(12, 1, bias=False) if config.gated else None"),
    ("assign", "MLP.__init__", {"target": "self.w"}, "fail", 16,
     "no assignment to self.w in MLP.__init__"),
    ("assign", "MLP.forward", {"target": "x", "value": "x*1.5"}, "pass", 24, "x = x * 1.5"),
    ("assign", "MLP.forward", {"target": "x", "value": "x*1.5", "nth": -1}, "pass", 24,
     "x = x * 1.5"),
    ("assign", "MLP.forward", {"target": "x", "value": "x*1.5", "nth": 0}, "fail", 22,
     "expected x = x * 1.5; found x = self.c_fc(x) (line 22)"),
    ("assign", "MLP.forward", {"target": "x", "nth": 3}, "fail", 22,
     "expected assignment 3 to x; found 3"),
    ("assign", "Nope.__init__", {"target": "x"}, "error", None,
     "Nope.__init__ not found in m.py (nearest: MLP.__init__, GPT.__init__)"),
    ("call", "MLP.forward", {"callee": "F.relu", "args": ["x"]}, "pass", 23, "F.relu(x)"),
    ("call", "MLP.forward", {"callee": "F.gelu"}, "fail", 21,
     "expected a call F.gelu(...) in MLP.forward; calls there: F.relu, "
     "F.relu(...).square, self.c_fc, self.c_proj"),
    ("call", "norm", {"callee": "F.rms_norm", "args": ["x", "(x.size(-1),)"], "kwargs": {}},
     "pass", 12, "F.rms_norm(x, (x.size(-1),))"),
    ("call", "norm", {"callee": "F.rms_norm", "args": ["x"]}, "fail", 12,
     "expected F.rms_norm(x); found F.rms_norm(x, (x.size(-1),)) (line 12)"),
    ("order", "MLP.forward", {"first": "self.c_fc", "then": "F.relu"}, "pass", 23,
     "self.c_fc (line 22) runs before F.relu (line 23)"),
    ("order", "MLP.forward", {"first": "self.c_proj", "then": "F.relu"}, "fail", 25,
     "expected self.c_proj before F.relu; found F.relu (line 23) runs before self.c_proj "
     "(line 25)"),
    ("order", "MLP.forward", {"first": "F.relu", "then": "F.relu(...).square"}, "pass", 23,
     "F.relu (line 23) runs before F.relu(...).square (line 23)"),
    ("order", "MLP.forward", {"first": "F.relu", "then_assign": "x", "then_nth": -1}, "pass",
     24, "F.relu (line 23) runs before x = ... (line 24)"),
    ("order", "MLP.forward", {"first_assign": "x", "first_nth": -1, "then": "F.relu"}, "fail",
     24, "expected x = ... before F.relu; found F.relu (line 23) runs before x = ... (line 24)"),
    ("order", "MLP.forward", {"first": "norm", "then": "F.relu"}, "fail", 21,
     "expected norm before F.relu in MLP.forward; no such step norm"),
    ("absent", "MLP", {"call": {"callee": "^self\\.c_", "args": "^y$"}}, "pass", 15,
     "no call whose callee matches the pattern ^self\\.c_ and whose positional arguments "
     "match the pattern ^y$ in MLP"),
    ("condition", "MLP.__init__", {"test": "config.gated"}, "pass", 19,
     "MLP.__init__ tests config.gated"),
    ("condition", "MLP.__init__", {"test": "config.fast"}, "fail", 19,
     "expected MLP.__init__ to test config.fast; found config.gated (line 19)"),
    ("call", None, {"callee": "print"}, "fail", 1,
     "expected a call print(...) in the module body of m.py; calls there: none"),
    ("literal", "GPT.rope", {"return_nth": 0, "expect": 10000}, "error", 33,
     "return 0 of GPT.rope is base, not a literal"),
    ("literal", "norm", {"return_nth": -1, "index": 0, "expect": -1}, "pass", 12,
     "return -1 of norm = -1 in F.rms_norm(x, (x.size(-1),))"),
    ("absent", None, {"define": {"name": "^evaluate_loss$"}}, "pass", None,
     "no definition whose name matches the pattern ^evaluate_loss$ in m.py"),
    ("absent", "MLP", {"define": {"name": "^forward$"}}, "fail", 21,
     "expected no definition whose name matches the pattern ^forward$ in MLP; found "
     "MLP.forward"),
    ("literal", None, {"constant": "BASE", "expect": 100000}, "pass", 1, "BASE = 100000"),
    ("literal", "Config", {"field": "window", "expect": "SSSL"}, "pass", 8,
     "Config.window = 'SSSL'"),
    ("literal", "GPT.rope", {"param": "base", "expect": 100000}, "fail", 32,
     "expected default of GPT.rope(base=...) = 100000; found 10000"),
    ("literal", "MLP.forward", {"assign": "x", "nth": -1, "index": 0, "expect": 1.5}, "pass",
     24, "x in MLP.forward = 1.5 in x * 1.5"),
    ("literal", "MLP.forward", {"assign": "x", "expect": 1.5}, "error", None,
     "3 assignment to x in MLP.forward (lines 22, 23, 24); say which with nth"),
    ("literal", "MLP.__init__", {"call": "Linear", "first_arg": 12, "arg": 1, "expect": 1},
     "pass", 19, "argument 1 of Linear(12, ...) = 1"),
    ("literal", "MLP.__init__", {"assign": "self.c_fc", "expect": 4}, "error", 17,
     "self.c_fc in MLP.__init__ is Linear(config.n_embd, 4 * config.n_embd, bias=False), "
     "not a literal"),
    ("absent", "GPT", {"assign": {"target": r"(lm_head|wte)\.weight$"}}, "pass", 28,
     r"no assignment whose target matches the pattern (lm_head|wte)\.weight$ in GPT"),
    ("absent", "MLP", {"call": {"callee": "^F\\.relu$"}}, "fail", 23,
     "expected no call whose callee matches the pattern ^F\\.relu$ in MLP; found "
     "F.relu(x)"),
    ("absent", None, {"call": {"callee": "gelu"}}, "pass", None,
     "no call whose callee matches the pattern gelu in m.py"),
    ("count", "MLP.__init__", {"callee": "Linear", "expect": 3}, "pass", 17,
     "3 calls to Linear in MLP.__init__"),
    ("count", None, {"constant": "PATTERN", "expect": 4}, "fail", 2,
     "expected 4 items in PATTERN; found 3"),
    ("returns", "norm", {"value": "F.rms_norm(x, (x.size(-1), ))"}, "pass", 12,
     "norm returns F.rms_norm(x, (x.size(-1),))"),
    ("returns", "GPT.rope", {"value": "seq_len"}, "fail", 33,
     "expected GPT.rope to return seq_len; found base (line 33)"),
])
def test_claim(kind, symbol, fields, status, line, detail):
    outcome = check(kind, symbol, **fields)
    assert (outcome.status, outcome.line, outcome.detail) == (Status(status), line, detail)


def test_literal_supplies_the_found_value_even_when_failing():
    assert check("literal", "GPT.rope", param="base", expect=100000).value == 10000
    assert check("count", None, constant="PATTERN", expect=4).value == 3


def test_absent_reports_the_offending_line():
    source = SOURCE + "\n    def tie(self):\n        self.lm_head.weight = self.wte.weight\n"
    facts = extract(dedent(source), "m.py")
    claim = ClaimSpec("c", "absent", "m.py", "GPT",
                      (("assign", {"target": r"lm_head\.weight$", "value": r"wte\.weight$"}),),
                      None, 1)
    outcome = evaluate(claim, facts)
    assert outcome.status is Status.FAIL
    assert outcome.detail.endswith("found self.lm_head.weight = self.wte.weight")


MUTABLE = dedent('''\
    class Block:
        def forward(self, x, steps):
            x = x + self.attn(norm(x))
            state["step"] += 1
            q = q * 1.2
            y = transformer["wte"].weight
            z = getattr(self, "wpe")(x)
            self.update(x, steps)
            return x

    def schedule(it, warmup=100, final=0.1):
        return it

    def run():
        schedule(3, final=0.5)
    ''')
MFACTS = extract(MUTABLE, "b.py")


def mcheck(kind: str, symbol: str | None = None, **fields: Any):
    return evaluate(ClaimSpec("c", kind, "b.py", symbol, tuple(fields.items()), None, 1), MFACTS)


def test_assign_compares_its_operator():
    ok = mcheck("assign", "Block.forward", target="state['step']", value=1, op="+=")
    assert ok.status is Status.PASS
    # without op an assignment means "="; the += does not pass for it
    plain = mcheck("assign", "Block.forward", target="state['step']", value=1)
    assert plain.status is Status.FAIL and "state['step'] = 1" in plain.detail
    assert mcheck("assign", "Block.forward", target="x", op="=").status is Status.PASS


def test_statement_compares_a_whole_statement():
    assert mcheck("statement", "Block.forward",
                  code="x = x + self.attn(norm(x))").status is Status.PASS
    dropped = mcheck("statement", "Block.forward", code="x = self.attn(norm(x))")
    assert dropped.status is Status.FAIL and "x = x + self.attn(norm(x))" in dropped.detail
    assert mcheck("statement", "Block.forward",
                  code="state['step'] += 1").status is Status.PASS
    assert mcheck("statement", "Block.forward",
                  code="state['step'] = 1").status is Status.FAIL
    assert mcheck("statement", "Block.forward", code="return x").status is Status.PASS
    assert mcheck("statement", "Block.forward",
                  code="self.update(x, steps)").status is Status.PASS
    assert mcheck("statement", "Block.forward",
                  code="self.update(steps, x)").status is Status.FAIL
    assert mcheck("statement", "Block.forward", code="x = (").status is Status.ERROR


def test_literal_knows_the_operation_of_its_number():
    assert mcheck("literal", "Block.forward", assign="q", index=0, expect=1.2,
                  op="*").status is Status.PASS
    other = extract(MUTABLE.replace("q * 1.2", "q + 1.2"), "b.py")
    claim = ClaimSpec("c", "literal", "b.py", "Block.forward",
                      (("assign", "q"), ("index", 0), ("expect", 1.2), ("op", "*")), None, 1)
    failed = evaluate(claim, other)
    assert failed.status is Status.FAIL and "taken with +" in failed.detail


def test_absent_matches_an_attribute_however_it_is_spelled():
    subscripted = mcheck("absent", "Block.forward", assign={"value": r"wte\.weight"})
    assert subscripted.status is Status.FAIL and "['wte'].weight" in subscripted.detail
    by_getattr = mcheck("absent", "Block.forward", call={"callee": r"self\.wpe"})
    assert by_getattr.status is Status.FAIL
    assert mcheck("absent", "Block.forward", assign={"value": r"wpe\.weight"}).status \
        is Status.PASS


def test_a_default_can_follow_its_call_sites():
    assert mcheck("literal", "schedule", param="final", expect=0.1).status is Status.PASS
    overridden = mcheck("literal", "schedule", param="final", expect=0.1, follow_calls=True)
    assert overridden.status is Status.FAIL and "schedule(3, final=0.5)" in overridden.detail
    assert mcheck("literal", "schedule", param="warmup", expect=100,
                  follow_calls=True).status is Status.PASS


def test_order_in_the_module_body_catches_swapped_branches():
    source = dedent('''\
        if args.fp8:
            if device_type != "cuda":
                print0("ignored")
            else:
                convert(model)
        ''')
    swapped = source.replace('print0("ignored")', "@@").replace("convert(model)",
                                                                 'print0("ignored")')
    swapped = swapped.replace("@@", "convert(model)")
    claim = ClaimSpec("c", "order", "t.py", None, (("first", "print0"), ("then", "convert")),
                      None, 1)
    ok = evaluate(claim, extract(source, "t.py"))
    assert ok.status is Status.PASS and ok.line == 5
    failed = evaluate(claim, extract(swapped, "t.py"))
    assert failed.status is Status.FAIL and "convert (line 3) runs before print0" in failed.detail
    missing = ClaimSpec("c", "order", "t.py", None, (("first", "print0"), ("then", "save")),
                        None, 1)
    assert evaluate(missing, extract(source, "t.py")).detail == (
        "expected print0 before save in the module body of t.py; no such step save")


def test_an_order_step_can_be_a_whole_call():
    source = 'print0("a")\nsave(x)\nprint0("b")\n'
    facts = extract(source, "t.py")

    def order(first: str, then: str):
        return evaluate(ClaimSpec("c", "order", "t.py", None,
                                  (("first", first), ("then", then)), None, 1), facts)

    assert order("print0('a')", "save").status is Status.PASS
    assert order("print0('b')", "save").status is Status.FAIL
    assert order("print0", "save").status is Status.PASS  # the callee: its first call


def test_a_statement_can_be_counted():
    source = dedent('''\
        def forward(x, cache):
            if cache is None:
                g = torch.sigmoid(x)
            else:
                g = torch.sigmoid(x)
            x = norm(x)
            return x
        ''')

    def stmt(text: str, **fields: Any):
        claim = ClaimSpec("c", "statement", "t.py", "forward",
                          (("code", "g = torch.sigmoid(x)"), *fields.items()), None, 1)
        return evaluate(claim, extract(text, "t.py"))

    assert stmt(source, count=2).status is Status.PASS
    one_changed = source.replace("    g = torch.sigmoid(x)\n    x = norm",
                                 "    g = torch.tanh(x)\n    x = norm")
    assert stmt(one_changed).status is Status.PASS  # one left: enough without count
    failed = stmt(one_changed, count=2)
    assert failed.status is Status.FAIL
    assert failed.detail == ("expected g = torch.sigmoid(x) 2 times in forward; "
                             "found it once (line 3)")


def test_an_order_step_can_be_a_test_or_a_return():
    source = dedent("""\
        def f(ids, n):
            assert n > 0, "n must be positive"
            ids = ids[:n]
            return ids
        """)
    early = source.replace("    ids = ids[:n]\n    return ids\n",
                           "    return ids\n    ids = ids[:n]\n")
    late = source.replace('    assert n > 0, "n must be positive"\n    ids = ids[:n]\n',
                          '    ids = ids[:n]\n    assert n > 0, "n must be positive"\n')

    def order(text: str, **steps: str):
        claim = ClaimSpec("c", "order", "t.py", "f", tuple(steps.items()), None, 1)
        return evaluate(claim, extract(text, "t.py"))

    cut = {"first_assign": "ids = ids[:n]", "then_return": "ids"}
    assert order(source, **cut).status is Status.PASS
    failed = order(early, **cut)
    assert failed.status is Status.FAIL
    assert failed.detail == ("expected ids = ids[:n] before return ids; found return ids "
                             "(line 3) runs before ids = ids[:n] (line 4)")
    checked = {"first_test": "n > 0", "then_assign": "ids"}
    assert order(source, **checked).status is Status.PASS
    assert order(late, **checked).status is Status.FAIL
    assert order(source, first_test="n < 0", then_return="ids").detail == (
        "expected the test n < 0 before return ids in f; no such step the test n < 0")
    # a call runs before the assignment or return on its own line, not after
    one_line = "def g(self):\n    self.cos = self.table(8)\n    return self.cos\n"
    assert order(one_line.replace("def g", "def f"), first="self.table",
                 then_assign="self.cos").status is Status.PASS
    assert order(one_line.replace("def g", "def f"), first_assign="self.cos",
                 then="self.table").status is Status.FAIL
    module = ClaimSpec("c", "order", "t.py", None,
                       (("first", "f"), ("then_return", "ids")), None, 1)
    assert evaluate(module, extract(source, "t.py")).status is Status.ERROR


def test_an_order_step_can_be_a_whole_assignment():
    source = "cos, sin = freqs.cos(), freqs.sin()\ncos, sin = cos.to(dt), sin.to(dt)\n"
    swapped = "cos, sin = cos.to(dt), sin.to(dt)\ncos, sin = freqs.cos(), freqs.sin()\n"
    claim = ClaimSpec("c", "order", "t.py", None,
                      (("first_assign", "cos, sin = freqs.cos(), freqs.sin()"),
                       ("then_assign", "cos, sin = (cos.to(dt), sin.to(dt))")), None, 1)
    assert evaluate(claim, extract(source, "t.py")).status is Status.PASS
    failed = evaluate(claim, extract(swapped, "t.py"))
    assert failed.status is Status.FAIL and "runs before cos, sin = freqs.cos()" in failed.detail


def test_a_helpers_steps_are_ordered_where_it_is_called():
    # the helper is written above the caller, but its assignment runs after the caller's
    # first one: a second look that inlines it must not order by the helper's own lines
    source = ("class M:\n    def _setup(self):\n        self.b = 2\n"
              "    def forward(self):\n        self.a = 1\n        self._setup()\n")

    def order(first: str, then: str) -> Status:
        claim = ClaimSpec("c", "order", "t.py", "M.forward",
                          (("first_assign", first), ("then_assign", then)), None, 1)
        return evaluate(claim, extract(source, "t.py")).status

    assert order("self.a", "self.b") is Status.PASS
    assert order("self.b", "self.a") is Status.FAIL


def test_a_condition_with_count_fails_when_one_copy_changes():
    source = ("def f(w, t):\n    if w >= 0 and w < t:\n        a()\n"
              "    if w >= 0 and w < t:\n        b()\n")
    changed = source.replace("if w >= 0 and w < t:\n        b", "if w >= 0 or w < t:\n        b")
    claim = ClaimSpec("c", "condition", "t.py", "f",
                      (("test", "w >= 0 and w < t"), ("count", 2)), None, 1)
    passed = evaluate(claim, extract(source, "t.py"))
    assert passed.status is Status.PASS and "(2 times)" in passed.detail
    failed = evaluate(claim, extract(changed, "t.py"))
    assert failed.status is Status.FAIL and "found it once (line 2)" in failed.detail


COMMENTED = extract(dedent('''\
    """Module docstring: the model, std=1.0 for wte."""
    # ceil to the tile size


    class GPT:
        """A GPT model."""

        def __init__(self, config):
            # Per-layer learnable scalars
            self.resid_lambdas = Parameter(ones(config.n_layer))  # fake init, real in init_weights
            short = -(-config.seq // 4 // 128) * 128  # ceil to FA3 tile size (2048 -> 768)
            self.blocks = ModuleList([
                Block(config)  # one per layer
            ])

        def init_weights(self):
            """
            wte (embedding):     normal, std=1.0
            lm_head:             normal, std=0.001
            """
            normal_(self.wte.weight, std=0.8)
    '''), "g.py")


def comment(symbol: str | None = None, **fields: Any):
    claim = ClaimSpec("c", "comment", "g.py", symbol, tuple(fields.items()), None, 1)
    return evaluate(claim, COMMENTED)


def test_comment_facts_place_each_comment():
    by_text = {c.text: c for c in COMMENTED.comments}
    above = by_text["Per-layer learnable scalars"]
    assert (above.line, above.own_line, above.scope, above.statement) == (
        9, True, "GPT.__init__", 10)
    trailing = by_text["ceil to FA3 tile size (2048 -> 768)"]
    assert (trailing.line, trailing.own_line, trailing.statement) == (11, False, 11)
    inside = by_text["one per layer"]
    assert (inside.line, inside.own_line, inside.scope, inside.statement) == (
        13, False, "GPT.__init__", 12)
    assert by_text["ceil to the tile size"].scope == ""
    assert [(d.owner, d.line) for d in COMMENTED.docstrings] == [
        ("", 1), ("GPT", 6), ("GPT.init_weights", 17)]
    assert COMMENTED.docstrings[2].text.splitlines()[0] == "wte (embedding):     normal, std=1.0"


@pytest.mark.parametrize("symbol, fields, line", [
    ("GPT.__init__", {"contains": "2048 -> 768"}, 11),
    ("GPT", {"matches": r"\(\d+ -> \d+\)"}, 11),  # a class holds its methods' comments
    (None, {"matches": "^ceil to the tile"}, 2),
    ("GPT.__init__", {"statement": "short", "contains": "2048 -> 768"}, 11),
    ("GPT.__init__", {"statement": "self.resid_lambdas", "matches": "learnable"}, 9),
    ("GPT.__init__", {"statement": "self.resid_lambdas", "matches": "fake init"}, 10),
    ("GPT.__init__", {"statement": "Block", "contains": "one per layer"}, 13),
    ("GPT.init_weights", {"in": "docstring", "matches": r"wte.*std=1\.0"}, 17),
    ("GPT.init_weights", {"matches": r"lm_head: +normal"}, 17),
    (None, {"in": "docstring", "contains": "std=1.0 for wte"}, 1),
])
def test_comment_passes(symbol, fields, line):
    result = comment(symbol, **fields)
    assert (result.status, result.line) == (Status.PASS, line), result.detail


def test_comment_fails_when_the_text_changed():
    result = comment("GPT.__init__", contains="2048 -> 512")
    assert result.status is Status.FAIL
    assert result.detail.startswith(
        "expected a comment or docstring in GPT.__init__ containing '2048 -> 512'; found ")
    assert "'ceil to FA3 tile size (2048 -> 768)'" in result.detail


@pytest.mark.parametrize("symbol, fields", [
    ("GPT.init_weights", {"in": "comment", "matches": "std=1.0"}),  # it is in the docstring
    ("GPT.__init__", {"in": "docstring", "matches": "."}),  # __init__ has none
    ("GPT.__init__", {"statement": "short", "matches": "learnable"}),  # above another line
])
def test_comment_fails_elsewhere(symbol, fields):
    assert comment(symbol, **fields).status is Status.FAIL


@pytest.mark.parametrize("symbol, fields, detail", [
    ("GPT.gone", {"contains": "x"}, "GPT.gone not found in g.py"),
    ("GPT.__init__", {"statement": "self.nothing", "contains": "x"},
     "no statement in GPT.__init__ assigns to or calls self.nothing"),
    (None, {"in": "code", "contains": "x"}, "in: must be comment or docstring, not 'code'"),
    (None, {"matches": "("}, "bad regular expression for matches"),
])
def test_comment_errors(symbol, fields, detail):
    result = comment(symbol, **fields)
    assert result.status is Status.ERROR
    assert result.detail.startswith(detail)


BRANCHED = dedent('''\
    def take(docs, best_idx, x):
        if best_idx >= 0:
            doc = docs.pop(best_idx)
            emit(doc)
        elif x:
            doc = crop(x)
        else:
            doc = None
            return pad(x)
        for i, d in enumerate(docs):
            while busy(d):
                with lock:
                    pos += len(d)
        return doc
    ''')


def branched(source: str, kind: str, inside: Any, **fields: Any):
    claim = ClaimSpec("c", kind, "t.py", "take", (*fields.items(), ("inside", inside)), None, 1)
    return evaluate(claim, extract(source, "t.py"))


def _swap(source: str, a: str, b: str) -> str:
    assert a in source and b in source
    return source.replace(a, "\0").replace(b, a).replace("\0", b)


@pytest.mark.parametrize(("kind", "inside", "fields"), [
    ("assign", {"if": "best_idx >= 0"}, {"target": "doc", "callee": "docs.pop"}),
    ("call", {"if": "best_idx>=0"}, {"callee": "emit", "args": ["doc"]}),
    ("statement", {"if": "x"}, {"code": "doc = crop(x)"}),
    ("statement", {"else": "best_idx >= 0"}, {"code": "doc = crop(x)"}),
    ("statement", {"else": "x"}, {"code": "return pad(x)"}),
    ("literal", {"else": "x"}, {"assign": "doc", "expect": None}),
    ("returns", {"else": "x"}, {"value": "pad(x)"}),
    ("count", {"if": "best_idx >= 0"}, {"callee": "emit", "expect": 1}),
    ("statement", [{"for": "i, d in enumerate(docs)"}, {"while": "busy(d)"},
                   {"with": "lock"}], {"code": "pos += len(d)"}),
])
def test_a_claim_inside_a_branch_fails_when_the_branches_swap(kind, inside, fields):
    assert branched(BRANCHED, kind, inside, **fields).status is Status.PASS
    # the if's body and the elif's, then the elif's body and its else
    first = _swap(BRANCHED, "        doc = docs.pop(best_idx)\n        emit(doc)\n",
                  "        doc = crop(x)\n")
    second = _swap(BRANCHED, "        doc = crop(x)\n",
                   "        doc = None\n        return pad(x)\n")
    out = BRANCHED.replace("            pos += len(d)\n    return doc\n",
                           "            pass\n    pos += len(d)\n    return doc\n")
    assert out != BRANCHED
    changed = [branched(s, kind, inside, **fields).status for s in (first, second, out)]
    assert any(status is not Status.PASS for status in changed)


def test_a_claim_inside_a_branch_says_where_it_found_the_statement():
    swapped = _swap(BRANCHED, "        doc = docs.pop(best_idx)\n        emit(doc)\n",
                    "        doc = crop(x)\n")
    failed = branched(swapped, "statement", {"if": "best_idx >= 0"},
                      code="doc = docs.pop(best_idx)")
    assert failed.status is Status.FAIL
    assert failed.line == 5
    assert failed.detail == ("expected it in the body of `if best_idx >= 0`; found "
                             "doc = docs.pop(best_idx) (line 5) in the body of `elif x`")
    neither = branched(BRANCHED, "statement", {"else": "best_idx >= 0"}, code="emit(doc)")
    assert neither.detail.endswith("in the body of `if best_idx >= 0`")


def test_absent_inside_a_branch_looks_only_there():
    spec = {"callee": "^crop$"}
    assert branched(BRANCHED, "absent", {"if": "best_idx >= 0"}, call=spec).status is Status.PASS
    assert branched(BRANCHED, "absent", {"if": "x"}, call=spec).status is Status.FAIL


def test_an_elif_test_is_in_the_else_of_the_if_above():
    assert branched(BRANCHED, "condition", {"else": "best_idx >= 0"},
                    test="x").status is Status.PASS
    assert branched(BRANCHED, "condition", {"if": "best_idx >= 0"},
                    test="x").status is Status.FAIL


def test_inside_try_except_and_finally():
    source = dedent('''\
        def take(it):
            try:
                x = next(it)
            except StopIteration:
                x = None
            finally:
                close(it)
            return x
        ''')

    def where(inside: Any, **fields: Any) -> Status:
        return branched(source, "statement", inside, **fields).status

    assert where({"try": True}, code="x = next(it)") is Status.PASS
    assert where({"except": "StopIteration"}, code="x = None") is Status.PASS
    assert where({"except": "StopIteration"}, code="x = next(it)") is Status.FAIL
    assert where({"finally": True}, code="close(it)") is Status.PASS
    assert where({"try": True}, code="close(it)") is Status.FAIL


def test_a_helper_called_in_a_branch_is_in_it():
    source = dedent('''\
        def helper(x):
            y = crop(x)

        def take(x):
            if x:
                helper(x)
        ''')
    assert branched(source, "statement", {"if": "x"}, code="y = crop(x)").status is Status.PASS
    moved = source.replace("        helper(x)\n", "        pass\n    helper(x)\n")
    assert branched(moved, "statement", {"if": "x"}, code="y = crop(x)").status is Status.FAIL



@pytest.mark.parametrize("pattern", ["", "c_fc", "std=1/sqrt", "x.y", "a+", r"\(", "(q|k)",
                                     "^wte$", "[0-9]", "a{2}", "init 1.0 = neutral"])
@pytest.mark.parametrize("text", ["", "c_fc", "self.c_fc(x)", "std=1/sqrt(n)", "xzy", "x.y",
                                  "aa", "(", "q", "wte", "wte2", "7", "init 1.0 = neutral"])
def test_a_pattern_searches_as_a_regular_expression_would(pattern, text):
    import re

    from nanochat_explain.claims.common import _regex

    assert bool(_regex({"p": pattern}, "p")(text)) is bool(re.search(pattern, text))


def test_a_call_is_spelled_as_a_text_exactly_when_its_text_is_that_text():
    from pathlib import Path

    from nanochat_explain.facts.parse import extract_text

    mini = Path(__file__).resolve().parent.parent / "fixtures" / "nanochat-mini" / "nanochat"
    facts = extract_text((mini / "gpt.py").read_text(encoding="utf-8"), "nanochat/gpt.py")
    calls = [c for f in facts.functions for c in f.calls]
    texts = {c.text for c in calls} | {c.callee for c in calls} | {c.text + " " for c in calls}
    assert len(calls) > 20
    for c in calls:
        for t in texts:
            assert c.spelled(t) is (c.text == t)
