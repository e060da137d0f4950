"""Mutation testing of the explanations: is each statement backed by a claim that fails
when the statement becomes false?

    python bench/mutate.py --repo PATH [--module M ...] [--max N] [--format json]
                           [--allow FILE]

For each module, the statements its shown items cite (the lines of the claims the reader is
shown) are mutated one at a time in a copy of the checkout: an arithmetic or comparison
operator swapped, a constant changed, ``+=`` turned into ``=``, the left operand of an
accumulation dropped, the bodies of an ``if``/``else`` swapped, a test negated, a called
function replaced by a sibling (``sigmoid`` -> ``tanh``), two arguments swapped, a
statement deleted, two dependent statements reordered (one reads or writes what the
other writes: independent statements commute, so swapping them is not tried), a new
attribute assigned in a constructor. A mutation is
*killed* when a claim of the module changes its status or the explanation the reader gets
changes (another form, another value; line numbers aside); it *survives* when the reader
would be told exactly the same. Survivors that change no meaning may be listed, with the
reason, in an allow file (``bench/mutate-allow.yaml``: ``- {module, file, line_text,
mutation, why}``); they are then counted as equivalent, not as survivors.

JSON: ``{"modules": {"<module>": {"tried": N, "killed": K, "equivalent": E,
"survivors": [{"file", "line", "statement", "mutation", "items"}]}}}``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGET_KILLED = 0.95
TARGET_TRIED = 20

# a called function and the sibling a careless edit could put in its place
SIBLINGS = {
    "relu": "gelu", "gelu": "relu", "silu": "gelu", "sigmoid": "tanh", "tanh": "sigmoid",
    "softmax": "log_softmax", "log_softmax": "softmax", "sin": "cos", "cos": "sin",
    "rms_norm": "layer_norm", "layer_norm": "rms_norm", "min": "max", "max": "min",
    "zeros": "ones", "ones": "zeros", "zeros_like": "ones_like", "ones_like": "zeros_like",
    "sqrt": "rsqrt", "rsqrt": "sqrt", "exp": "log", "log": "exp", "mean": "sum",
    "sum": "mean", "argmax": "argmin", "topk": "sort", "square": "abs", "abs": "square",
    "normal_": "uniform_", "uniform_": "normal_", "zeros_": "ones_", "ones_": "zeros_",
    "cross_entropy": "nll_loss", "bfloat16": "float16", "float16": "bfloat16",
    "append": "extend", "floor": "ceil", "ceil": "floor", "lerp_": "add_", "mul_": "add_",
    "add_": "mul_", "sub_": "add_", "all_reduce": "reduce_scatter", "float": "half",
}
BINOPS: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div,
                            ast.Div: ast.Mult, ast.FloorDiv: ast.Mult, ast.Pow: ast.Mult,
                            ast.Mod: ast.FloorDiv, ast.MatMult: ast.Mult,
                            ast.LShift: ast.RShift, ast.RShift: ast.LShift}
CMPOPS: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
                            ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
                            ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
                            ast.NotIn: ast.In}


@dataclass(frozen=True)
class Mutation:
    file: str
    line: int  # the line of the statement mutated, in the original file
    statement: str  # that line's text, stripped
    what: str  # how it was mutated
    text: str  # the whole mutated file


@dataclass
class Outcome:
    tried: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"tried": self.tried, "killed": self.killed, "equivalent": self.equivalent,
                "survivors": self.survivors}

    @property
    def share(self) -> float:
        counted = self.tried - self.equivalent
        return self.killed / counted if counted else 1.0


# ---------------------------------------------------------------- the mutations


def _segment(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset,  # type: ignore[attr-defined]
            node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _replace(text: str, span: tuple[int, int, int, int], new: str) -> str:
    """``text`` with the span (1-based lines, byte-free character columns) replaced."""
    lines = text.splitlines(keepends=True)
    l0, c0, l1, c1 = span
    head = "".join(lines[:l0 - 1]) + _cols(lines[l0 - 1])[:c0]
    tail = _cols(lines[l1 - 1])[c1:] + "".join(lines[l1:])
    return head + new + tail


def _cols(line: str) -> str:
    # ast's columns count UTF-8 bytes; nanochat is ASCII almost everywhere, so map through
    # bytes only when the line is not
    if line.isascii():
        return line
    return _ByteLine(line)  # type: ignore[return-value]


class _ByteLine(str):
    def __getitem__(self, key: Any) -> str:  # type: ignore[override]
        return self.encode("utf-8")[key].decode("utf-8", "replace")


def _expr_mutations(stmt: ast.stmt) -> Iterator[tuple[str, ast.AST, str]]:
    """(what, node, replacement text) for the expressions inside a simple statement."""
    for node in ast.walk(stmt):
        if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
            new = copy.deepcopy(node)
            new.op = BINOPS[type(node.op)]()
            yield (f"operator {_op(node.op)} -> {_op(new.op)}", node, ast.unparse(new))
        elif isinstance(node, ast.Compare) and type(node.ops[0]) in CMPOPS:
            new = copy.deepcopy(node)
            new.ops[0] = CMPOPS[type(node.ops[0])]()
            yield (f"comparison {ast.unparse(node)} -> {ast.unparse(new)}", node,
                   ast.unparse(new))
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield ("and <-> or", node, ast.unparse(new))
        elif (isinstance(node, ast.Constant) and type(node.value) in (int, float)
              and not isinstance(node.value, bool)):
            value = node.value
            changed = value + 1 if isinstance(value, int) else value * 2 if value else 1.0
            yield (f"constant {value!r} -> {changed!r}", node, repr(changed))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield (f"constant {node.value} -> {not node.value}", node, repr(not node.value))
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else (
                node.func.id if isinstance(node.func, ast.Name) else None)
            if name in SIBLINGS:
                new = copy.deepcopy(node.func)
                if isinstance(new, ast.Attribute):
                    new.attr = SIBLINGS[name]
                else:
                    new.id = SIBLINGS[name]
                yield (f"call {name} -> {SIBLINGS[name]}", node.func, ast.unparse(new))
            positional = [a for a in node.args if not isinstance(a, ast.Starred)]
            if len(positional) >= 2 and ast.unparse(positional[0]) != ast.unparse(
                    positional[1]):
                new_call = copy.deepcopy(node)
                new_call.args[0], new_call.args[1] = new_call.args[1], new_call.args[0]
                yield (f"arguments of {ast.unparse(node.func)} swapped", node,
                       ast.unparse(new_call))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            yield (f"{_op(node.op)} dropped", node, ast.unparse(node.operand))


def _op(op: ast.AST) -> str:
    probe = ast.BinOp(ast.Name("a"), op, ast.Name("b")) if isinstance(op, ast.operator) \
        else ast.UnaryOp(op, ast.Name("a"))
    text = ast.unparse(probe)
    return text.replace("a", "").replace("b", "").strip() or type(op).__name__


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def mutations_of(text: str, path: str, cited: set[int]) -> Iterator[Mutation]:
    """Every mutation of the statements at the cited lines of one file."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    seen: set[tuple[int, str]] = set()
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node

    def mutation(stmt: ast.stmt, what: str, new_text: str) -> Mutation | None:
        key = (stmt.lineno, what)
        if key in seen or new_text == text:
            return None
        try:
            ast.parse(new_text)
        except SyntaxError:
            return None
        seen.add(key)
        return Mutation(path, stmt.lineno, lines[stmt.lineno - 1].strip(), what, new_text)

    statements = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
    chosen: list[ast.stmt] = []
    for line in sorted(cited):
        # the innermost statement holding the line; a compound statement only by its header
        holding = [s for s in statements if s.lineno <= line <= (s.end_lineno or s.lineno)
                   and (not _compound(s) or line == s.lineno)]
        # the innermost: the latest start, then the shortest span
        holding = sorted(holding, key=lambda s: (-s.lineno, s.end_lineno or 0))[:1]
        chosen.extend(s for s in holding if s not in chosen)
    made: list[Mutation | None] = []
    functions_done: set[int] = set()
    for stmt in chosen:
        header = _header(stmt)
        for what, node, new in _expr_mutations(header):
            made.append(mutation(stmt, what, _replace(text, _segment(node), new)))
        if isinstance(stmt, ast.AugAssign):
            gap = (stmt.target.end_lineno, stmt.target.end_col_offset,  # type: ignore[attr-defined]
                   stmt.value.lineno, stmt.value.col_offset)
            made.append(mutation(stmt, f"{_op(stmt.op)}= -> =", _replace(text, gap, " = ")))
        if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.BinOp)
                and ast.unparse(stmt.value.left) == ast.unparse(stmt.targets[0])):
            made.append(mutation(stmt, "left operand of the accumulation dropped",
                                 _replace(text, _segment(stmt.value),
                                          ast.unparse(stmt.value.right))))
        if isinstance(stmt, (ast.If, ast.While)):
            made.append(mutation(stmt, "test negated", _replace(
                text, _segment(stmt.test), f"not ({ast.unparse(stmt.test)})")))
        if isinstance(stmt, ast.If) and stmt.orelse and not (
                len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If)
                and not lines[stmt.orelse[0].lineno - 2].strip().startswith("else")):
            made.append(mutation(stmt, "if/else bodies swapped", _swap_bodies(lines, stmt)))
        if not _compound(stmt) and not isinstance(stmt, (ast.Return, ast.Pass)):
            made.append(mutation(stmt, "statement deleted", _delete(lines, stmt)))
            parent = parents.get(stmt)
            body = getattr(parent, "body", []) if parent is not None else []
            if stmt in body:
                at = body.index(stmt)
                if (at + 1 < len(body) and not _compound(body[at + 1])
                        and _dependent(stmt, body[at + 1])):
                    made.append(mutation(stmt, "reordered with the next statement",
                                         _swap(lines, stmt, body[at + 1])))
        function = _enclosing_function(stmt, parents)
        if (function is not None and id(function) not in functions_done
                and function.name == "__init__"):
            functions_done.add(id(function))
            end = stmt.end_lineno or stmt.lineno
            pad = _indent(lines[stmt.lineno - 1]) if not _compound(stmt) else \
                _indent(lines[stmt.body[0].lineno - 1])  # type: ignore[attr-defined]
            if not _compound(stmt):
                new = "".join(lines[:end]) + f"{pad}self.mutant_attribute = None\n" + \
                    "".join(lines[end:])
                made.append(mutation(stmt, "a new attribute assigned", new))
    yield from (m for m in made if m is not None)


