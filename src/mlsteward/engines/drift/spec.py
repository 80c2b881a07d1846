"""What a drift test is: a frozen spec plus a pure function, and what the function returns.

A drift test compares one column of a reference sample with the same column of a current
sample. The spec says where the test applies and how to read its output; the function does the
arithmetic. Keeping the two apart lets the registry choose tests, the conformance suite check
them, and plugins add new ones without touching the engine.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlsteward.engines.drift.column_kind import ColumnKind, NotApplicableError

if TYPE_CHECKING:
    from mlsteward.engines.drift.column_pair import ColumnPair

__all__ = [
    "ColumnKind",
    "DriftFunction",
    "DriftTest",
    "DriftTestSpec",
    "NotApplicableError",
    "TestOutcome",
    "ThresholdKind",
]


class ThresholdKind(enum.StrEnum):
    """How a test's threshold is read.

    ``P_VALUE``: drift when the p-value is below the threshold.
    ``DISTANCE``: drift when the statistic is at or above the threshold.
    """

    P_VALUE = "p_value"
    DISTANCE = "distance"


@dataclass(frozen=True)
class DriftTestSpec:
    """Static description of a drift test: the registry and reports read only this."""

    name: str
    kinds: frozenset[ColumnKind]
    default_threshold: float
    threshold_kind: ThresholdKind
    needs_raw_samples: bool
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise ValueError(f"drift test name must be a non-empty identifier, got {self.name!r}")
        if not self.kinds:
            raise ValueError(f"drift test {self.name!r} applies to no column kind")
        if not math.isfinite(self.default_threshold) or self.default_threshold <= 0:
            raise ValueError(f"drift test {self.name!r} needs a positive finite threshold")
        if self.threshold_kind is ThresholdKind.P_VALUE and self.default_threshold >= 1:
            raise ValueError(f"p-value threshold of {self.name!r} must be below 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kinds": sorted(k.value for k in self.kinds),
            "default_threshold": self.default_threshold,
            "threshold_kind": self.threshold_kind.value,
            "needs_raw_samples": self.needs_raw_samples,
            "description": self.description,
        }


@dataclass(frozen=True)
class TestOutcome:
    """What a drift test function returns.

    ``statistic`` is the number the threshold applies to for distance tests; ``p_value`` is set
    by hypothesis tests. ``approximate`` is true when the test worked from a profile (histogram
    or quantile sketch) rather than the raw samples, and ``note`` says how.
    """

    __test__ = False  # not a pytest class

    statistic: float
    p_value: float | None = None
    approximate: bool = False
    note: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": _json_float(self.statistic),
            "p_value": None if self.p_value is None else _json_float(self.p_value),
            "approximate": self.approximate,
            "note": self.note,
            "details": {k: _json_value(v) for k, v in self.details.items()},
        }


DriftFunction = Callable[["ColumnPair"], TestOutcome]


@dataclass(frozen=True)
class DriftTest:
    """A spec and the pure function that computes it."""

    __test__ = False  # not a pytest class

    spec: DriftTestSpec
    compute: DriftFunction

    @property
    def name(self) -> str:
        return self.spec.name

    def is_drift(self, outcome: TestOutcome, threshold: float | None = None) -> bool:
        """Read an outcome against a threshold (the spec's default when none is given)."""
        t = self.spec.default_threshold if threshold is None else threshold
        if self.spec.threshold_kind is ThresholdKind.P_VALUE:
            p = outcome.p_value
            return p is not None and math.isfinite(p) and p < t
        return math.isfinite(outcome.statistic) and outcome.statistic >= t

    def score(self, outcome: TestOutcome) -> float:
        """The number a threshold compares: p-value for hypothesis tests, else the statistic."""
        if self.spec.threshold_kind is ThresholdKind.P_VALUE and outcome.p_value is not None:
            return outcome.p_value
        return outcome.statistic


def _json_float(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _json_value(v: Any) -> Any:
    """Convert numpy scalars, arrays and nested containers to JSON-able values."""
    if isinstance(v, bool | str) or v is None:
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return _json_float(v)
    if isinstance(v, Mapping):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_value(x) for x in v]
    tolist = getattr(v, "tolist", None)
    if tolist is not None:
        return _json_value(tolist())
    return str(v)
