"""The depth evaluator: its interpreter on inline sources, fixture trees checked against
hand arithmetic, failures that name file and line, and (opt-in) real nanochat against torch."""

from __future__ import annotations

import ast
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from conftest import FIXTURES, MINI
from nanochat_explain.depth.interpreter import Interpreter
from nanochat_explain.depth.phases import DepthReport, DepthUnavailable, evaluate_depth
from nanochat_explain.depth.values import Obj, Opaque, Param, Scope, Stuck, Tensor

DEPTH_MINI = FIXTURES / "depth-mini"
GPT = "nanochat/gpt.py"
TRAIN = "scripts/base_train.py"


def run(source: str, *, lenient: bool = False, argv: dict[str, Any] | None = None,
        max_steps: int = 100_000) -> dict[str, Any]:
    """Execute a module body in the interpreter; return its top-level names."""
    interp = Interpreter(max_steps=max_steps, argv=argv)
    scope = Scope()
    tree = ast.parse(dedent(source))
    if lenient:
        interp.run_module(tree.body, scope, "m.py")
    else:
        interp.file = "m.py"
        interp.exec_block(tree.body, scope)
    return scope.vars


def stuck(source: str, **kwargs: Any) -> Stuck:
    with pytest.raises(Stuck) as info:
        run(source, **kwargs)
    return info.value


def read(tree: Path) -> tuple[str, str]:
    return (tree / GPT).read_text(encoding="utf-8"), (tree / TRAIN).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The interpreter


@pytest.mark.parametrize(("source", "expected"), [
    ("x = (7 + 3) * 2 ** 3 // 3 - 10 % 4", 24),
    ("x = -(-2048 // 4 // 128) * 128", 512),
    ("x = ((1280 + 128 - 1) // 128) * 128", 1280),
    ("x = (1280 / 768) ** -0.5", (1280 / 768) ** -0.5),
    ("x = 1 < 2 <= 2 != 3", True),
    ("x = 3 > 2 > 2", False),
    ("x = 0 or [] or 'a'", "a"),
    ("x = 1 and 0 and 1/0", 0),
    ("x = not None", True),
    ("x = 5 if 1 > 2 else 6", 6),
    ("x = 'SSSL'.upper()[5 % len('SSSL')]", "S"),
    ("x = [1, 2, 3, 4][1:-1]", [2, 3]),
    ("x = 'abcdef'[::2]", "ace"),
    ("x = {'a': 1, **{'b': 2}}['b']", 2),
    ("x = (*range(3), 9)", (0, 1, 2, 9)),
    ("x = [i * i for i in range(5) if i % 2]", [1, 9]),
    ("x = {str(i): i for i in range(3) if i != 1}", {"0": 0, "2": 2}),
    ("x = sorted({c for c in 'banana'})", ["a", "b", "n"]),
    ("x = [(i, j) for i in range(2) for j in range(i)]", [(1, 0)]),
    ("x = sum(n for n in range(10))", 45),
    ("x = all(c in 'SL' for c in 'SLLS')", True),
    ("x = any(c == 'X' for c in 'SL')", False),
    ("x = min(3, 1, 2), max([4, 8, 2]), abs(-3), round(2.5), round(1.25, 1)",
     (1, 8, 3, 2, 1.2)),
    ("x = list(enumerate('ab', 1)), list(zip([1, 2], 'xy'))",
     ([(1, "a"), (2, "b")], [(1, "x"), (2, "y")])),
    ("x = int('12') + int(3.9) + float('0.5')", 15.5),
    ("x = dict(a=1), set([1, 1]), tuple([1]), list('ab'), str(1.5)",
     ({"a": 1}, {1}, (1,), ["a", "b"], "1.5")),
    ("x = f'{1234567:,} {0.5:.3f} {\"s\"!r} {2 ** 10}'", "1,234,567 0.500 's' 1024"),
    ("x = isinstance(3, int), isinstance('a', (int, float))", (True, False)),
    ("x = (lambda a, b=2: a * b)(5)", 10),
])
def test_expressions(source: str, expected: Any) -> None:
    assert run(source)["x"] == expected


