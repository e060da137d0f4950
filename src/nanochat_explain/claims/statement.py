"""The ``statement`` claim: a whole statement, compared as canonical Python: an assignment with
its operator, a return, or a call made as a statement, in a function (or a class's methods,
or without symbol the module body); with count, exactly that many times."""

from __future__ import annotations

import ast

from nanochat_explain.claims.base import Outcome, _kind, _Unevaluable
from nanochat_explain.claims.common import (
    _INSIDE,
    _OPS,
    _assigns_in,
    _calls_in,
    _canon,
    _closest,
    _function,
    _scope,
)
from nanochat_explain.claims.texts import of_text
from nanochat_explain.facts.canon import unparse
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec


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
    parts = _statement(str(claim.get("code")).strip())
    if parts[0] == "unparsed":
        raise _Unevaluable(parts[1])
    sym = _scope(claim, facts) if claim.symbol else None
    where = sym.qualname if sym else facts.path
    if parts[0] == "assign":
        _, target, op, value = parts
        want = f"{target} {op} {value}"
        found = [(a.text, a.line) for a in (_assigns_in(sym, facts) if sym else facts.assigns)
                 if a.target == target]
        same = [(a.text, a.line) for a in (_assigns_in(sym, facts) if sym else facts.assigns)
                if a.target == target and a.value == value and (
                    a.op == op or (op == "=" and a.op == ":"))]
    elif parts[0] == "return":
        fn = _function(claim, facts)
        value = parts[1]
        want = f"return {value}"
        same = [(want, line) for v, line, _ in fn.returns if v == value]
        found = [(f"return {v}", line) for v, line, _ in fn.returns]
    elif parts[0] == "call":
        _, want, callee = parts
        calls = _calls_in(sym, facts) if sym else list(facts.calls)
        same = [(want, c.line) for c in calls if c.spelled(want)]
        found = [(c.text, c.line) for c in calls if c.callee == callee]
    else:
        raise _Unevaluable(parts[1])
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


@of_text(("statement", "code"), text=lambda code: str(code).strip())
def _statement(code: str) -> tuple[str, ...]:
    """What a statement claim's code is, in canonical text: ("assign", target, operator,
    value), ("return", value) or ("call", the call, its callee); ("unparsed", why) when
    it is not one statement of Python, ("other", why) when it is none of those."""
    try:
        body = ast.parse(code).body
    except SyntaxError as exc:
        return ("unparsed", f"code is not Python: {exc.msg}")
    if len(body) != 1:
        return ("unparsed", "code must be one statement")
    stmt = body[0]
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign) and (
            not isinstance(stmt, ast.AnnAssign) or stmt.value is not None):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) != 1:
            return ("other", "a chained assignment: claim each target")
        op = "=" if not isinstance(stmt, ast.AugAssign) else _OPS[type(stmt.op)] + "="
        return ("assign", _canon(unparse(targets[0]), bare_tuple=True), op,
                _canon(unparse(stmt.value), bare_tuple=True))  # type: ignore[arg-type]
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        return ("return", _canon(unparse(stmt.value)))
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return ("call", _canon(code), _canon(unparse(stmt.value.func)))
    return ("other", "code must be an assignment, a return or a call")
