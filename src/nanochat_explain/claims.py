"""Claim kinds: each a small checker in a registry, with the keys it accepts.

A checker takes a claim and the facts of its file and returns an :class:`Outcome`.
It never raises for a claim that does not hold: a false claim is a ``fail``;
a claim that cannot be evaluated (its scope is gone, a value is not a literal)
is an ``error``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from nanochat_explain import inside
from nanochat_explain.canon import unparse
from nanochat_explain.facts import Assign, Call, Class, FileFacts, Function, canonical
from nanochat_explain.model import ClaimSpec, Status


@dataclass(frozen=True)
class Outcome:
    """What checking a claim against the facts found."""

    status: Status
    line: int | None
    detail: str
    value: Any = None


class _Unevaluable(Exception):
    """The claim cannot be evaluated; becomes an ``error`` outcome."""

    def __init__(self, detail: str, line: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line = line


@dataclass(frozen=True)
class Kind:
    """A claim kind: its check, the keys it takes and what it means."""

    name: str
    doc: str
    keys: dict[str, tuple[type, ...]]  # kind-specific key -> accepted YAML types
    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...]  # from each group exactly one key must be given
    symbol: str  # "required", "optional" or "none"
    check: Callable[[ClaimSpec, FileFacts], Outcome]
    supplies_value: bool = False  # whether ``as:`` may name a placeholder


Checker = Callable[[ClaimSpec, FileFacts], Outcome]
T = TypeVar("T")
KINDS: dict[str, Kind] = {}

_SCALAR = (str, int, float, bool, type(None))
_ANY = (str, int, float, bool, type(None), list, dict)
# the branch a statement stands in (:mod:`nanochat_explain.inside`)
_INSIDE: dict[str, tuple[type, ...]] = {"inside": (dict, list)}


def _kind(
    name: str,
    doc: str,
    *,
    keys: dict[str, tuple[type, ...]],
    required: tuple[str, ...] = (),
    one_of: tuple[tuple[str, ...], ...] = (),
    symbol: str = "required",
    supplies_value: bool = False,
) -> Callable[[Checker], Checker]:
    def register(fn: Checker) -> Checker:
        KINDS[name] = Kind(name, doc, keys, required, one_of, symbol, fn, supplies_value)
        return fn

    return register


# kinds that say something happens: a second look through meaning.view may find it
_SECOND_LOOK = frozenset({"call", "assign", "order", "returns", "condition", "literal",
                          "statement"})


# set while only a claim's status and value are wanted (history, a commit at a time): the
# "found instead" part of a failure's detail, which ranks every candidate, is skipped
BRIEF: ContextVar[bool] = ContextVar("brief", default=False)
_SKIPPED = "(not read)"


def evaluate(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    placed = inside.places(claim.get("inside"))
    if not placed:
        return _looked(claim, facts, lambda f: f)
    outcome = _looked(claim, facts, lambda f: inside.within(f, placed, claim.symbol))
    if outcome.status is Status.FAIL:
        anywhere = _looked(claim, facts, lambda f: f)
        if anywhere.status is Status.PASS:
            return Outcome(Status.FAIL, anywhere.line, f"expected it {inside.describe(placed)};"
                           f" found {anywhere.detail} (line {anywhere.line}) "
                           f"{inside.where_at(facts, anywhere.line, claim.symbol)}",
                           outcome.value)
    return outcome


def _looked(claim: ClaimSpec, facts: FileFacts,
            narrow: Callable[[FileFacts], FileFacts]) -> Outcome:
    """The claim checked on the facts ``narrow`` keeps, then once more on the view of
    them with spellings undone and helpers inlined (:mod:`nanochat_explain.meaning`)."""
    outcome = _evaluate(claim, narrow(facts))
    if outcome.status is Status.FAIL and claim.kind in _SECOND_LOOK:
        from nanochat_explain.meaning import view

        seen = view(facts, claim.symbol)
        if seen is not None:
            again = _evaluate(claim, narrow(seen))
            if again.status is Status.PASS:
                return again
    return outcome


def _evaluate(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    try:
        return KINDS[claim.kind].check(claim, facts)
    except _Unevaluable as exc:
        return Outcome(Status.ERROR, exc.line, exc.detail)


# -- helpers -------------------------------------------------------------------


def _nearest(name: str, names: list[str]) -> str:
    close = _close_matches(name, tuple(names), 3, 0.6)
    return f" (nearest: {', '.join(close)})" if close else ""


@cache
def _close_matches(word: str, names: tuple[str, ...], n: int, cutoff: float) -> list[str]:
    """``difflib.get_close_matches(word, names, n, cutoff)``, the same list, faster: exact
    ratios are computed best bound first (``quick_ratio`` bounds ``ratio`` from above) and
    only until no remaining name can enter the best ``n``; and each question once per run
    (a missing function is asked about by every claim on it)."""
    import difflib
    import heapq

    s = difflib.SequenceMatcher()
    s.set_seq2(word)
    bounded = []
    for x in names:
        s.set_seq1(x)
        if s.real_quick_ratio() >= cutoff:
            q = s.quick_ratio()
            if q >= cutoff:
                bounded.append((q, x))
    bounded.sort(reverse=True)
    best: list[tuple[float, str]] = []  # a min-heap of the best n (ratio, name)
    for q, x in bounded:
        if len(best) == n and best[0] > (q, x):
            break  # every name left scores at most (q, x): none can enter
        s.set_seq1(x)
        r = s.ratio()
        if r >= cutoff:
            if len(best) < n:
                heapq.heappush(best, (r, x))
            elif (r, x) > best[0]:
                heapq.heapreplace(best, (r, x))
    return [x for _, x in sorted(best, reverse=True)]


def _scope(claim: ClaimSpec, facts: FileFacts) -> Class | Function:
    assert claim.symbol is not None
    sym = facts.symbol(claim.symbol)
    if sym is None:
        raise _Unevaluable(
            f"{claim.symbol} not found in {facts.path}"
            f"{_nearest(claim.symbol, facts.symbol_names())}"
        )
    return sym


def _function(claim: ClaimSpec, facts: FileFacts) -> Function:
    sym = _scope(claim, facts)
    if not isinstance(sym, Function):
        raise _Unevaluable(f"{claim.symbol} is a class, expected a function", sym.line)
    return sym


def _gather(
    sym: Class | Function | None,
    facts: FileFacts,
    get: Callable[[Class | Function | FileFacts], tuple[T, ...]],
) -> list[T]:
    """What ``get`` reads from a scope: a function; a class with its methods; or, for
    ``None``, the whole file."""
    scopes: list[Class | Function | FileFacts]
    if sym is None:
        scopes = [facts, *facts.functions, *facts.classes]
    elif isinstance(sym, Function):
        scopes = [sym]
    else:
        scopes = [sym, *facts.members(sym.qualname)]
    return [item for scope in scopes for item in get(scope)]


def _calls_in(sym: Class | Function | None, facts: FileFacts) -> list[Call]:
    return _gather(sym, facts, lambda s: s.calls)


def _assigns_in(sym: Class | Function | None, facts: FileFacts) -> list[Assign]:
    return _gather(sym, facts, lambda s: s.assigns)


def _canon(value: Any, bare_tuple: bool = False) -> str:
    """A template's expected expression (YAML may have made it a number) as canonical text."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    return canonical(str(value), bare_tuple)