def _accesses(stmt: ast.stmt) -> tuple[set[str], set[str]]:
    """(names written, names read) by a simple statement; attribute chains count as names
    (``self.cos``). A bare expression statement, and an in-place method (``x.mul_``),
    is taken to write what it touches: its effects are not known."""
    writes: set[str] = set()
    reads: set[str] = set()
    # the object whose attribute is assigned (``self`` in ``self.x = ...``) is not read
    bases = {id(n.value) for n in ast.walk(stmt)
             if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(stmt):
        if isinstance(node, ast.Attribute) and id(node) in bases:
            bases.add(id(node.value))
        if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in bases:
            text = ast.unparse(node)
            (writes if isinstance(node.ctx, (ast.Store, ast.Del)) else reads).add(text)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.endswith("_")):
            writes.add(ast.unparse(node.func.value))
    if isinstance(stmt, ast.Expr):
        writes |= reads
    return writes, reads


def _dependent(a: ast.stmt, b: ast.stmt) -> bool:
    """Whether swapping two statements can change what they compute: one reads or writes
    what the other writes (statements with no such link commute: swapping them is an
    equivalent mutation, not tried)."""
    wa, ra = _accesses(a)
    wb, rb = _accesses(b)

    def meet(x: set[str], y: set[str]) -> bool:
        return any(p == q or p.startswith(q + ".") or q.startswith(p + ".")
                   for p in x for q in y)

    return meet(wa, rb) or meet(wb, ra) or meet(wa, wb)


