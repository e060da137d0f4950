"""Claim kinds: each a small checker in a registry, with the keys it accepts.

A checker takes a claim and the facts of its file and returns an :class:`Outcome`.
It never raises for a claim that does not hold: a false claim is a ``fail``;
a claim that cannot be evaluated (its scope is gone, a value is not a literal)
is an ``error``.

Each kind is a module of its own, registered by the table :data:`KIND_MODULES`: a new
kind is a new module (its check decorated with ``base._kind``) and a line there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from nanochat_explain.claims import base, inside
from nanochat_explain.claims.base import BRIEF as BRIEF
from nanochat_explain.claims.base import Kind, Outcome, _Unevaluable
from nanochat_explain.model import Status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from nanochat_explain.facts.model import FileFacts
    from nanochat_explain.model import ClaimSpec

# The claim kinds, one module each (comment.py holds two: comment and docstring), in the
# order they are listed; importing a module registers its kinds.
KIND_MODULES = ("symbol", "signature", "assign", "call", "returns", "statement", "condition",
                "order", "literal", "absent", "count", "comment")
for _module in KIND_MODULES:
    importlib.import_module(f"nanochat_explain.claims.{_module}")
KINDS: dict[str, Kind] = base.KINDS  # every kind, by name


# kinds that say something happens: a second look through meaning.view may find it
_SECOND_LOOK = frozenset({"call", "assign", "order", "returns", "condition", "literal",
                          "statement"})


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
    them with spellings undone and helpers inlined (:mod:`nanochat_explain.claims.meaning`)."""
    outcome = _evaluate(claim, narrow(facts))
    if outcome.status is Status.FAIL and claim.kind in _SECOND_LOOK:
        from nanochat_explain.claims.meaning import view

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
