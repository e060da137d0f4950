"""The ``assign`` claim: an assignment to a target inside a function or class body: its callee
and arguments, or its whole value; any assignment to the target, or the nth (-1 is the
last)."""

from __future__ import annotations

import ast

from nanochat_explain.claims.base import _SCALAR, Outcome, _kind
from nanochat_explain.claims.common import (
    _INSIDE,
    _args_match,
    _assigns_in,
    _canon,
    _closest,
    _expected_call_text,
    _kwargs_match,
    _scope,
)
from nanochat_explain.facts.canon import unparse
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


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
