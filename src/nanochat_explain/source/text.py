"""The text of a nanochat file: UTF-8, of at most :data:`MAX_BYTES`."""

from __future__ import annotations

from nanochat_explain.errors import SourceError

MAX_BYTES = 2_000_000  # nanochat's largest file is ~25 kB; anything near this is not code


def decode(data: bytes, relpath: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError("not UTF-8 text", file=relpath, line=line) from None
