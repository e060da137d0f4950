"""The claim kinds' shared ground: an :class:`Outcome`, the :class:`Kind` record and
the ``_kind`` decorator that registers a kind's check in :data:`KINDS`."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from nanochat_explain.facts.model import FileFacts
from nanochat_explain.model import ClaimSpec

if TYPE_CHECKING:
    from nanochat_explain.model import Status


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


# set while only a claim's status and value are wanted (history, a commit at a time): the
# "found instead" part of a failure's detail, which ranks every candidate, is skipped
BRIEF: ContextVar[bool] = ContextVar("brief", default=False)
_SKIPPED = "(not read)"


# -- what a claim's own text parses to, worked out once ------------------------------------

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