def _args_match(expected: list[Any] | None, found: tuple[str, ...]) -> bool:
    """Positional arguments are compared whole: all of them, in order."""
    if expected is None:
        return True
    return list(found) == [_canon(a) for a in expected]


def _kwargs_match(expected: dict[str, Any] | None, found: dict[str, str]) -> bool:
    """Keywords too are compared whole: a keyword the claim does not list is a change."""
    if expected is None:
        return True
    return found == {k: _canon(v) for k, v in expected.items()}


def _expected_call_text(callee: str, args: list[Any] | None, kwargs: dict[str, Any] | None) -> str:
    parts = [_canon(a) for a in args or []]
    parts += [f"{k}={_canon(v)}" for k, v in (kwargs or {}).items()]
    if args is None:
        parts.insert(0, "...")
    return f"{callee}({', '.join(parts)})"


def literal_value(source: str) -> Any:
    """The Python value of a literal expression; raises ValueError for anything else."""
    return ast.literal_eval(source)


def _numbers(source: str) -> list[int | float]:
    """The numbers written in an expression, in source order; ``-1`` counts as one number."""
    tree = ast.parse(source, mode="eval")
    nums: list[tuple[int, int, int | float]] = []
    negated: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                and _is_number(node.operand)):
            negated.add(id(node.operand))
            nums.append((node.lineno, node.col_offset, -node.operand.value))  # type: ignore[attr-defined]
        elif _is_number(node) and id(node) not in negated:
            nums.append((node.lineno, node.col_offset, node.value))  # type: ignore[attr-defined]
    return [n for _, _, n in sorted(nums)]


def _is_number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and not isinstance(node.value, bool))


def _same(expected: Any, found: Any) -> bool:
    if isinstance(expected, list) and isinstance(found, tuple | list):
        return list(found) == expected
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found
    return bool(expected == found) and type(expected) in (type(found), int, float)


def show(value: Any) -> str:
    """A found or expected value as the output writes it."""
    return repr(value)


# -- selectors shared by literal and count -------------------------------------

_SELECTOR_KEYS: dict[str, tuple[type, ...]] = {
    "param": (str,),
    "field": (str,),
    "constant": (str,),
    "assign": (str,),
    "call": (str,),
    "arg": (int,),
    "kwarg": (str,),
    "nth": (int,),
    "first_arg": _SCALAR,
    "return_nth": (int,),
}


def _pick(items: list[Any], nth: int | None, what: str, lines: list[int]) -> Any:
    if not items:
        raise _Unevaluable(f"no {what}")
    if nth is None:
        if len(items) > 1:
            where = ", ".join(str(n) for n in lines)
            raise _Unevaluable(f"{len(items)} {what} (lines {where}); say which with nth")
        return items[0]
    try:
        return items[nth]
    except IndexError:
        raise _Unevaluable(f"no {what} number {nth}; there are {len(items)}") from None


