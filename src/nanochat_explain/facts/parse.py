"""A file's text parsed into facts, or a :class:`SourceError` naming the file and line that
does not parse."""

from __future__ import annotations

from nanochat_explain.errors import SourceError
from nanochat_explain.facts.model import FileFacts


def extract_text(text: str, relpath: str) -> FileFacts:
    """Facts of the text of ``relpath``, parsed; :class:`SourceError` naming file and line
    when it does not parse."""
    from nanochat_explain.facts.extract import extract

    nul = text.find("\x00")
    if nul >= 0:  # found before the parser, which would not say where
        raise SourceError("syntax error: a NUL byte", file=relpath,
                          line=text.count("\n", 0, nul) + 1)
    try:  # extract parses with CPython's parser, which only builds a tree, never runs it
        return extract(text, relpath)
    except SyntaxError as exc:
        raise SourceError(f"syntax error: {exc.msg}", file=relpath, line=exc.lineno) from None
    except (RecursionError, MemoryError):  # from the parser or from walking its tree
        raise SourceError("too deeply nested to parse", file=relpath) from None
    except ValueError as exc:  # text the parser cannot encode, such as a lone surrogate
        raise SourceError(f"cannot parse: {exc}", file=relpath, line=1) from None
