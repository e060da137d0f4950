"""The claim kinds' shared ground: an :class:`Outcome`, the :class:`Kind` record and
the ``_kind`` decorator that registers a kind's check in :data:`KINDS`."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from nanochat_explain.facts.model import FileFacts
from nanochat_explain.model import ClaimSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from nanochat_explain.model import Status

    T = TypeVar("T")


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
