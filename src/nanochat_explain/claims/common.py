"""What several claim kinds share: finding a claim's scope and the calls and
assignments in it, canonical text and literal values, selecting one statement, and the
near matches a failure names."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import cache

from nanochat_explain.claims.base import _SCALAR, _SKIPPED, BRIEF, _Unevaluable
from nanochat_explain.facts.canon import canonical
from nanochat_explain.facts.model import Class, Function

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.claims.base import T
    from nanochat_explain.facts.model import Assign, Call, FileFacts
    from nanochat_explain.model import ClaimSpec


# the branch a statement stands in (:mod:`nanochat_explain.claims.inside`)
_INSIDE: dict[str, tuple[type, ...]] = {"inside": (dict, list)}


def _nearest(name: str, names: list[str]) -> str:
    if BRIEF.get():
        return ""
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


def _closest(expected: str, found: list[tuple[str, int]], limit: int = 3) -> str:
    """What the code has instead, nearest to what was expected first, a few of them."""
    if BRIEF.get():
        return _SKIPPED
    if len(found) > limit:
        import difflib

        found = sorted(found, key=lambda f: -difflib.SequenceMatcher(None, expected,
                                                                      f[0]).ratio())
    shown = "; ".join(f"{text} (line {line})" for text, line in found[:limit])
    more = len(found) - limit
    return shown + (f"; and {more} more" if more > 0 else "")


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}


def _regex(spec: dict[str, Any], key: str) -> Callable[[str], object]:
    """A search for ``spec[key]``, a regular expression, in a text: truthy when found."""
    pattern = str(spec.get(key, ""))
    if not _SPECIAL.search(pattern):
        return _containing(pattern)  # compiling a hundred patterns cost a cold check 5 ms
    try:
        return re.compile(pattern).search
    except re.error as exc:
        raise _Unevaluable(f"bad regular expression for {key}: {exc}") from None


_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")


def _containing(text: str) -> Callable[[str], bool]:
    """A search for ``text`` as it is: what a regular expression without special
    characters finds."""
    return lambda searched: text in searched
