"""Load YAML with the safe loader while remembering the line of every key and item."""

from __future__ import annotations

import yaml

from nanochat_explain.errors import TemplateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Path_ = tuple[str | int, ...]

# libyaml's safe loader when PyYAML was built with it: the same safe tags, ~8x faster
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_MAP = "tag:yaml.org,2002:map"
_PLAIN_SEQ = "tag:yaml.org,2002:seq"


def key_text(path: Path_) -> str:
    """``claims[3].expect`` for the path ("claims", 3, "expect")."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load(text: str, filename: str) -> tuple[Any, dict[Path_, int]]:
    """Parse ``text``; return the data and a map from key path to 1-based line.

    Only the safe loader's tags are accepted: a tag that would build a Python
    object is an error, as are duplicate keys (YAML would silently keep the last).
    """
    lines: dict[Path_, int] = {}
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise TemplateError("empty template", file=filename, line=1)
            data = _convert(loader, node, (), lines, filename)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "invalid YAML").splitlines()[0]
        raise TemplateError(f"invalid YAML: {problem}", file=filename, line=line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character
        code = ord(char) if isinstance(char, str) else int(char)
        raise TemplateError(f"invalid YAML: character U+{code:04X} is not allowed",
                            file=filename, line=line) from None
    except yaml.YAMLError as exc:
        first = (str(exc).splitlines() or ["?"])[0]
        raise TemplateError(f"invalid YAML: {first}", file=filename) from None
    return data, lines


def _convert(
    loader: Any,
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    filename: str,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        if node.tag != _PLAIN_MAP:
            raise TemplateError(f"tag {node.tag} is not allowed", file=filename,
                                line=lines[path], key=key_text(path) or None)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _convert(loader, key_node, (*path, "<key>"), lines, filename)
            if not isinstance(key, str):
                raise TemplateError("keys must be strings", file=filename,
                                    line=key_node.start_mark.line + 1, key=str(key))
            if key in out:
                raise TemplateError("duplicate key", file=filename,
                                    line=key_node.start_mark.line + 1, key=key)
            out[key] = _convert(loader, value_node, (*path, key), lines, filename)
            lines[(*path, key)] = key_node.start_mark.line + 1
        lines.pop((*path, "<key>"), None)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _PLAIN_SEQ:
            raise TemplateError(f"tag {node.tag} is not allowed", file=filename,
                                line=lines[path], key=key_text(path) or None)
        return [_convert(loader, item, (*path, i), lines, filename)
                for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError:
        raise TemplateError(f"tag {node.tag} is not allowed", file=filename,
                            line=lines[path], key=key_text(path) or None) from None
