"""Where each libcst node stands in its file, found in one pass of libcst's code generator.

libcst's public way, ``MetadataWrapper(module).resolve(PositionProvider)``, builds a
``CodeRange`` for every node and costs about three times the parse itself. This pass
drives the same code generator (``Module._codegen``) with a state of our own that notes,
for each node the generator marks, only the index of its first and last token, and for
each comment the index of its token; lines and columns are computed afterwards from the
tokens' lengths, for the nodes the facts need.

``Module._codegen`` and ``CodegenState`` are libcst internals: pyproject pins libcst to
the versions this was tested with, and tests/test_positions.py compares every position
used here with ``PositionProvider``'s on the fixtures (and on a real nanochat checkout).
The spans are the same as ``PositionProvider``'s: a node's own parentheses are outside
it, and ``start_node``/``end_node`` hoisting (a block spans its statements) is honoured.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from libcst import Comment, Module
from libcst._nodes.internal import CodegenState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from libcst import CSTNode

_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line ends CPython's parser and libcst count


class _Recorder(CodegenState):
    """A code-generation state that records token indices instead of positions."""

    def __init__(self, module: Module) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.spans: dict[CSTNode, tuple[int, int]] = {}
        self.comments: list[tuple[Comment, int]] = []
        self._open: list[tuple[CSTNode, int, CSTNode | None, CSTNode | None]] = []
        self._pending: tuple[CSTNode, CSTNode | None, CSTNode | None] | None = None
        # nodes a span is hoisted from that mark no span of their own (a closing
        # parenthesis): their whitespace-inclusive bounds, as PositionProvider has them
        self._hoisted: dict[CSTNode, list[int]] = {}

    def before_codegen(self, node: CSTNode) -> None:
        if type(node) is Comment:
            self.comments.append((node, len(self.tokens)))
        elif node in self._hoisted:
            self._hoisted[node][0] = len(self.tokens)

    def after_codegen(self, node: CSTNode) -> None:
        if node in self._hoisted:
            self._hoisted[node][1] = len(self.tokens)

    # ``with state.record_syntactic_position(node):`` brackets the node's own tokens
    def record_syntactic_position(  # type: ignore[override]
        self, node: CSTNode, *, start_node: CSTNode | None = None,
        end_node: CSTNode | None = None,
    ) -> _Recorder:
        self._pending = (node, start_node, end_node)
        for hoisted in (start_node, end_node):
            if hoisted is not None:
                self._hoisted[hoisted] = [-1, -1]
        return self

    def __enter__(self) -> None:
        assert self._pending is not None
        node, start_node, end_node = self._pending
        self._open.append((node, len(self.tokens), start_node, end_node))

    def __exit__(self, *exc: object) -> None:
        node, start, start_node, end_node = self._open.pop()
        end = len(self.tokens)
        spans = self.spans
        if start_node is not None:
            start = (spans.get(start_node) or self._hoisted[start_node])[0]
        if end_node is not None:
            end = (spans.get(end_node) or self._hoisted[end_node])[1]
        spans[node] = (start, end)


class Positions:
    """Lines (from 1) and columns (characters, from 0) of the nodes of one module."""

    def __init__(self, module: Module, source: str) -> None:
        state = _Recorder(module)
        module._codegen(state)
        self.source = source
        self._spans = state.spans
        self._offsets = list(accumulate(map(len, state.tokens), initial=0))
        self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(source))]
        self.comments = [(c, self._offsets[i]) for c, i in state.comments]

    def has(self, node: CSTNode) -> bool:
        return node in self._spans

    def _at(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1]

    def start(self, node: CSTNode) -> tuple[int, int]:
        return self._at(self._offsets[self._spans[node][0]])

    def line(self, node: CSTNode) -> int:
        return bisect_right(self._line_starts, self._offsets[self._spans[node][0]])

    def end_line(self, node: CSTNode) -> int:
        """The line of the node's last character."""
        end = self._offsets[self._spans[node][1]]
        return bisect_right(self._line_starts, max(end - 1, 0))

    def end(self, node: CSTNode) -> tuple[int, int]:
        return self._at(self._offsets[self._spans[node][1]])

    def line_of_offset(self, offset: int) -> tuple[int, int]:
        return self._at(offset)

    def text(self, node: CSTNode) -> str:
        """The node's source text, without its own parentheses."""
        first, last = self._spans[node]
        return self.source[self._offsets[first]:self._offsets[last]]

    def all_spans(self) -> dict[Any, tuple[tuple[int, int], tuple[int, int]]]:
        """Start and end of every recorded node, for the test against PositionProvider."""
        return {node: (self._at(self._offsets[a]), self._at(self._offsets[b]))
                for node, (a, b) in self._spans.items()}