def _compound(stmt: ast.stmt) -> bool:
    return hasattr(stmt, "body") and isinstance(getattr(stmt, "body"), list)  # noqa: B009


def _header(stmt: ast.stmt) -> ast.AST:
    """The part of a statement its own line says: a compound statement's test or
    signature, not its body."""
    if isinstance(stmt, (ast.If, ast.While)):
        return stmt.test
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return stmt.iter
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ast.Module(body=[], type_ignores=[]) if not stmt.args.defaults else \
            ast.Tuple(elts=[d for d in stmt.args.defaults + stmt.args.kw_defaults if d])
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return ast.Tuple(elts=[i.context_expr for i in stmt.items])
    if _compound(stmt):
        return ast.Module(body=[], type_ignores=[])
    return stmt


def _enclosing_function(stmt: ast.AST, parents: dict[ast.AST, ast.AST]) -> Any:
    node = parents.get(stmt)
    while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node = parents.get(node)
    return node


def _block(body: list[ast.stmt]) -> tuple[int, int]:
    return body[0].lineno, max(s.end_lineno or s.lineno for s in body)


def _swap_bodies(lines: list[str], stmt: ast.If) -> str:
    a0, a1 = _block(stmt.body)
    b0, b1 = _block(stmt.orelse)
    first, second = lines[a0 - 1:a1], lines[b0 - 1:b1]
    pad_a, pad_b = _indent(first[0]), _indent(second[0])
    first = [pad_b + ln[len(pad_a):] if ln.startswith(pad_a) else ln for ln in first]
    second = [pad_a + ln[len(pad_b):] if ln.startswith(pad_b) else ln for ln in second]
    return "".join(lines[:a0 - 1] + second + lines[a1:b0 - 1] + first + lines[b1:])