def test_statements() -> None:
    names = run("""
        a, (b, *c) = 1, (2, 3, 4)
        total = 0
        for i in range(10):
            if i == 2:
                continue
            elif i > 5:
                break
            total += i
        else:
            total = -1
        n = 0
        while n < 3:
            n += 1
        items = []
        items += [1]
        items.append(2)
        d = {}
        d['k'] = 1
        d['k'] += 1
        assert total == 13, 'never'
        pass
    """)
    assert (names["a"], names["b"], names["c"]) == (1, 2, [3, 4])
    assert names["total"] == 13
    assert names["n"] == 3
    assert names["items"] == [1, 2]
    assert names["d"] == {"k": 2}


def test_functions_closures_classes_and_dataclasses() -> None:
    names = run("""
        from dataclasses import dataclass

        def outer(n, *, scale=3, **extra):
            def inner(k):
                return k * scale + n
            return inner(len(extra))

        @dataclass
        class Config:
            depth: int = 12
            width: int = 768
            pattern: str = "SL"

        class Base:
            def __init__(self, x):
                self.x = x

            def double(self):
                return self.x * 2

        class Child(Base):
            def __init__(self, x):
                super().__init__(x + 1)

            @staticmethod
            def twice(v):
                return 2 * v

        r = outer(1, a=0, b=0)
        c = Config(width=64)
        k = Child(4)
        out = (c.depth, c.width, c.pattern, k.double(), Child.twice(5), Config.__name__)
    """)
    assert names["r"] == 7
    assert names["out"] == (12, 64, "SL", 10, 10, "Config")


def test_opaque_values_carry_reason_and_line() -> None:
    names = run("""
        import torch
        from nanochat.common import get_tokenizer

        tok = get_tokenizer()
        size = tok.get_vocab_size() * 2
        ok = len([1, 2])
    """)
    assert isinstance(names["size"], Opaque)
    assert names["size"].reason == "nanochat.common.get_tokenizer(...) is not modelled"
    assert names["size"].where == "m.py:5"
    assert names["ok"] == 2


def test_needed_opaque_value_is_stuck_with_line() -> None:
    error = stuck("""
        from lib import flag

        def f():
            if flag():
                return 1
            return 2

        x = f()
    """)
    assert error.where == "m.py:5"
    assert "cannot decide `if flag()`" in error.reason
    assert "lib.flag(...) is not modelled (m.py:5)" in error.reason


def test_opaque_assert_is_ignored_failed_assert_is_stuck() -> None:
    assert run("from lib import v\nassert v > 0\nx = 1")["x"] == 1
    error = stuck("x = 1\nassert x == 2, 'x must be 2'")
    assert (error.where, error.reason) == ("m.py:2", "assertion failed: x must be 2")


def test_lenient_module_taints_what_it_cannot_follow() -> None:
    names = run("""
        from lib import device
        if device == "cuda":
            peak = 1
        else:
            peak = 2
        missing = undefined_name + 1
        while True:
            spin = 1
        kept = 3
    """, lenient=True)
    assert isinstance(names["peak"], Opaque)
    assert isinstance(names["missing"], Opaque)
    assert "name 'undefined_name' is not defined" in names["missing"].reason
    assert isinstance(names["spin"], Opaque)
    assert names["kept"] == 3


def test_torch_modules_parameters_and_isinstance() -> None:
    names = run("""
        import torch
        import torch.nn as nn

        class Linear(nn.Linear):
            pass

        class Net(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.emb = nn.Embedding(100, n)
                self.layers = nn.ModuleList([Linear(n, 2 * n, bias=False) for _ in range(3)])
                self.heads = nn.ModuleDict({"a": nn.Linear(n, 5)})
                self.scale = nn.Parameter(0.5 * torch.ones(n))
                self.gate = None
                self.register_buffer("table", torch.arange(10))

        net = Net(8)
        total = sum(p.numel() for p in net.parameters())
        linear = sum(m.weight.numel() for m in net.modules() if isinstance(m, Linear))
        names = [name for name, _ in net.named_parameters()]
        shapes = sorted({p.shape for p in net.layers.parameters()})
    """)
    # 100*8 + 3*(16*8) + (5*8 + 5) + 8
    assert names["total"] == 800 + 3 * 128 + 45 + 8
    assert names["linear"] == 3 * 128
    assert names["names"] == ["scale", "emb.weight", "layers.0.weight", "layers.1.weight",
                              "layers.2.weight", "heads.a.weight", "heads.a.bias"]
    assert names["shapes"] == [(16, 8)]
    assert isinstance(names["net"], Obj)


