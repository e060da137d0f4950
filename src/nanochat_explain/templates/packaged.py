"""The packaged templates, validated ahead of time: the pickle the package ships
(``data/templates.pickle``) under a key over the templates' text and the code that validates
them, and the catalog read from it (or validated afresh when the key no longer matches)."""

from __future__ import annotations

from pathlib import Path

from nanochat_explain.templates.load import Catalog, _catalog, parse


def load_packaged(cache: bool = True) -> Catalog:
    """The packaged templates, validated ahead of time.

    The package ships them validated and pickled (``data/templates.pickle``, written by
    ``pytest --update-golden``) under a key over the templates' text and the code that
    validates them. When the key no longer matches (a template or that code was edited),
    they are validated here and kept in the user cache. Without ``cache``, validated
    afresh.
    """
    package = PACKAGE
    if not cache:
        return _catalog([parse(text, name) for name, text in _packaged_texts()])
    key = _stamped_key()
    shipped = _unpack(_read_bytes(package / "data" / PREBUILT), key)
    if shipped is not None:
        return shipped
    from nanochat_explain.source.cache import memo

    return memo("templates", [key], Catalog,
                lambda: _catalog([parse(text, name) for name, text in _packaged_texts()]))


PREBUILT = "templates.pickle"
# the package's own folder: importlib.resources would cost more to import than all of this
PACKAGE = Path(__file__).resolve().parent.parent
_VALIDATION_CODE = ("templates/*.py", "model.py", "claims/*.py",
                    "facts/model.py", "facts/uncovered.py", "facts/canon.py")


def _packaged_texts() -> list[tuple[str, str]]:
    folder = PACKAGE / "data" / "templates"
    return [(e.name, e.read_text(encoding="utf-8"))
            for e in sorted(folder.iterdir(), key=lambda e: e.name) if e.name.endswith(".yaml")]


def _key_files() -> list[Path]:
    """What the packaged templates' key is over: the code that validates them, then the
    templates."""
    folder = PACKAGE / "data" / "templates"
    return [*(p for m in _VALIDATION_CODE for p in sorted(PACKAGE.glob(m))),
            *sorted(e for e in folder.iterdir() if e.name.endswith(".yaml"))]


def packaged_key(files: list[Path] | None = None) -> str:
    """A key over the templates' text and the code that validates them (``files``, when
    already listed), read as bytes and hashed as read (a cold run computes it: decoding
    a megabyte costs more)."""
    from nanochat_explain.source.cache import hasher

    key = hasher()
    for path in files if files is not None else _key_files():
        data = path.read_bytes()
        key.update(b"%s\0%d\0" % (path.relative_to(PACKAGE).as_posix().encode(), len(data)))
        key.update(data)
    return key.hexdigest()


def _stamped_key() -> str:
    """:func:`packaged_key`, kept in the user cache beside the size and modification time
    of each file it reads (as git's index does), so that a run need not read and hash a
    megabyte of templates to find them unchanged."""
    import pickle
    import time

    from nanochat_explain.source.cache import _write, default_dir

    try:
        files = _key_files()
        stats = [(f.name, f.stat()) for f in files]
    except OSError:
        return packaged_key()
    stamp = [(name, st.st_size, st.st_mtime_ns) for name, st in stats]
    path = default_dir() / "templates-key.pickle"
    try:
        stored_stamp, stored_key = pickle.loads(path.read_bytes())
        if stored_stamp == stamp and isinstance(stored_key, str):
            return stored_key
    except Exception:  # absent, truncated, or written by another version: hash again
        pass
    key = packaged_key(files)
    # a file changed within the last seconds may change again without its time moving on
    # (the clock's granularity): only older files are vouched for by their stamp
    if all(st.st_mtime < time.time() - 2 for _, st in stats):
        _write(path, lambda f: f.write(pickle.dumps((stamp, key))))
    return key


def prebuilt() -> bytes:
    """What ``data/templates.pickle`` must hold for the templates as they are now."""
    import pickle

    texts = _packaged_texts()
    catalog = _catalog([parse(text, name) for name, text in texts])
    # not compressed: decompressing cost a cold run 3 ms, and the wheel compresses it anyway
    return pickle.dumps((packaged_key(), catalog), protocol=5)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _unpack(data: bytes | None, key: str) -> Catalog | None:
    """The shipped catalog when it was built from these templates, else None."""
    if data is None:
        return None
    import pickle

    try:
        stored_key, catalog = pickle.loads(data)
    except Exception:  # damaged or from another version: validate instead
        return None
    return catalog if stored_key == key and isinstance(catalog, Catalog) else None
