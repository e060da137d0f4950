"""Compare by meaning, not spelling: a second look at a claim that failed.

A fork (or a later nanochat) may say the same thing another way: ``Linear`` imported
from ``torch.nn`` is ``nn.Linear``; a value stored in a variable and then returned is
returned; statements moved into a helper the function calls still run when it runs. When
a claim fails, it is checked once more against a view of the function with these
spellings undone: calls and constructions named as nanochat names them (``nn.X``,
``F.X``), the helpers' calls, assignments, conditions and returns inlined where they are
called, and a returned name replaced by what was assigned to it. The view only ever
turns a failure into a pass for code that does what the claim says.
"""

from __future__ import annotations

import dataclasses
import re

from nanochat_explain.facts import Assign, Call, FileFacts, Function

# how nanochat spells the torch namespaces its templates name
_SPELLING = (("torch.nn.functional.", "F."), ("torch.nn.", "nn."))
_LEADING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_LEADING_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(?=\()")
MAX_DEPTH = 2  # helpers of helpers, and no further


def _respell(name: str, imports: dict[str, str], local: set[str]) -> str:
    """``name`` (a callee, maybe chained: ``relu(...).square``) spelled as nanochat would."""
    lead = _LEADING_NAME.match(name)
    if lead is None:
        return name
    dotted, tail = lead.group(0), name[lead.end():]
    head, dot, rest = dotted.partition(".")
    if head in local or head not in imports:
        return name
    full = imports[head] + (dot + rest if dot else "")
    for prefix, short in _SPELLING:
        if full.startswith(prefix):
            return short + full[len(prefix):] + tail
    return name


def _helpers(fn: Function, facts: FileFacts, depth: int) -> list[tuple[Call, Function]]:
    """(the call, the helper it calls) for each call of ``fn`` into a function of the file."""
    owner = fn.qualname.rpartition(".")[0] if fn.kind == "method" else ""
    out = []
    for call in fn.calls:
        name = call.callee
        if name.startswith("self.") and owner:
            target = facts.symbol(f"{owner}.{name[5:]}")
        elif "." not in name:
            target = facts.symbol(name)
        else:
            target = None
        if isinstance(target, Function) and target.qualname != fn.qualname:
            out.append((call, target))
    return out if depth > 0 else []


def _inline(fn: Function, facts: FileFacts, depth: int, imports: dict[str, str],
            local: set[str]) -> Function:
    calls: list[Call] = []
    assigns = list(fn.assigns)
    conditions = list(fn.conditions)
    returns = list(fn.returns)
    helpers = dict((id(c), h) for c, h in _helpers(fn, facts, depth))
    for call in sorted(fn.calls, key=lambda c: c.order):
        calls.append(call)
        helper = helpers.get(id(call))
        if helper is None:
            continue
        inner = _inline(helper, facts, depth - 1, imports, local)
        # the helper's steps run when it is called: at the call's place in the order and on
        # its line (what an order claim compares), in the blocks the call stands in
        around, at = call.where, call.line
        calls.extend(dataclasses.replace(c, order=call.order, line=at, where=around + c.where)
                     for c in sorted(inner.calls, key=lambda c: c.order))
        assigns += [dataclasses.replace(a, line=at, where=around + a.where)
                    for a in inner.assigns]
        conditions += [(t, at, around + w) for t, _, w in inner.conditions]
        returns += [(v, at, around + w) for v, _, w in inner.returns]
    calls = [dataclasses.replace(c, callee=_respell(c.callee, imports, local), order=i)
             for i, c in enumerate(calls)]

    def value(a: Assign) -> str:
        m = _LEADING_CALL.match(a.value)
        if m is None:
            return a.value
        return _respell(m.group(1), imports, local) + a.value[m.end():]

    assigns = [dataclasses.replace(a, value=value(a)) for a in assigns]
    # ``y = f(x); return y`` returns f(x)
    for name, line, where in list(returns):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            before = [a for a in assigns if a.target == name and a.line <= line and a.op == "="]
            if before:
                returns.append((max(before, key=lambda a: a.line).value, line, where))
    return dataclasses.replace(fn, calls=tuple(calls), assigns=tuple(assigns),
                               conditions=tuple(conditions), returns=tuple(returns))


_VIEWS: dict[tuple[int, str | None], tuple[FileFacts, FileFacts | None]] = {}


def view(facts: FileFacts, symbol: str | None) -> FileFacts | None:
    """The facts with ``symbol``'s spellings undone and its helpers inlined; None when
    that would change nothing. Remembered for the last files seen: every failing claim on
    the same function asks for the same view."""
    k = (id(facts), symbol)
    found = _VIEWS.get(k)
    if found is not None and found[0] is facts:  # the id of these facts, not of freed ones
        return found[1]
    if len(_VIEWS) > 512:
        _VIEWS.clear()
    seen = _view(facts, symbol)
    _VIEWS[k] = (facts, seen)
    return seen


def _view(facts: FileFacts, symbol: str | None) -> FileFacts | None:
    imports = dict(facts.imports)
    local = {c.qualname for c in facts.classes if "." not in c.qualname}
    local |= {f.qualname for f in facts.functions if "." not in f.qualname}
    if symbol is None:
        calls = tuple(dataclasses.replace(c, callee=_respell(c.callee, imports, local))
                      for c in facts.calls)
        return dataclasses.replace(facts, calls=calls) if calls != facts.calls else None
    target = facts.symbol(symbol)
    if not isinstance(target, Function):
        return None
    seen = _inline(target, facts, MAX_DEPTH, imports, local)
    if seen == target:
        return None
    functions = tuple(seen if f.qualname == symbol else f for f in facts.functions)
    return dataclasses.replace(facts, functions=functions)