def test_unknown_submodule_blocks_counting() -> None:
    error = stuck("""
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.norm = nn.LayerNorm(8)

        n = sum(p.numel() for p in Net().parameters())
    """)
    assert "submodule norm is unknown: torch.nn.LayerNorm(...) is not modelled (m.py:7)" \
        in error.reason


def test_argparse_defaults_and_overrides() -> None:
    names = run("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--depth", type=int, default=20)
        p.add_argument("--aspect-ratio", type=int, default="64")
        p.add_argument("--fp8", action="store_true")
        p.add_argument("--lr", dest="learning_rate", type=float, default=0.5)
        args = p.parse_args()
        out = (args.depth, args.aspect_ratio, args.fp8, args.learning_rate)
    """, argv={"depth": 4})
    assert names["out"] == (4, 64, False, 0.5)


def test_optimizer_constructor_keeps_param_groups() -> None:
    names = run("""
        import torch
        import torch.nn as nn
        from nanochat.optim import MuonAdamW
        w = nn.Parameter(torch.zeros(3, 4))
        opt = MuonAdamW([dict(kind="muon", params=[w], lr=0.1)])
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        groups = opt.param_groups
    """)
    [group] = names["groups"]
    assert group["kind"] == "muon" and group["initial_lr"] == 0.1
    assert isinstance(group["params"][0], Param) and group["params"][0].shape == (3, 4)
    assert isinstance(Tensor((1,)), Tensor)


@pytest.mark.parametrize(("source", "reason"), [
    ("x = 2 ** 10 ** 9", "an integer too large to follow"),
    ("x = 1 << 10 ** 6", "an integer too large to follow"),
    ("x = 'ab' * 10 ** 9", "too large to follow"),
    ("x = [0] * 10 ** 7", "too large to follow"),
    ("x = 1 / 0", "ZeroDivisionError"),
    ("def f(n):\n    return f(n + 1)\nx = f(0)", "calls nested more than"),
    ("x = undefined", "name 'undefined' is not defined"),
    ("x = [1][5]", "index 5 out of range"),
    ("raise ValueError('no')", "the code raises here"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "Try statements are not modelled"),
])
def test_hostile_or_unmodelled_code_is_stuck_cleanly(source: str, reason: str) -> None:
    assert reason in stuck(source).reason


def test_step_budget_stops_infinite_loops() -> None:
    error = stuck("n = 0\nwhile True:\n    n += 1", max_steps=10_000)
    assert error.fatal and "step budget" in error.reason
    error = stuck("for i in range(10 ** 15):\n    pass", max_steps=10_000)
    assert error.fatal


def test_deep_nesting_is_stuck_not_a_crash() -> None:
    source = "x = " + "(" * 180 + "1" + ")" * 180 + "\n"
    source += "y = " + "-" * 400 + "1"
    assert "nested too deeply" in stuck(source).reason


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    run(f"""
        import os, subprocess
        os.system("touch {marker}")
        subprocess.run(["touch", "{marker}"])
        open("{marker}", "w")
        exec("open('{marker}', 'w')")
        __import__("os").system("touch {marker}")
    """, lenient=True)
    assert not marker.exists()


# --------------------------------------------------------------------------------------------
# Fixture trees, by hand


def test_depth_mini_depth_4_by_hand() -> None:
    gpt, train = read(DEPTH_MINI)
    report = evaluate_depth(gpt, train, 4, vocab_size=50000)

    # base_train's argparse defaults: --aspect-ratio 40, --head-dim 64, --max-seq-len 512,
    # --window-pattern SL; build_model_meta rounds the width up to whole heads.
    width = 4 * 40
    dim = math.ceil(width / 64) * 64  # 192
    heads = dim // 64  # 3
    padded = math.ceil(50000 / 128) * 128  # GPT.__init__'s pad_vocab_size_to=128: 50048
    seq = 512
    assert report.config | {"layers": None} == {
        "n_layer": 4, "n_embd": dim, "n_head": heads, "n_kv_head": heads, "head_dim": 64,
        "sequence_len": seq, "vocab_size": 50000, "padded_vocab_size": padded,
        "window_pattern": "SL",
        "window_sizes": [[seq // 2, 0], [seq, 0], [seq // 2, 0], [seq, 0]],
        "build_model_meta": {"width": 160, "model_dim": 192, "num_heads": 3},
        "args": {"aspect_ratio": 40, "head_dim": 64, "max_seq_len": 512, "window_pattern": "SL"},
        "layers": None,
    }

    ve_layers = [1, 3]  # has_ve: (n_layer - 1 - i) % 2 == 0
    attn = 4 * dim * dim  # c_q, c_k, c_v, c_proj (n_kv_head == n_head)
    mlp = 2 * dim * 4 * dim
    ve_gate = 8 * heads  # Linear(ve_gate_channels=8, n_kv_head)
    wte = padded * dim
    value_embeds = len(ve_layers) * padded * heads * 64
    lm_head = dim * padded
    matrices = 4 * (attn + mlp) + len(ve_layers) * ve_gate
    scalars = 4 + 4 + 16 + 1 + 1  # resid, x0, smear_gate Linear(16, 1), smear, backout
    total = wte + value_embeds + lm_head + matrices + scalars
    assert report.params == {"wte": wte, "value_embeds": value_embeds, "lm_head": lm_head,
                             "transformer_matrices": matrices, "scalars": scalars,
                             "total": total}
    assert total == 40_206_410

    assert report.components == (
        ("transformer.wte.weight", wte),
        ("transformer.h.*.attn.c_q.weight", 4 * dim * dim),
        ("transformer.h.*.attn.c_k.weight", 4 * dim * dim),
        ("transformer.h.*.attn.c_v.weight", 4 * dim * dim),
        ("transformer.h.*.attn.c_proj.weight", 4 * dim * dim),
        ("transformer.h.*.attn.ve_gate.weight", 2 * ve_gate),
        ("transformer.h.*.mlp.c_fc.weight", 4 * dim * 4 * dim),
        ("transformer.h.*.mlp.c_proj.weight", 4 * 4 * dim * dim),
        ("lm_head.weight", lm_head),
        ("resid_lambdas", 4), ("x0_lambdas", 4), ("smear_gate.weight", 16),
        ("smear_lambda", 1), ("backout_lambda", 1),
        ("value_embeds.*.weight", value_embeds),
    )
    assert sum(n for _, n in report.components) == total
    layer_1 = report.config["layers"][1]
    assert layer_1["window_size"] == [seq, 0]
    assert layer_1["params"]["transformer.h.*.attn.ve_gate.weight"] == ve_gate
    assert layer_1["total"] == attn + mlp + ve_gate + padded * dim
    assert report.config["layers"][0]["total"] == attn + mlp

    matmul = matrices + lm_head + 16
    attention = 12 * heads * 64 * (seq // 2 + seq + seq // 2 + seq)
    assert report.flops_per_token == 6 * matmul + attention == 71_811_456
    assert report.kv_bytes_per_token == 2 * 4 * heads * 64 * 2 == 3072


def test_depth_mini_optimizer_groups_by_hand() -> None:
    report = evaluate_depth(*read(DEPTH_MINI), 4, vocab_size=50000)
    batch = math.sqrt(2**17 / 2**16)  # base_train: sqrt(total_batch_size / B_REF)
    dmodel = (192 / 768) ** -0.5  # setup_optimizer's scale
    groups = [(g["kind"], g["params"], g["tensors"], g["numel"]) for g in report.optimizer_groups]
    assert groups == [
        ("adamw", ["lm_head.weight"], 1, 192 * 50048),
        ("adamw", ["transformer.wte.weight"], 1, 50048 * 192),
        ("adamw", ["value_embeds.*.weight"], 2, 2 * 50048 * 192),
        ("adamw", ["resid_lambdas", "x0_lambdas"], 2, 8),
        ("adamw", ["smear_gate.weight", "smear_lambda", "backout_lambda"], 3, 18),
        ("muon", ["transformer.h.*.attn.ve_gate.weight"], 2, 2 * 24),
        ("muon", ["transformer.h.*.attn.c_q.weight", "transformer.h.*.attn.c_k.weight",
                  "transformer.h.*.attn.c_v.weight", "transformer.h.*.attn.c_proj.weight"],
         16, 16 * 192 * 192),
        ("muon", ["transformer.h.*.mlp.c_proj.weight"], 4, 4 * 192 * 768),
        ("muon", ["transformer.h.*.mlp.c_fc.weight"], 4, 4 * 768 * 192),
    ]
    lm, wte, ve, scal, smear, *muon = report.optimizer_groups
    assert lm["lr"] == pytest.approx(0.008 * batch * dmodel)
    assert lm["betas"] == [0.8, 0.96] and lm["weight_decay"] == 0.01
    assert wte["lr"] == pytest.approx(0.3 * batch * dmodel)
    assert ve["lr"] == pytest.approx(0.3 * batch * dmodel / 2)
    assert scal["lr"] == pytest.approx(0.5 * batch)
    assert smear["lr"] == 0.2
    for group in muon:
        assert group["lr"] == pytest.approx(0.02 * batch)
        assert group["momentum"] == 0.95
        assert group["weight_decay"] == pytest.approx(0.2 / batch)
    assert [g["shapes"] for g in muon] == [[[3, 8]], [[192, 192]], [[192, 768]], [[768, 192]]]
    assert any("scripts/base_train.py:60" in note and "matrix_lr=0.0282843" in note
               for note in report.notes)
    assert any("bfloat16" in note for note in report.notes)


def test_mini_fixture_depth_4() -> None:
    """nanochat-mini is shared with other tests; it may lack the methods the report needs."""
    gpt, train = read(MINI)
    needed = ("num_scaling_params", "estimate_flops", "kv_bytes_per_token", "setup_optimizer")
    missing = [name for name in needed if f"def {name}(" not in gpt]
    if missing:
        with pytest.raises(DepthUnavailable) as info:
            evaluate_depth(gpt, train, 4)
        error = info.value
        assert error.file == GPT
        assert error.line == gpt.splitlines().index("class GPT(nn.Module):") + 1
        assert error.message == f"class GPT has no method {', '.join(missing)}"
        return
    report = evaluate_depth(gpt, train, 4)  # the fixture keeps nanochat's constants
    dim, heads, vocab = 256, 2, 32768  # 4 * 64 rounded to 128-wide heads
    matrices = 4 * (4 * dim * dim + 8 * dim * dim) + 2 * 12 * heads
    assert report.params["transformer_matrices"] == matrices
    embeddings = (1 + 2 + 1) * vocab * dim  # wte, value embeds of layers 1 and 3, lm_head
    assert report.params["total"] == embeddings + matrices + 4 + 4 + 24 + 1 + 1 == 36_700_242


def test_report_as_dict_is_plain_data() -> None:
    import json

    report = evaluate_depth(*read(DEPTH_MINI), 2)
    data = report.as_dict()
    assert json.loads(json.dumps(data, sort_keys=True)) == data
    assert set(data) == {"depth", "config", "params", "components", "flops_per_token",
                         "kv_bytes_per_token", "optimizer_groups", "notes"}
    assert data["components"][0] == {"name": "transformer.wte.weight",
                                     "numel": report.components[0][1]}
    assert isinstance(report, DepthReport)


@pytest.mark.parametrize("depth", [0, -1, 1025, 2.0, True, "4", None])
def test_depth_is_validated(depth: Any) -> None:
    with pytest.raises(ValueError, match="depth must be an integer from 1 to 1,024"):
        evaluate_depth("", "", depth)


def test_depth_1_and_1024_evaluate() -> None:
    gpt, train = read(DEPTH_MINI)
    assert evaluate_depth(gpt, train, 1).config["n_layer"] == 1
    started = time.monotonic()
    big = evaluate_depth(gpt, train, 1024)
    assert big.config["n_embd"] == 1024 * 40
    assert time.monotonic() - started < 60


# --------------------------------------------------------------------------------------------
# Failures name file and line


def _mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_unknown_width_function_names_file_and_line() -> None:
    gpt, train = read(DEPTH_MINI)
    mutated = _mutate(train, "width = depth * args.aspect_ratio", "width = mystery_width(depth)")
    with pytest.raises(DepthUnavailable) as info:
        evaluate_depth(gpt, mutated, 4)
    line = _line(mutated, "mystery_width(depth)")
    assert str(info.value) == f"{TRAIN}:{line}: name 'mystery_width' is not defined"


def test_imported_unknown_width_function_names_where_it_was_called() -> None:
    gpt, train = read(DEPTH_MINI)
    mutated = _mutate(train, "from nanochat.common import autodetect_device_type,",
                      "from nanochat.common import mystery, autodetect_device_type,")
    mutated = _mutate(mutated, "width = depth * args.aspect_ratio", "width = mystery(depth)")
    with pytest.raises(DepthUnavailable) as info:
        evaluate_depth(gpt, mutated, 4)
    line = _line(mutated, "width = mystery(depth)")
    assert str(info.value) == (f"{TRAIN}:{line}: config.n_embd is unknown:"
                               " nanochat.common.mystery(...) is not modelled")


def test_infinite_loop_in_a_method_is_stopped_by_the_budget() -> None:
    gpt, train = read(DEPTH_MINI)
    mutated = _mutate(gpt, "        head_dim = self.config.n_embd // self.config.n_head\n"
                           "        return 2 * self.config.n_layer",
                      "        while True:\n            pass\n"
                      "        head_dim = self.config.n_embd // self.config.n_head\n"
                      "        return 2 * self.config.n_layer")
    started = time.monotonic()
    with pytest.raises(DepthUnavailable) as info:
        evaluate_depth(mutated, train, 4)
    assert time.monotonic() - started < 30
    assert info.value.file == GPT
    loop = _line(mutated, "while True:")
    assert info.value.line in (loop, loop + 1)  # the loop or its body
    assert "step budget" in info.value.message


def test_unknown_base_class_is_named() -> None:
    gpt, train = read(DEPTH_MINI)
    mutated = _mutate(gpt, "class MLP(nn.Module):", "class MLP(nn.GELU):")
    with pytest.raises(DepthUnavailable) as info:
        evaluate_depth(mutated, train, 2)
    assert "derives from torch.nn.GELU" in str(info.value)
    assert str(info.value).startswith(f"{GPT}:")


def test_unevaluable_learning_rates_fall_back_to_setup_optimizer_defaults() -> None:
    gpt, train = read(DEPTH_MINI)
    mutated = _mutate(train, "lr_scale = math.sqrt(args.total_batch_size / B_REF)",
                      "lr_scale = math.sqrt(args.total_batch_size / world_size)")
    report = evaluate_depth(gpt, mutated, 4)
    muon = [g for g in report.optimizer_groups if g["kind"] == "muon"]
    assert {g["lr"] for g in muon} == {0.02} and {g["weight_decay"] for g in muon} == {0.0}
    [note] = [n for n in report.notes if "own defaults" in n]
    assert f"{TRAIN}:60" in note and "matrix_lr" in note and "weight_decay" in note


def test_syntax_error_names_file_and_line() -> None:
    gpt, train = read(DEPTH_MINI)
    with pytest.raises(DepthUnavailable) as info:
        evaluate_depth(gpt + "\ndef broken(:\n", train, 4)
    assert info.value.file == GPT and info.value.line == len(gpt.splitlines()) + 2


def test_missing_builder_is_named() -> None:
    gpt, train = read(DEPTH_MINI)
    mutated = _mutate(train, "def build_model_meta(depth):", "def build_model(depth):")
    with pytest.raises(DepthUnavailable, match="no function build_model_meta"):
        evaluate_depth(gpt, mutated, 4)


# --------------------------------------------------------------------------------------------
# Real nanochat, against torch (opt-in)


@pytest.fixture(scope="module")
def real_nanochat() -> Any:
    root = os.environ.get("NANOCHAT_DIR")
    if not root:
        pytest.skip("set NANOCHAT_DIR to a nanochat checkout")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch = pytest.importorskip("torch")
        sys.path.insert(0, root)
        try:
            import nanochat.gpt as gpt_module
        finally:
            sys.path.remove(root)
    yield torch, gpt_module, Path(root)
    for name in [m for m in sys.modules if m == "nanochat" or m.startswith("nanochat.")]:
        del sys.modules[name]


@pytest.mark.nanochat
@pytest.mark.parametrize("depth", range(2, 33))
def test_real_nanochat_matches_torch(real_nanochat: Any, depth: int,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    torch, gpt_module, root = real_nanochat
    monkeypatch.setattr(gpt_module, "COMPUTE_DTYPE", torch.bfloat16)  # as the report assumes
    report = evaluate_depth(*read(root), depth)
    keys = ("sequence_len", "vocab_size", "n_layer", "n_head", "n_kv_head", "n_embd",
            "window_pattern")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = gpt_module.GPT(gpt_module.GPTConfig(**{k: report.config[k] for k in keys}))
    assert report.params == model.num_scaling_params()
    assert report.flops_per_token == model.estimate_flops()
    assert report.kv_bytes_per_token == model.kv_bytes_per_token()
    assert report.config["window_sizes"] == [list(w) for w in model.window_sizes]
    assert report.config["n_embd"] == -(-depth * 64 // 128) * 128  # base_train's rounding
    sizes = {name: p.numel() for name, p in model.named_parameters()}
    for name, numel in report.components:
        pattern = re.compile(re.escape(name).replace(r"\*", r"\d+") + "$")
        assert numel == sum(n for key, n in sizes.items() if pattern.match(key)), name
    assert sum(n for _, n in report.components) == sum(sizes.values())
    counts = {id(p): p.numel() for p in model.parameters()}
    groups = report.optimizer_groups
    assert sum(g["numel"] for g in groups) == sum(counts.values())
    assert [g["kind"] for g in groups][:6] == ["adamw"] * 6


def test_depth_mini_matches_torch_on_the_meta_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the fixture model itself (our own code, not nanochat's) with torch and compare."""
    torch = pytest.importorskip("torch")
    import importlib.util
    import sys
    import types

    root = Path(__file__).resolve().parent.parent / "fixtures" / "depth-mini"
    common = types.ModuleType("nanochat.common")
    common.COMPUTE_DTYPE = torch.bfloat16  # type: ignore[attr-defined]
    common.print0 = lambda *a, **k: None  # type: ignore[attr-defined]
    optim = types.ModuleType("nanochat.optim")
    optim.MuonAdamW = lambda groups: types.SimpleNamespace(param_groups=groups)  # type: ignore[attr-defined]
    package = types.ModuleType("nanochat")
    package.__path__ = []  # type: ignore[attr-defined]
    for name, module in (("nanochat", package), ("nanochat.common", common),
                         ("nanochat.optim", optim)):
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location("depth_mini_gpt", root / "nanochat" / "gpt.py")
    assert spec is not None and spec.loader is not None
    gpt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpt)
    for depth in (2, 4, 7):
        report = evaluate_depth((root / "nanochat" / "gpt.py").read_text(),
                                (root / "scripts" / "base_train.py").read_text(), depth)
        fields = {f: report.config[f] for f in ("sequence_len", "vocab_size", "n_layer",
                                                "n_head", "n_kv_head", "n_embd")
                  if f in report.config}
        with torch.device("meta"):
            model = gpt.GPT(gpt.GPTConfig(**fields))
        assert sum(p.numel() for p in model.parameters()) == report.params["total"]
        assert dict(model.num_scaling_params()) == dict(report.params)
        assert model.estimate_flops() == report.flops_per_token
