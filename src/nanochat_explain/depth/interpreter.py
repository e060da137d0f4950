"""A small restricted interpreter over Python's ``ast``, for reading nanochat's own formulas.

It never compiles, imports or runs the code it reads: it walks the syntax tree and evaluates a
subset of Python (arithmetic, comparisons, containers, comprehensions, f-strings, functions,
classes, dataclasses) over plain values, plus a shape-only model of the few torch objects
nanochat's model is built from (``nn.Module`` and its ``Linear``, ``Embedding``, ``ModuleDict``,
``ModuleList``; ``nn.Parameter``; ``torch.ones``/``zeros``), ``argparse`` defaults and the
param-group list an optimizer is constructed from.

Anything else (a call into a library it does not model, an attribute of such a value) becomes
an :class:`Opaque` value carrying the reason and ``file:line``; it is harmless until something
needs it. Where the code cannot be followed (an ``if`` on an opaque test, a missing name, a
failed assertion, the step budget or the nesting limit) the interpreter raises :class:`Stuck`.
"""

from __future__ import annotations

from nanochat_explain.depth.access import Access
from nanochat_explain.depth.calls import Calls
from nanochat_explain.depth.expressions import Expressions
from nanochat_explain.depth.operations import Operations
from nanochat_explain.depth.statements import Statements


class Interpreter(Statements, Expressions, Operations, Access, Calls):
    """Evaluates statements and expressions of parsed source; see the module docstring."""
