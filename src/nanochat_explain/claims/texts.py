"""What a claim's own text parses to, worked out once: when its template is validated
(kept with the template) or, for any other text, on first use.

Kept apart from the claim kinds' checks (:mod:`nanochat_explain.claims.base`): loading a
template remembers what its texts parse to, and need not import any check to do so.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from nanochat_explain.model import ClaimSpec

    T = TypeVar("T")


# name -> text -> value, for each pure function of a claim's text registered by ``of_text``;
# filled when a template is loaded with what was worked out when it was validated, and
# on first use for any other text
_TEXTS: dict[str, dict[str, Any]] = {}
# name -> (function, the kinds and keys whose values it takes, how a value becomes its text)
_OF_TEXT: dict[str, tuple[Callable[[str], Any], tuple[tuple[str, str], ...],
                          Callable[[Any], str]]] = {}


def of_text(*fields: tuple[str, str], text: Callable[[Any], str] = str
            ) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """A pure function of the text of a claim's field (``fields``: the kinds and keys
    it reads; ``text``: how the field's value becomes its argument), computed once per
    text. A packaged template carries what it gives for each of its claims (worked out
    when the template is validated, :func:`prepare`): a cold run parses none of them."""
    def register(fn: Callable[[str], T]) -> Callable[[str], T]:
        name = f"{fn.__module__}.{fn.__qualname__}"
        table = _TEXTS.setdefault(name, {})
        _OF_TEXT[name] = (fn, fields, text)

        def memo(argument: str) -> T:
            try:
                return table[argument]  # type: ignore[no-any-return]
            except KeyError:
                value = table[argument] = fn(argument)
                return value

        memo.__doc__, memo.__wrapped__ = fn.__doc__, fn  # type: ignore[attr-defined]
        return memo

    return register


def prepare(claims: tuple[ClaimSpec, ...]) -> tuple[tuple[str, str, Any], ...]:
    """(function, text, value) of every registered function for the claims' fields."""
    out: dict[tuple[str, str], Any] = {}
    for name, (fn, fields, text) in sorted(_OF_TEXT.items()):
        for claim in claims:
            for kind, key in fields:
                value = claim.get(key) if claim.kind == kind else None
                if value is not None and (name, text(value)) not in out:
                    out[(name, text(value))] = fn(text(value))
    return tuple((name, t, value) for (name, t), value in out.items())


def remember(prepared: tuple[tuple[str, str, Any], ...]) -> None:
    for name, text, value in prepared:
        _TEXTS.setdefault(name, {})[text] = value
