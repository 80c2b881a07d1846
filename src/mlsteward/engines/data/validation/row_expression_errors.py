"""The error every refused row-check expression raises, naming where the problem is.

Shared by the tokenizer, the parser and the evaluator, so a message always has the same
shape: the reason, the 1-based character position and an excerpt marking that character.
"""

from __future__ import annotations

from mlsteward.engines.data.errors import SchemaSpecError


class RowExpressionError(SchemaSpecError):
    """A refused row-check expression (outside the grammar, or not fitting the table's
    columns); ``position`` is the 1-based character where the problem is."""

    def __init__(self, reason: str, expression: str, position: int, *, where: str = "") -> None:
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}{reason} at position {position} of the expression "
            f"(counting from 1): {_excerpt(expression, position)}"
        )
        self.reason = reason
        self.expression = expression
        self.position = position


def _excerpt(expression: str, position: int, width: int = 24) -> str:
    """The expression around ``position``, the offending character marked with ``>>``."""
    index = max(position - 1, 0)
    before = expression[max(index - width, 0) : index]
    after = expression[index : index + width]
    start = "..." if index > width else ""
    end = "..." if index + width < len(expression) else ""
    return repr(f"{start}{before}>>{after}{end}".replace("\n", " "))
