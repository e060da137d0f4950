"""The ``comment`` claim kind: what nanochat's comments and docstrings say.

A note that quotes a comment or a docstring is backed by a ``comment`` claim beside its
claims on the code, so that it fails when either side changes. Registered in the claims'
registry when :mod:`nanochat_explain.claims.checks` is imported.
"""

from __future__ import annotations

from collections.abc import Iterator

from nanochat_explain.claims.base import Outcome, _kind, _Unevaluable
from nanochat_explain.claims.common import (
    _assigns_in,
    _calls_in,
    _canon,
    _containing,
    _regex,
    _scope,
)
from nanochat_explain.facts.model import Comment, Docstring, FileFacts
from nanochat_explain.model import ClaimSpec, Status

_WHERE = ("comment", "docstring")


def _within(name: str, scope: str | None) -> bool:
    return scope is None or name == scope or name.startswith(scope + ".")


def _statement_lines(claim: ClaimSpec, facts: FileFacts, scope: str | None) -> set[int]:
    """Lines of the statements in scope that assign to or call ``statement``: a comment
    sits on or above one when its statement starts there, or when it stands on the line
    of the call."""
    want = _canon(claim.get("statement"))
    sym = _scope(claim, facts) if scope is not None else None
    lines = {a.line for a in _assigns_in(sym, facts) if a.target == want}
    lines |= {c.line for c in _calls_in(sym, facts) if c.callee == want}
    if not lines:
        where = scope or facts.path
        raise _Unevaluable(f"no statement in {where} assigns to or calls {want}",
                           sym.line if sym is not None else None)
    return lines


def candidates(claim: ClaimSpec, facts: FileFacts) -> Iterator[Comment | Docstring]:
    """The comments and docstrings a claim reads: those of its scope (the whole file
    without ``symbol``), of the kind it names, on or above its statement if it names one."""
    scope = claim.symbol
    if scope is not None:
        _scope(claim, facts)  # an error when the symbol is gone
    where = claim.get("in")
    if where is not None and where not in _WHERE:
        raise _Unevaluable(f"in: must be comment or docstring, not {where!r}")
    lines = _statement_lines(claim, facts, scope) if claim.get("statement") else None
    if where != "docstring":
        for c in facts.comments:
            if _within(c.scope, scope) and (lines is None or c.statement in lines
                                            or (not c.own_line and c.line in lines)):
                yield c
    if where != "comment" and lines is None:
        for d in facts.docstrings:
            if _within(d.owner, scope):
                yield d


def matching(claim: ClaimSpec, facts: FileFacts) -> list[Comment | Docstring]:
    """The comments and docstrings the claim finds what it looks for in."""
    contains = claim.get("contains")
    found = _regex(dict(claim.fields), "matches") if claim.get("matches") is not None \
        else _containing(str(contains))
    return [c for c in candidates(claim, facts) if found(c.text)]


def _describe(claim: ClaimSpec) -> str:
    where = {"comment": "comment", "docstring": "docstring"}.get(
        claim.get("in"), "comment or docstring")
    place = f" in {claim.symbol}" if claim.symbol else ""
    if claim.get("statement"):
        place += f" on or above the statement of {_canon(claim.get('statement'))}"
    look = (f"matching /{claim.get('matches')}/" if claim.get("matches") is not None
            else f"containing {claim.get('contains')!r}")
    return f"a {where}{place} {look}"


def _quote(item: Comment | Docstring, limit: int = 70) -> str:
    text = " ".join(item.text.split())
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


@_kind(
    "comment",
    "A comment or docstring in a scope (the whole file without symbol), or on or above a "
    "statement that assigns to or calls the given name, matches a regular expression or "
    "contains a text.",
    keys={"matches": (str,), "contains": (str,), "in": (str,), "statement": (str,)},
    one_of=(("matches", "contains"),),
    symbol="optional",
)
def _check_comment(claim: ClaimSpec, facts: FileFacts) -> Outcome:
    found = matching(claim, facts)
    if found:
        item = found[0]
        kind = "comment" if isinstance(item, Comment) else "docstring"
        return Outcome(Status.PASS, item.line, f"{kind} at line {item.line}: {_quote(item)}")
    seen = list(candidates(claim, facts))
    have = ("; found " + ", ".join(_quote(c, 50) for c in seen[:3])
            + (f" and {len(seen) - 3} more" if len(seen) > 3 else "")) if seen else \
        "; there is none"
    line = seen[0].line if seen else (facts.symbol(claim.symbol).line  # type: ignore[union-attr]
                                      if claim.symbol else None)
    return Outcome(Status.FAIL, line, f"expected {_describe(claim)}{have}")