def _delete(lines: list[str], stmt: ast.stmt) -> str:
    end = stmt.end_lineno or stmt.lineno
    pad = _indent(lines[stmt.lineno - 1])
    return "".join([*lines[:stmt.lineno - 1], f"{pad}pass\n", *lines[end:]])


def _swap(lines: list[str], a: ast.stmt, b: ast.stmt) -> str:
    a0, a1 = a.lineno, a.end_lineno or a.lineno
    b0, b1 = b.lineno, b.end_lineno or b.lineno
    return "".join(lines[:a0 - 1] + lines[b0 - 1:b1] + lines[a1:b0 - 1] + lines[a0 - 1:a1]
                   + lines[b1:])


# ---------------------------------------------------------------- running the claims

_LINES = re.compile(r"(\.py):\d+|\b(lines?) \d+(?:[-–]\d+)?")


def _normal(text: str) -> str:
    """The explanation as the reader gets it, line numbers aside."""
    return _LINES.sub(lambda m: f"{m.group(1)}:N" if m.group(1) else f"{m.group(2)} N", text)


def _reading(tree: Path, template: Any, mentioned: frozenset[str]) -> tuple[Any, str]:
    from nanochat_explain.core import Session
    from nanochat_explain.render import render
    from nanochat_explain.source.cache import FactsCache
    from nanochat_explain.source.locate import locate

    session = Session(locate(str(tree)), cache=FactsCache())
    session.mentioned = mentioned
    statuses = tuple((r.id, r.status.value) for r in session.check(template))
    text = render("plain", "explanation", session.explain(template))
    return statuses, _normal(text)


def _cited(tree: Path, template: Any, mentioned: frozenset[str]) -> dict[str, dict[int, list[str]]]:
    """file -> line -> the items citing it, for the claims the reader is shown."""
    from nanochat_explain.core import Session
    from nanochat_explain.source.cache import FactsCache
    from nanochat_explain.source.locate import locate

    session = Session(locate(str(tree)), cache=FactsCache())
    session.mentioned = mentioned
    exp = session.explain(template)
    items: dict[str, list[str]] = {}

    def add(label: str, check: Any) -> None:
        for r in check.results:
            items.setdefault(r.id, []).append(label)

    add("summary", exp.summary)
    for box, check in exp.boxes:
        add(f"box:{box.label}", check)
    for item, _, _, check in exp.breakdown:
        add(f"breakdown:{item.name}", check)
    for row, _, check in exp.comparisons:
        add(f"comparisons:{row.aspect}", check)
    for note, _, check in exp.notes:
        add(f"notes:{note.text[:40]}", check)
    cited: dict[str, dict[int, list[str]]] = {}
    for r in exp.results:
        if r.line is not None and r.status.value == "pass":
            labels = items.get(r.id, ["values"])
            cited.setdefault(r.file, {}).setdefault(r.line, []).extend(labels)
    return cited


