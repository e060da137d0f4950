"""A file's text parsed into facts, or a :class:`SourceError` naming the file and line that
does not parse."""

from __future__ import annotations

from nanochat_explain.errors import SourceError

TYPE_CHECKING = False
if TYPE_CHECKING:
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


def extract_many(texts: dict[str, str]) -> dict[str, FileFacts]:
    """Facts of several files' texts, by path; a file that does not parse is left out (its
    error is raised when :func:`extract_text` is asked for it alone).

    With two files or more and two cores, a second process parses about half of the text
    while this one parses the rest: parsing is most of a cold run over edited files, and
    one process uses one core. The second process is forked once libcst is imported, so
    it starts at once; if it fails in any way, this process parses its share too.
    """
    from nanochat_explain.facts.extract import extract  # noqa: F401 - libcst, before the fork
    from nanochat_explain.facts.processes import can_fork, shared

    ours, theirs = _halves(texts)
    if not theirs or not can_fork():
        return _extracted(texts)
    found, sent = shared(lambda: _extracted(ours), lambda: _extracted(theirs))
    if not isinstance(sent, dict) or set(sent) - set(theirs):
        sent = _extracted(theirs)
    found.update(sent)
    return found


def _halves(texts: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The files in two shares of about the same size, the largest placed first."""
    shares: tuple[dict[str, str], dict[str, str]] = ({}, {})
    sizes = [0, 0]
    for path, text in sorted(texts.items(), key=lambda pt: (-len(pt[1]), pt[0])):
        lighter = 0 if sizes[0] <= sizes[1] else 1
        shares[lighter][path] = text
        sizes[lighter] += len(text)
    return shares


def _extracted(texts: dict[str, str]) -> dict[str, FileFacts]:
    found = {}
    for path, text in texts.items():
        try:
            found[path] = extract_text(text, path)
        except SourceError:
            continue
    return found
