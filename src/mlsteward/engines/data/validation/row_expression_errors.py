"""The error every refused row-check expression raises, naming where the problem is.

Shared by the tokenizer, the parser and the evaluator, so a message always has the same
shape: the reason, the 1-based character position and an excerpt marking that character.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from mlsteward.domain.errors import MlstewardError, wire_int
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

    def details(self) -> dict[str, Any]:
        # The expression is the caller's own (a schema's row check), and the reason speaks of
        # it and of the table's column names and kinds, never of a row's values.
        return {"reason": self.reason, "expression": self.expression, "position": self.position}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        """The error with the server's message as is (the constructor would rebuild it)."""
        error = cls.__new__(cls)
        MlstewardError.__init__(error, message)
        reason, expression = details.get("reason"), details.get("expression")
        error.reason = reason if isinstance(reason, str) else ""
        error.expression = expression if isinstance(expression, str) else ""
        error.position = wire_int(details.get("position")) or 0
        return error


def _excerpt(expression: str, position: int, width: int = 24) -> str:
    """The expression around ``position``, the offending character marked with ``>>``."""
    index = max(position - 1, 0)
    before = expression[max(index - width, 0) : index]
    after = expression[index : index + width]
    start = "..." if index > width else ""
    end = "..." if index + width < len(expression) else ""
    return repr(f"{start}{before}>>{after}{end}".replace("\n", " "))
