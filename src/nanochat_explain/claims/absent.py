"""The ``absent`` claim: nothing in a scope (a function, a class with its methods, or the whole
file) assigns, calls or defines what the regular expressions describe (assign: target,
value; call: callee, args, searched in the positional arguments joined by ', '; define: name
of a class or function)."""

from __future__ import annotations

import re
from collections.abc import Callable

from nanochat_explain.claims.base import Outcome, _kind
from nanochat_explain.claims.common import _INSIDE, _assigns_in, _calls_in, _regex, _scope
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.facts.model import Call, FileFacts
    from nanochat_explain.model import ClaimSpec


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
        n_search = _regex(spec, "name")
        prefix = f"{sym.qualname}." if sym else ""
        for name in facts.symbol_names():
            if name.startswith(prefix) and n_search(name[len(prefix):]):
                found = facts.symbol(name)
                return Outcome(Status.FAIL, found.line if found else None,
                               f"expected no definition {_describe(spec)} in {where}; "
                               f"found {name}")
        return Outcome(Status.PASS, scope_line, f"no definition {_describe(spec)} in {where}")
    if claim.get("assign") is not None:
        spec = claim.get("assign")
        t_search, v_search = _regex(spec, "target"), _regex(spec, "value")
        for a in _assigns_in(sym, facts):
            if _searched(t_search, a.target) and _searched(v_search, a.value):
                return Outcome(Status.FAIL, a.line, f"expected no assignment "
                               f"{_describe(spec)} in {where}; found {a.text}")
        return Outcome(Status.PASS, scope_line, f"no assignment {_describe(spec)} in {where}")
    spec = claim.get("call")
    c_search, a_search = _regex(spec, "callee"), _regex(spec, "args")
    calls = _calls_in(sym, facts)
    for c in calls:
        if _searched(c_search, _reached(c)) and _searched(a_search, ", ".join(c.args)):
            return Outcome(Status.FAIL, c.line, f"expected no call {_describe(spec)} in "
                           f"{where}; found {c.text}")
    return Outcome(Status.PASS, scope_line, f"no call {_describe(spec)} in {where}")


_KEYED = re.compile(r"""\[(['"])([A-Za-z_][A-Za-z0-9_]*)\1\]""")
_GETATTR = re.compile(r"""\bgetattr\(([A-Za-z_][A-Za-z0-9_.]*), """
                      r"""(['"])([A-Za-z_][A-Za-z0-9_]*)\2\)""")


def _spelled(text: str) -> str:
    """``transformer['wte'].weight`` and ``getattr(transformer, 'wte').weight`` as
    ``transformer.wte.weight``: an attribute however it is reached."""
    if "getattr(" in text:
        text = _GETATTR.sub(r"\1.\3", text)
    return _KEYED.sub(r".\2", text) if "[" in text else text


def _reached(call: Call) -> str:
    """The callee, or for ``getattr(obj, 'name')`` the attribute it reaches."""
    if call.callee == "getattr" and len(call.args) >= 2:
        return _spelled(f"getattr({call.args[0]}, {call.args[1]})")
    return call.callee


def _searched(search: Callable[[str], object], text: str) -> bool:
    if search(text):
        return True
    spelled = _spelled(text)
    return spelled is not text and bool(search(spelled))


_DESCRIBED = {"target": "whose target", "value": "whose value", "callee": "whose callee",
              "args": "whose positional arguments", "name": "whose name"}


def _describe(spec: dict[str, Any]) -> str:
    """What an ``absent`` claim looks for, in words: ``whose callee matches the pattern
    (?i)kl``, not the template's own notation."""
    return " and ".join(
        f"{_DESCRIBED.get(k, 'whose ' + k)} {'match' if k == 'args' else 'matches'} the "
        f"pattern {v}" for k, v in spec.items())
