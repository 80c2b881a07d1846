"""What the user says a column is, which outranks anything inferred from its values.

Identifier and timestamp columns are not features: every window brings new ids and new times,
so a distribution test on them always fires. Prediction columns are tested like any other
column but flagged as the model's output in the results (their drift is the model's answer
moving, not its input).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: The role a prediction column's results carry (``ColumnDriftResult.role``).
PREDICTION = "prediction"


@dataclass(frozen=True)
class ColumnRoles:
    """Columns named as identifiers, the timestamp, or model predictions."""

    identifiers: tuple[str, ...] = ()
    timestamp: str | None = None
    predictions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        both = sorted(set(self.identifiers) & set(self.predictions))
        if both:
            raise ValueError(f"column(s) {both} named both as identifier and as prediction")
        if self.timestamp is not None and self.timestamp in self.predictions:
            raise ValueError(f"column {self.timestamp!r} named both as timestamp and prediction")

    @classmethod
    def of(
        cls,
        identifiers: Iterable[str] = (),
        timestamp: str | None = None,
        predictions: Iterable[str] = (),
    ) -> ColumnRoles:
        """Roles from any iterables (a lone string counts as one name, not its letters)."""
        return cls(_names(identifiers), timestamp or None, _names(predictions))

    def untested_reason(self, name: str) -> str | None:
        """Why a named column is left untested, or None when its role does not exclude it."""
        if name in self.identifiers:
            return "named as an identifier column"
        if name == self.timestamp:
            return "it is the timestamp column (the time axis, not a feature)"
        return None

    def role_of(self, name: str) -> str | None:
        """``"prediction"`` for a prediction column, else None."""
        return PREDICTION if name in self.predictions else None


def _names(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(dict.fromkeys(str(v) for v in values))
