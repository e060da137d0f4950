"""nanochat-explain: explanations of nanochat whose every statement is a checked claim."""

from __future__ import annotations

from nanochat_explain.errors import ExplainError, SourceError, TemplateError, UsageError

__version__ = "0.1.0"

__all__ = [
    "ExplainError",
    "SourceError",
    "TemplateError",
    "UsageError",
    "__version__",
]
