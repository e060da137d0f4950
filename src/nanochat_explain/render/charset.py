"""Output that the stream's encoding can carry, so that a non-UTF-8 locale never breaks a
command: JSON escapes what it cannot carry (and stays the same data), SVG uses XML
character references (the same picture), and text formats fall back to ASCII marks,
arrows and box characters, one character for one where the drawing's columns depend
on it."""

from __future__ import annotations

import codecs

# one character for one: marks, arrows and strokes keep every column where it was
_SAME_WIDTH = {
    "✓": "+", "✗": "x", "▼": "v", "▲": "^", "▶": ">", "◀": "<", "›": ">", "·": ".",
    "×": "x", "−": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*",
    "…": ".",
}
# in prose, a few characters more read better than a lookalike
_WORDS = {
    "←": "<-", "→": "->", "—": "--", "‖": "||", "²": "^2", "ᵀ": "^T", "ᵗ": "^t",
    "≥": ">=", "≤": "<=", "≈": "~", "∝": "~", "±": "+/-", "β": "beta", "μ": "mu",
    "θ": "theta", "Σ": "Sum", "η": "eta", "ε": "eps", "λ": "lambda", "α": "alpha",
    "γ": "gamma", "σ": "sigma", "π": "pi", "∞": "inf", "√": "sqrt",
}


def can_encode(text: str, encoding: str | None) -> bool:
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    except LookupError:  # an encoding Python does not know: assume the worst
        return text.isascii()
    return True


def _known(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "ascii"


def ascii_char(ch: str) -> str:
    """The stand-in for one character a stream cannot carry."""
    if ch in _SAME_WIDTH:
        return _SAME_WIDTH[ch]
    if ch in _WORDS:
        return _WORDS[ch]
    import unicodedata  # here: most streams carry every character

    name = unicodedata.name(ch, "")
    if name.startswith("BOX DRAWINGS"):
        ends = " UP" in name or " DOWN" in name or " LEFT" in name or " RIGHT" in name
        if "HORIZONTAL" in name and "VERTICAL" not in name and not ends:
            return "-"
        if "VERTICAL" in name and "HORIZONTAL" not in name and not ends:
            return "|"
        return "+"
    if name.startswith(("BLACK", "WHITE")) and "TRIANGLE" in name:
        return {"UP": "^", "DOWN": "v", "LEFT": "<", "RIGHT": ">"}.get(
            next((w for w in ("UP", "DOWN", "LEFT", "RIGHT") if w in name), ""), "*")
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    return plain or "?"


def _carries(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _ascii_carried(encoding: str) -> frozenset[str]:
    """The ASCII characters ``encoding`` carries: all of them but in a few code pages."""
    return frozenset(c for c in map(chr, range(128)) if _carries(c, encoding))


def transliterate(text: str, encoding: str) -> str:
    """Every character ``encoding`` cannot carry replaced by its ASCII stand-in.

    Some code pages lack an ASCII character too (cp864 has no ``%``): what a stand-in
    cannot carry either becomes ``?``, or a space where even that is missing."""
    enc = _known(encoding)
    carried = _ascii_carried(enc)
    last_resort = "?" if "?" in carried else " "
    out = []
    for ch in text:
        if ch in carried or (not ch.isascii() and _carries(ch, enc)):
            out.append(ch)
            continue
        stand = ascii_char(ch) if not ch.isascii() else last_resort
        out.extend(c if _carries(c, enc) else last_resort for c in stand)
    return "".join(out)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # a surrogate pair, as json.dumps(ensure_ascii=True) writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def fit(fmt: str, text: str, encoding: str | None) -> str:
    """``text`` in format ``fmt`` as a stream in ``encoding`` can take it."""
    if can_encode(text, encoding):
        return text
    assert encoding is not None
    carried = _ascii_carried(_known(encoding))
    if fmt == "json":  # what needs escaping only ever stands inside JSON strings
        return "".join(ch if ch in carried else _json_escape(ch) for ch in text)
    if fmt == "svg":
        return "".join(ch if ch in carried else f"&#{ord(ch)};" for ch in text)
    return transliterate(text, encoding)