def _select(claim: ClaimSpec, facts: FileFacts) -> tuple[str, int, str]:
    """The expression a literal or count claim reads: (source text, line, what it is)."""
    nth = claim.get("nth")
    if claim.get("constant") is not None:
        name = _canon(claim.get("constant"))
        found = [a for a in facts.assigns if a.target == name and a.op == "="]
        a = _pick(found, nth, f"module-level assignment to {name}", [x.line for x in found])
        return a.value, a.line, f"{name}"
    if claim.symbol is None:
        if any(claim.get(k) is not None for k in ("param", "field", "return_nth")):
            raise _Unevaluable("param, field and return_nth need a symbol")
        sym = None
    else:
        sym = _scope(claim, facts)
    where = sym.qualname if sym else facts.path
    if claim.get("param") is not None:
        fn = _function(claim, facts)
        name = claim.get("param")
        for p in fn.params:
            if p.name == name:
                if p.default is None:
                    raise _Unevaluable(f"parameter {name} of {fn.qualname} has no default", p.line)
                return p.default, p.line, f"default of {fn.qualname}({name}=...)"
        names = [p.name for p in fn.params]
        raise _Unevaluable(f"{fn.qualname} has no parameter {name}{_nearest(name, names)}", fn.line)
    if claim.get("return_nth") is not None:
        fn = _function(claim, facts)
        n = claim.get("return_nth")
        try:
            value, line, _ = fn.returns[n]
        except IndexError:
            raise _Unevaluable(f"{fn.qualname} has no return statement number {n}; it has "
                               f"{len(fn.returns)}", fn.line) from None
        return value, line, f"return {n} of {fn.qualname}"
    if claim.get("field") is not None:
        if not isinstance(sym, Class):
            raise _Unevaluable(f"{claim.symbol} is not a class", sym.line if sym else None)
        name = _canon(claim.get("field"))
        found = [a for a in sym.assigns if a.target == name and a.op == "="]
        a = _pick(found, nth, f"field {name} with a value in {sym.qualname}",
                  [x.line for x in found])
        return a.value, a.line, f"{sym.qualname}.{name}"
    if claim.get("assign") is not None:
        target = _canon(claim.get("assign"), bare_tuple=True)
        scope_assigns = _assigns_in(sym, facts) if sym else list(facts.assigns)
        found = [a for a in scope_assigns if a.target == target]
        a = _pick(found, nth, f"assignment to {target} in {where}", [x.line for x in found])
        return a.value, a.line, f"{target} in {where}"
    callee = _canon(claim.get("call"))
    scope_calls = _calls_in(sym, facts) if sym else list(facts.calls)
    calls = [c for c in scope_calls if c.callee == callee]
    label, head = f"call to {callee}", ""
    if claim.get("first_arg") is not None:
        first = _canon(claim.get("first_arg"))
        calls = [c for c in calls if c.args[:1] == (first,)]
        label, head = f"call {callee}({first}, ...)", f"{first}, "
    c = _pick(calls, nth, f"{label} in {where}", [x.line for x in calls])
    if claim.get("kwarg") is not None:
        kw = claim.get("kwarg")
        value = c.kwarg(kw)
        if value is None:
            raise _Unevaluable(f"call {c.text} has no keyword {kw}", c.line)
        return value, c.line, f"{callee}({head}{kw}=...)"
    index = claim.get("arg")
    if index is None:
        raise _Unevaluable("a call selector needs arg or kwarg")
    if index >= len(c.args):
        raise _Unevaluable(f"call {c.text} has no argument {index}", c.line)
    return c.args[index], c.line, f"argument {index} of {callee}({head}...)"


# -- the kinds ------------------------------------------------------------------


