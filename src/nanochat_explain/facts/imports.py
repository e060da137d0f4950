"""The imports of a module, read from its libcst tree: the name each binds and what it
names."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    assert isinstance(node, cst.Attribute)
    return f"{_dotted(node.value)}.{node.attr.value}"


def _imports(module: cst.Module) -> tuple[tuple[str, str], ...]:
    """(name bound, what it names) for each import at the top level of the module, and in
    its ``if``/``try`` blocks: ``import torch.nn as nn`` binds nn to torch.nn, ``from
    torch.nn import Linear`` binds Linear to torch.nn.Linear. Relative imports keep their
    dots."""
    out: list[tuple[str, str]] = []
    stack: list[cst.CSTNode] = list(reversed(module.body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            stack.extend(reversed(node.body))
        elif isinstance(node, cst.Import):
            for alias in node.names:
                name = _dotted(alias.name)
                if alias.asname is not None:
                    out.append((_dotted(alias.asname.name), name))
                else:
                    head = name.split(".")[0]
                    out.append((head, head))
        elif isinstance(node, cst.ImportFrom):
            module_name = "" if node.module is None else _dotted(node.module)
            base = "." * len(node.relative) + module_name
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                name = _dotted(alias.name)
                full = f"{base}.{name}" if base and not base.endswith(".") else base + name
                bound = name if alias.asname is None else _dotted(alias.asname.name)
                out.append((bound, full))
        elif isinstance(node, cst.If | cst.Try):
            statements: list[Sequence[cst.CSTNode]] = [node.body.body]
            orelse = node.orelse
            if isinstance(orelse, cst.If):  # an ``elif``: the one statement of the else block
                statements.append([orelse])
            elif orelse is not None:
                statements.append(orelse.body.body)
            if isinstance(node, cst.Try):
                if node.finalbody is not None:
                    statements.append(node.finalbody.body.body)
                statements += [h.body.body for h in node.handlers]
            for block in reversed(statements):
                stack.extend(reversed(block))
    return tuple(out)