def load_allow(path: Path | None) -> list[dict[str, str]]:
    if path is None or not path.is_file():
        return []
    import yaml

    return list(yaml.safe_load(path.read_text(encoding="utf-8")) or [])


def run_module(repo: Path, template: Any, mentioned: frozenset[str], limit: int,
               allow: list[dict[str, str]],
               progress: Callable[[str], None] = lambda _: None) -> Outcome:
    outcome = Outcome()
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(repo, tree, ignore=shutil.ignore_patterns(".git", "__pycache__"))
        baseline = _reading(tree, template, mentioned)
        cited = _cited(tree, template, mentioned)
        candidates: list[tuple[Mutation, list[str]]] = []
        for path in sorted(cited):
            original = (tree / path).read_text(encoding="utf-8")
            for m in mutations_of(original, path, set(cited[path])):
                candidates.append((m, sorted(set(cited[path].get(m.line, [])))))
        if limit and len(candidates) > limit:  # spread evenly, deterministically
            step = len(candidates) / limit
            candidates = [candidates[int(i * step)] for i in range(limit)]
        for m, labels in candidates:
            target = tree / m.file
            original = target.read_text(encoding="utf-8")
            target.write_text(m.text, encoding="utf-8")
            try:
                after = _reading(tree, template, mentioned)
            finally:
                target.write_text(original, encoding="utf-8")
            outcome.tried += 1
            if after != baseline:
                outcome.killed += 1
                continue
            if any(a.get("module") == template.module and a.get("file") == m.file
                   and a.get("line_text") == m.statement and a.get("mutation") == m.what
                   for a in allow):
                outcome.equivalent += 1
                continue
            outcome.survivors.append({"file": m.file, "line": m.line,
                                      "statement": m.statement, "mutation": m.what,
                                      "items": labels})
            progress(f"  survives: {m.file}:{m.line} {m.what}: {m.statement}")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", required=True, type=Path)
    parser.add_argument("--module", action="append", default=[])
    parser.add_argument("--max", type=int, default=80,
                        help="at most N mutations per module, spread evenly (0: all)")
    parser.add_argument("--allow", type=Path,
                        default=Path(__file__).resolve().parent / "mutate-allow.yaml")
    parser.add_argument("--templates", default=None)
    parser.add_argument("--format", choices=("plain", "json"), default="plain")
    args = parser.parse_args(argv)

    from nanochat_explain.commands.app import catalog

    cat = catalog(args.templates, cache=False)
    templates = [t for t in cat.templates if not args.module or t.module in args.module]
    allow = load_allow(args.allow)
    results: dict[str, Outcome] = {}
    for t in templates:
        print(f"{t.module} ...", file=sys.stderr, flush=True)
        results[t.module] = run_module(args.repo, t, cat.mentioned, args.max, allow,
                                       lambda s: print(s, file=sys.stderr))
    if args.format == "json":
        print(json.dumps({"modules": {m: o.as_dict() for m, o in results.items()}},
                         indent=1, sort_keys=True))
    else:
        print(f"{'module':<12} {'tried':>5} {'killed':>6} {'equiv':>5} {'share':>6}")
        for m, o in results.items():
            mark = "PASS" if o.share >= TARGET_KILLED and o.tried >= TARGET_TRIED else "FAIL"
            print(f"{m:<12} {o.tried:>5} {o.killed:>6} {o.equivalent:>5} {o.share:>6.1%}  "
                  f"{mark}")
            for s in o.survivors:
                print(f"    {s['file']}:{s['line']}  {s['mutation']}: {s['statement']}"
                      f"  ({', '.join(s['items'])})")
    ok = all(o.share >= TARGET_KILLED and o.tried >= TARGET_TRIED for o in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