@_kind(
    "symbol",
    "A class or function exists (optionally with given bases or decorators).",
    keys={"type": (str,), "bases": (list,), "decorators": (list,)},
)
def _check_symbol(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    assert claim.symbol is not None
    sym = facts.symbol(claim.symbol)
    want_type = claim.get("type")
    label = f"{want_type or 'symbol'} {claim.symbol}"
    if sym is None:
        near = _nearest(claim.symbol, facts.symbol_names())
        return Outcome(Status.FAIL, None, f"expected {label}; not found in {facts.path}{near}")
    if want_type is not None and sym.kind != want_type:
        return Outcome(Status.FAIL, sym.line, f"expected {label}; found a {sym.kind}")
    bases = claim.get("bases")
    if bases is not None and isinstance(sym, Class):
        want = [_canon(b) for b in bases]
        if list(sym.bases) != want:
            return Outcome(Status.FAIL, sym.line, f"expected {claim.symbol}({', '.join(want)}); "
                           f"found {claim.symbol}({', '.join(sym.bases)})")
    decorators = claim.get("decorators")
    if decorators is not None:
        want = [_canon(d) for d in decorators]
        missing = [d for d in want if d not in sym.decorators]
        if missing:
            have = ", ".join("@" + d for d in sym.decorators) or "none"
            return Outcome(Status.FAIL, sym.line,
                           f"expected @{missing[0]} on {claim.symbol}; decorators: {have}")
    return Outcome(Status.PASS, sym.line, f"{sym.kind} {claim.symbol} defined")


@_kind(
    "signature",
    "A function's parameters, in order, and their defaults.",
    keys={"params": (list,), "defaults": (dict,)},
)
def _check_signature(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    fn = _function(claim, facts)
    names = [p.star + p.name for p in fn.params]
    want = claim.get("params")
    if want is not None and names != [str(n) for n in want]:
        return Outcome(Status.FAIL, fn.line,
                       f"expected {fn.qualname}({', '.join(map(str, want))}); "
                       f"found {fn.qualname}({', '.join(names)})")
    by_name = {p.name: p for p in fn.params}
    for name, value in (claim.get("defaults") or {}).items():
        p = by_name.get(name)
        if p is None:
            return Outcome(Status.FAIL, fn.line, f"expected parameter {name}; "
                           f"found {fn.qualname}({', '.join(names)})")
        if p.default is None:
            return Outcome(Status.FAIL, p.line, f"expected {name}={show(value)}; found no default")
        try:
            found: Any = literal_value(p.default)
            same = _same(value, found)
        except ValueError:
            found, same = p.default, p.default == _canon(value)
        if not same:
            return Outcome(Status.FAIL, p.line, f"expected {name}={show(value)}; "
                           f"found {name}={p.default}")
    return Outcome(Status.PASS, fn.line, f"{fn.qualname}({', '.join(names)})")


@_kind(
    "assign",
    "An assignment to a target inside a function or class body: its callee and "
    "arguments, or its whole value; any assignment to the target, or the nth (-1 is the "
    "last).",
    keys={"target": (str,), "callee": (str,), "args": (list,), "kwargs": (dict,),
          "value": _SCALAR, "op": (str,), "nth": (int,), **_INSIDE},
    required=("target",),
    symbol="optional",
)
def _check_assign(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    sym = _scope(claim, facts) if claim.symbol else None
    target = _canon(claim.get("target"), bare_tuple=True)
    scope_assigns = _assigns_in(sym, facts) if sym else list(facts.assigns)
    found = [a for a in scope_assigns if a.target == target]
    if not found:
        where = sym.qualname if sym else f"the module body of {facts.path}"
        return Outcome(Status.FAIL, sym.line if sym else 1, f"no assignment to {target} in {where}")
    nth = claim.get("nth")
    if nth is not None:
        if not -len(found) <= nth < len(found):
            return Outcome(Status.FAIL, found[0].line, f"expected assignment {nth} to {target}; "
                           f"found {len(found)}")
        found = [found[nth]]
    callee, args, kwargs = claim.get("callee"), claim.get("args"), claim.get("kwargs")
    value, op = claim.get("value"), claim.get("op", "=")
    for a in found:
        if a.op != op and not (op == "=" and a.op == ":"):  # an annotated x: T = v assigns
            continue
        if value is not None and a.value != _canon(value, bare_tuple=True):
            continue
        if callee is not None or args is not None or kwargs is not None:
            call = _call_of(a.value)
            if call is None:
                continue
            c_callee, c_args, c_kwargs = call
            if callee is not None and c_callee != _canon(callee):
                continue
            if not (_args_match(args, c_args) and _kwargs_match(kwargs, c_kwargs)):
                continue
        return Outcome(Status.PASS, a.line, a.text)
    if value is not None:
        expected = f"{target} {op} {_canon(value, bare_tuple=True)}"
    else:
        expected = f"{target} {op} {_expected_call_text(callee or '...', args, kwargs)}"
    have = _closest(expected, [(a.text, a.line) for a in found])
    return Outcome(Status.FAIL, found[0].line, f"expected {expected}; found {have}")


def _call_of(value: str) -> tuple[str, tuple[str, ...], dict[str, str]] | None:
    """Callee, positional and keyword arguments when ``value`` is a call.

    ``Linear(...) if cond else None`` counts as a call to Linear: the conditional
    construction nanochat uses for optional layers.
    """
    try:
        node = ast.parse(value, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.IfExp):
        node = node.body
    if not isinstance(node, ast.Call):
        return None
    args = tuple(unparse(a) for a in node.args)
    kwargs = {k.arg: unparse(k.value) for k in node.keywords if k.arg is not None}
    return unparse(node.func), args, kwargs


@_kind(
    "call",
    "A call inside a function or a class's methods (or, without symbol, in the module "
    "body), optionally with its positional arguments and exact keywords.",
    keys={"callee": (str,), "args": (list,), "kwargs": (dict,), **_INSIDE},
    required=("callee",),
    symbol="optional",
)
def _check_call(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    sym = _scope(claim, facts) if claim.symbol else None
    callee = _canon(claim.get("callee"))
    calls = _calls_in(sym, facts) if sym else list(facts.calls)
    same = [c for c in calls if c.callee == callee]
    args, kwargs = claim.get("args"), claim.get("kwargs")
    for c in same:
        if _args_match(args, c.args) and _kwargs_match(kwargs, dict(c.kwargs)):
            return Outcome(Status.PASS, c.line, c.text)
    expected = _expected_call_text(callee, args, kwargs)
    if same:
        have = _closest(expected, [(c.text, c.line) for c in same])
        return Outcome(Status.FAIL, same[0].line, f"expected {expected}; found {have}")
    names = _nearest_names(callee, sorted({c.callee for c in calls}))
    where = sym.qualname if sym else f"the module body of {facts.path}"
    return Outcome(Status.FAIL, sym.line if sym else 1, f"expected a call {expected} in "
                   f"{where}; calls there: {names}")


def _closest(expected: str, found: list[tuple[str, int]], limit: int = 3) -> str:
    if BRIEF.get():
        return _SKIPPED
    """What the code has instead, nearest to what was expected first, a few of them."""
    if len(found) > limit:
        import difflib

        found = sorted(found, key=lambda f: -difflib.SequenceMatcher(None, expected,
                                                                      f[0]).ratio())
    shown = "; ".join(f"{text} (line {line})" for text, line in found[:limit])
    more = len(found) - limit
    return shown + (f"; and {more} more" if more > 0 else "")


def _nearest_names(name: str, names: list[str], limit: int = 5) -> str:
    """A short list of what is there instead: the names nearest to ``name`` first."""
    if not names:
        return "none"
    if BRIEF.get():
        return _SKIPPED
    near = _close_matches(name, tuple(names), limit, 0.0)
    more = len(names) - len(near)
    return ", ".join(near) + (f" and {more} more" if more > 0 else "")


@_kind(
    "returns",
    "A function returns the given expression (one of its return statements does).",
    keys={"value": _SCALAR, **_INSIDE},
    required=("value",),
)
def _check_returns(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    fn = _function(claim, facts)
    want = _canon(claim.get("value"))
    for value, line, _ in fn.returns:
        if value == want:
            return Outcome(Status.PASS, line, f"{fn.qualname} returns {value}")
    have = _closest(want, [(v, line) for v, line, _ in fn.returns]) or "no return statement"
    return Outcome(Status.FAIL, fn.returns[0][1] if fn.returns else fn.line,
                   f"expected {fn.qualname} to return {want}; found {have}")


@_kind(
    "statement",
    "A whole statement, compared as canonical Python: an assignment with its operator, "
    "a return, or a call made as a statement, in a function (or a class's methods, or "
    "without symbol the module body); with count, exactly that many times.",
    keys={"code": (str,), "count": (int,), **_INSIDE},
    required=("code",),
    symbol="optional",
)
def _check_statement(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    code = str(claim.get("code")).strip()
    try:
        body = ast.parse(code).body
    except SyntaxError as exc:
        raise _Unevaluable(f"code is not Python: {exc.msg}") from None
    if len(body) != 1:
        raise _Unevaluable("code must be one statement")
    stmt = body[0]
    sym = _scope(claim, facts) if claim.symbol else None
    where = sym.qualname if sym else facts.path
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign) and (
            not isinstance(stmt, ast.AnnAssign) or stmt.value is not None):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) != 1:
            raise _Unevaluable("a chained assignment: claim each target")
        op = "=" if not isinstance(stmt, ast.AugAssign) else _OPS[type(stmt.op)] + "="
        target = _canon(unparse(targets[0]), bare_tuple=True)
        value = _canon(unparse(stmt.value), bare_tuple=True)  # type: ignore[arg-type]
        want = f"{target} {op} {value}"
        found = [(a.text, a.line) for a in (_assigns_in(sym, facts) if sym else facts.assigns)
                 if a.target == target]
        same = [(a.text, a.line) for a in (_assigns_in(sym, facts) if sym else facts.assigns)
                if a.target == target and a.value == value and (
                    a.op == op or (op == "=" and a.op == ":"))]
    elif isinstance(stmt, ast.Return) and stmt.value is not None:
        fn = _function(claim, facts)
        value = _canon(unparse(stmt.value))
        want = f"return {value}"
        same = [(want, line) for v, line, _ in fn.returns if v == value]
        found = [(f"return {v}", line) for v, line, _ in fn.returns]
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        want = _canon(code)
        calls = _calls_in(sym, facts) if sym else list(facts.calls)
        same = [(c.text, c.line) for c in calls if c.text == want]
        callee = _canon(unparse(stmt.value.func))
        found = [(c.text, c.line) for c in calls if c.callee == callee]
    else:
        raise _Unevaluable("code must be an assignment, a return or a call")
    count = claim.get("count")
    if same and (count is None or len(same) == count):
        times = f" ({len(same)} times)" if count is not None and count != 1 else ""
        return Outcome(Status.PASS, same[0][1], same[0][0] + times)
    if same:
        lines = ", ".join(str(line) for _, line in same)
        n = "once" if len(same) == 1 else f"{len(same)} times"
        return Outcome(Status.FAIL, same[0][1], f"expected {want} {count} times in {where}; "
                       f"found it {n} (line{'s' if len(same) > 1 else ''} {lines})")
    have = _closest(want, found) if found else "nothing like it"
    line = found[0][1] if found else (sym.line if sym else None)
    return Outcome(Status.FAIL, line, f"expected {want} in {where}; found {have}")


@_kind(
    "condition",
    "A function (or, without symbol, the module body) tests the given expression in an "
    "if, elif, while, assert or conditional expression; with count, exactly that many "
    "times.",
    keys={"test": _SCALAR, "count": (int,), **_INSIDE},
    required=("test",),
    symbol="optional",
)
def _check_condition(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    if claim.symbol:
        fn = _function(claim, facts)
        conditions, where, line = fn.conditions, fn.qualname, fn.line
    else:
        conditions, where, line = facts.conditions, f"the module body of {facts.path}", 1
    want = _canon(claim.get("test"))
    same = [at for test, at, _ in conditions if test == want]
    count = claim.get("count")
    if same and count is not None and len(same) != count:
        lines = ", ".join(str(at) for at in same)
        n = "once" if len(same) == 1 else f"{len(same)} times"
        return Outcome(Status.FAIL, same[0], f"expected {where} to test {want} {count} "
                       f"times; found it {n} (line{'s' if len(same) > 1 else ''} {lines})")
    if same:
        times = f" ({len(same)} times)" if count is not None and count != 1 else ""
        return Outcome(Status.PASS, same[0], f"{where} tests {want}{times}")
    have = _closest(want, [(t, at) for t, at, _ in conditions]) or "no conditions"
    return Outcome(Status.FAIL, conditions[0][1] if conditions else line,
                   f"expected {where} to test {want}; found {have}")


@_kind(
    "order",
    "Within a function (or, without symbol, the module body), one step runs before "
    "another. A step is a call (first / then: the callee, or a whole call with its "
    "arguments) or an assignment (first_assign / then_assign: the target, or a whole "
    "assignment), a test (first_test / then_test: of an if, elif, while, assert or "
    "conditional expression) or a return (first_return / then_return: its value); the "
    "first of each unless first_nth or then_nth pick another (-1 is the last). Calls are "
    "compared in evaluation order, anything else by line (a call runs before the "
    "assignment, test or return on its line).",
    keys={"first": (str,), "then": (str,), "first_assign": (str,), "then_assign": (str,),
          "first_test": (str,), "then_test": (str,), "first_return": (str,),
          "then_return": (str,), "first_nth": (int,), "then_nth": (int,), **_INSIDE},
    one_of=(("first", "first_assign", "first_test", "first_return"),
            ("then", "then_assign", "then_test", "then_return")),
    symbol="optional",
)
def _check_order(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    scope: Function | FileFacts = _function(claim, facts) if claim.symbol else facts
    where = scope.qualname if isinstance(scope, Function) else f"the module body of {facts.path}"
    scope_line = scope.line if isinstance(scope, Function) else 1

    def step(side: str) -> tuple[str, Call | Assign | _Line | None]:
        nth = claim.get(f"{side}_nth", 0)
        if claim.get(f"{side}_test") is not None or claim.get(f"{side}_return") is not None:
            test = claim.get(f"{side}_test") is not None
            text = _canon(claim.get(f"{side}_test" if test else f"{side}_return"))
            if test:
                found = scope.conditions
            elif isinstance(scope, Function):
                found = scope.returns
            else:
                raise _Unevaluable("a return step needs a function: give symbol")
            items: list[Any] = [_Line(line) for value, line, _ in found if value == text]
            label = f"the test {text}" if test else f"return {text}"
        elif claim.get(side) is not None:
            callee = _canon(claim.get(side))
            whole = _whole_call(callee)  # print0('...'): that call, not any print0
            calls = sorted((c for c in scope.calls
                            if (c.text if whole else c.callee) == callee),
                           key=lambda c: c.order)
            items = calls
            label = callee
        else:
            text = str(claim.get(f"{side}_assign"))
            assignment = _whole_assign(text)  # cos, sin = cos.to(dtype): that one, not any
            if assignment is not None:
                target, op, value = assignment
                items = [a for a in scope.assigns if a.target == target and a.value == value
                         and (a.op == op or (op == "=" and a.op == ":"))]
                label = f"{target} {op} {value}"
            else:
                target = _canon(text, bare_tuple=True)
                items = [a for a in scope.assigns if a.target == target]
                label = f"{target} = ..."
        try:
            return label, items[nth]
        except IndexError:
            return label, None

    (first, a), (then, b) = step("first"), step("then")
    if a is None or b is None:
        missing = first if a is None else then
        return Outcome(Status.FAIL, scope_line, f"expected {first} before {then} in "
                       f"{where}; no such step {missing}")
    both_calls = isinstance(a, Call) and isinstance(b, Call)
    if both_calls:
        before = a.order < b.order  # type: ignore[union-attr]
    elif isinstance(a, Call):  # y = f(x), return f(x): the call runs first
        before = a.line <= b.line
    else:
        before = a.line < b.line
    if before:
        return Outcome(Status.PASS, b.line,
                       f"{first} (line {a.line}) runs before {then} (line {b.line})")
    return Outcome(Status.FAIL, a.line, f"expected {first} before {then}; found {then} "
                   f"(line {b.line}) runs before {first} (line {a.line})")


@dataclass(frozen=True)
class _Line:
    """An order step known by its line only: a test or a return."""

    line: int


def _whole_assign(text: str) -> tuple[str, str, str] | None:
    """(target, operator, value) when an order step names a whole assignment."""
    try:
        body = ast.parse(text.strip()).body
    except SyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Assign | ast.AugAssign):
        return None
    stmt = body[0]
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    if len(targets) != 1:
        return None
    op = "=" if isinstance(stmt, ast.Assign) else _OPS[type(stmt.op)] + "="
    return (_canon(unparse(targets[0]), bare_tuple=True), op,
            _canon(unparse(stmt.value), bare_tuple=True))


def _whole_call(text: str) -> bool:
    """Whether an order step names a whole call (``print0('x')``), not a callee
    (``F.relu(...).square``)."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, ast.Call) and not any(
        isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(node))


@_kind(
    "literal",
    "The literal value of a parameter default, class field, module constant, assignment, "
    "call argument or return statement; ``index`` picks the n-th number inside an "
    "expression.",
    keys={**_SELECTOR_KEYS, "index": (int,), "expect": _ANY, "op": (str,),
          "follow_calls": (bool,), **_INSIDE},
    required=("expect",),
    one_of=(("param", "field", "constant", "assign", "call", "return_nth"),),
    symbol="optional",
    supplies_value=True,
)
def _check_literal(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    source, line, what = _select(claim, facts)
    index = claim.get("index")
    if index is not None:
        nums = _numbers(source)
        if index >= len(nums) or index < -len(nums):
            raise _Unevaluable(f"{what} is {source}: no number {index} in it", line)
        found: Any = nums[index]
        shown = f"{found} in {source}"
        op = claim.get("op")
        if op is not None:
            ops = _number_ops(source)
            have = ops[index] if -len(ops) <= index < len(ops) else None
            if have != op:
                return Outcome(Status.FAIL, line, f"expected {what}: the number {index} "
                               f"taken with {op}; found it taken with {have or 'nothing'} in "
                               f"{source}", found)
    else:
        try:
            found = literal_value(source)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise _Unevaluable(f"{what} is {source}, not a literal", line) from None
        shown = show(found)
    expect = claim.get("expect")
    if not _same(expect, found):
        return Outcome(Status.FAIL, line, f"expected {what} = {show(expect)}; found {shown}",
                       found)
    if claim.get("follow_calls") and claim.get("param") is not None:
        for call, passed in _overrides(claim, facts):
            try:
                value = literal_value(passed)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                value = passed
            if not _same(expect, value):
                return Outcome(Status.FAIL, call.line, f"expected {what} = {show(expect)} "
                               f"where it is called; found {call.text}", found)
    return Outcome(Status.PASS, line, f"{what} = {shown}", found)


def _overrides(claim: ClaimSpec, facts: FileFacts) -> list[tuple[Call, str]]:
    """The calls in the file that pass the claimed parameter, with the value passed."""
    fn = _function(claim, facts)
    name = claim.get("param")
    params = [p.name for p in fn.params if not p.star]
    short = fn.qualname.rsplit(".", 1)[-1]
    if short == "__init__":  # a class is called by its own name
        short = fn.qualname.rsplit(".", 2)[-2] if "." in fn.qualname else short
    offset = 1 if params[:1] in (["self"], ["cls"]) else 0
    out = []
    calls = [*facts.calls, *(c for f in facts.functions for c in f.calls)]
    for call in sorted(calls, key=lambda c: (c.line, c.column)):
        if call.callee.rsplit(".", 1)[-1] != short:
            continue
        if call.kwarg(name) is not None:
            out.append((call, call.kwarg(name)))
        elif name in params and params.index(name) - offset < len(call.args) and not any(
                a.startswith("*") for a in call.args):
            out.append((call, call.args[params.index(name) - offset]))
    return out


def _number_ops(source: str) -> list[str | None]:
    """For each number in ``source`` (in the order ``_numbers`` finds them), the binary
    operator it is an operand of, or None."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return []
    parent: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parent[id(child)] = node
    out: list[str | None] = []
    for node in sorted((n for n in ast.walk(tree) if _is_number(n)),
                       key=lambda n: (n.lineno, n.col_offset)):  # type: ignore[attr-defined]
        up = parent.get(id(node))
        if isinstance(up, ast.UnaryOp):  # -1 is the number; its operator is the parent's
            up = parent.get(id(up))
        out.append(_OPS.get(type(up.op)) if isinstance(up, ast.BinOp) else None)
    return out


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}


@_kind(
    "absent",
    "Nothing in a scope (a function, a class with its methods, or the whole file) "
    "assigns, calls or defines what the regular expressions describe (assign: target, "
    "value; call: callee, args, searched in the positional arguments joined by ', '; "
    "define: name of a class or function).",
    keys={"assign": (dict,), "call": (dict,), "define": (dict,), **_INSIDE},
    one_of=(("assign", "call", "define"),),
    symbol="optional",
)
def _check_absent(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    sym = _scope(claim, facts) if claim.symbol else None
    where = sym.qualname if sym else facts.path
    scope_line = sym.line if sym else None  # the whole file was searched: no one line
    if claim.get("define") is not None:
        spec = claim.get("define")
        n_re = _regex(spec, "name")
        prefix = f"{sym.qualname}." if sym else ""
        for name in facts.symbol_names():
            if name.startswith(prefix) and n_re.search(name[len(prefix):]):
                found = facts.symbol(name)
                return Outcome(Status.FAIL, found.line if found else None,
                               f"expected no definition {_describe(spec)} in {where}; "
                               f"found {name}")
        return Outcome(Status.PASS, scope_line, f"no definition {_describe(spec)} in {where}")
    if claim.get("assign") is not None:
        spec = claim.get("assign")
        t_re, v_re = _regex(spec, "target"), _regex(spec, "value")
        for a in _assigns_in(sym, facts):
            if _searched(t_re, a.target) and _searched(v_re, a.value):
                return Outcome(Status.FAIL, a.line, f"expected no assignment "
                               f"{_describe(spec)} in {where}; found {a.text}")
        return Outcome(Status.PASS, scope_line, f"no assignment {_describe(spec)} in {where}")
    spec = claim.get("call")
    c_re, a_re = _regex(spec, "callee"), _regex(spec, "args")
    calls = _calls_in(sym, facts)
    for c in calls:
        if _searched(c_re, _reached(c)) and _searched(a_re, ", ".join(c.args)):
            return Outcome(Status.FAIL, c.line, f"expected no call {_describe(spec)} in "
                           f"{where}; found {c.text}")
    return Outcome(Status.PASS, scope_line, f"no call {_describe(spec)} in {where}")


_KEYED = re.compile(r"""\[(['"])([A-Za-z_][A-Za-z0-9_]*)\1\]""")
_GETATTR = re.compile(r"""\bgetattr\(([A-Za-z_][A-Za-z0-9_.]*), (['"])([A-Za-z_][A-Za-z0-9_]*)\2\)""")


def _spelled(text: str) -> str:
    """``transformer['wte'].weight`` and ``getattr(transformer, 'wte').weight`` as
    ``transformer.wte.weight``: an attribute however it is reached."""
    text = _GETATTR.sub(r"\1.\3", text)
    return _KEYED.sub(r".\2", text)


def _regex(spec: dict[str, Any], key: str) -> re.Pattern[str]:
    pattern = spec.get(key, "")
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise _Unevaluable(f"bad regular expression for {key}: {exc}") from None


def _reached(call: Call) -> str:
    """The callee, or for ``getattr(obj, 'name')`` the attribute it reaches."""
    if call.callee == "getattr" and len(call.args) >= 2:
        return _spelled(f"getattr({call.args[0]}, {call.args[1]})")
    return call.callee


def _searched(pattern: re.Pattern[str], text: str) -> bool:
    return bool(pattern.search(text) or pattern.search(_spelled(text)))


_DESCRIBED = {"target": "whose target", "value": "whose value", "callee": "whose callee",
              "args": "whose positional arguments", "name": "whose name"}


def _describe(spec: dict[str, Any]) -> str:
    """What an ``absent`` claim looks for, in words: ``whose callee matches the pattern
    (?i)kl``, not the template's own notation."""
    return " and ".join(
        f"{_DESCRIBED.get(k, 'whose ' + k)} {'match' if k == 'args' else 'matches'} the "
        f"pattern {v}" for k, v in spec.items())


@_kind(
    "count",
    "How many calls to a callee a scope makes, or how many items a literal list, "
    "tuple, dict or set holds.",
    keys={**_SELECTOR_KEYS, "callee": (str,), "expect": (int,), **_INSIDE},
    required=("expect",),
    one_of=(("callee", "param", "field", "constant", "assign", "call", "return_nth"),),
    symbol="optional",
    supplies_value=True,
)
def _check_count(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    expect = claim.get("expect")
    if claim.get("callee") is not None:
        sym = _scope(claim, facts)
        callee = _canon(claim.get("callee"))
        calls = [c for c in _calls_in(sym, facts) if c.callee == callee]
        n = len(calls)
        line = calls[0].line if calls else sym.line
        what = f"calls to {callee} in {sym.qualname}"
    else:
        source, line, what = _select(claim, facts)
        try:
            node = ast.parse(source, mode="eval").body
        except SyntaxError:
            raise _Unevaluable(f"{what} is {source}, not a collection", line) from None
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            n = len(node.elts)
        elif isinstance(node, ast.Dict):
            n = len(node.keys)
        else:
            raise _Unevaluable(f"{what} is {source}, not a literal collection", line)
        what = f"items in {what}"
    if n == expect:
        return Outcome(Status.PASS, line, f"{n} {what}", n)
    return Outcome(Status.FAIL, line, f"expected {expect} {what}; found {n}", n)


# the kinds kept in modules of their own register themselves on import
from nanochat_explain import commentclaim  # noqa: E402, F401
