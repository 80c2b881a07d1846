"""Drift results as plain frozen dataclasses, each convertible to a JSON-able dict.

A service stores these and renders reports from them, so every field is a number, a string, a
bool, None, or a nested result: nothing that needs this package to be read back.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Recursively turn dataclasses, enums, numpy values and non-finite floats into JSON.

    A report holds tens of thousands of values, so the common exact types are looked up
    first and each dataclass's field names are read once per class; anything else takes
    the general path (:func:`_general_jsonable`), which gives the same answers for all.
    """
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind in _PLAIN:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = (
            tuple(f.name for f in dataclasses.fields(kind))
            if dataclasses.is_dataclass(kind)
            else ()
        )
    if names:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if kind is list or kind is tuple:
        return [to_jsonable(v) for v in value]
    return _general_jsonable(value)


#: Exact types returned as they are (their subclasses, enums among them, go the general way).
_PLAIN = frozenset({str, int, bool, type(None)})
#: Field names of each dataclass type met, in declaration order; () for other types.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _general_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    return str(value)


class _Jsonable:
    def to_dict(self) -> dict[str, Any]:
        out = to_jsonable(self)
        if not isinstance(out, dict):
            raise TypeError(f"{type(self).__name__} is not a dataclass: no dict to give")
        return out


@dataclass(frozen=True)
class TestResult(_Jsonable):
    """One test on one column: its numbers, the threshold applied, and the verdict."""

    __test__ = False  # not a pytest class

    test: str
    statistic: float | None
    p_value: float | None
    threshold: float
    threshold_kind: str  # "p_value" (drift below) | "distance" (drift at or above) | "learned"
    threshold_source: str  # "default" | "configured" | "learned"
    drifted: bool
    approximate: bool = False
    note: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class MissingShareResult(_Jsonable):
    """Share of missing values on each side and whether it changed (two-proportion Z-test)."""

    reference_share: float
    current_share: float
    p_value: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class ColumnSummary(_Jsonable):
    """Enough of one side's distribution to plot and describe it."""

    count: int
    missing: int
    mean: float | None = None
    std: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    quantiles: Mapping[str, float] = field(default_factory=dict)
    top_categories: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnDriftResult(_Jsonable):
    """Every test run on one column, the headline test's verdict, and any problem found.

    ``status`` is ``"ok"``, ``"error"`` (the column could not be tested: ``message`` says
    why) or ``"skipped"``. ``drifted`` follows the headline test (``main_test``), chosen by
    default or configured, with the reason in ``choice_reason``. ``role`` is
    ``"prediction"`` for a column named as the model's predictions, else None.
    """

    column: str
    kind: str
    status: str
    drifted: bool
    main_test: str | None = None
    choice_reason: str | None = None
    tests: tuple[TestResult, ...] = ()
    missing: MissingShareResult | None = None
    new_categories: tuple[str, ...] = ()
    vanished_categories: tuple[str, ...] = ()
    reference: ColumnSummary | None = None
    current: ColumnSummary | None = None
    message: str | None = None
    role: str | None = None

    def test(self, name: str) -> TestResult:
        for t in self.tests:
            if t.test == name:
                return t
        raise KeyError(name)


@dataclass(frozen=True)
class DatasetDriftResult(_Jsonable):
    """Column results of one window and the dataset verdict: share of drifted columns."""

    n_rows: int
    n_columns_tested: int
    n_drifted: int
    share_drifted: float
    drift_share_threshold: float
    drifted: bool
    columns: tuple[ColumnDriftResult, ...]

    def column(self, name: str) -> ColumnDriftResult:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class ChunkInfo(_Jsonable):
    """Where a chunk sits: its position, label, row count and time span if any."""

    index: int
    key: str
    n_rows: int
    start: str | None = None
    end: str | None = None
    partial: bool = False


@dataclass(frozen=True)
class ChunkDriftResult(_Jsonable):
    """Drift of one chunk of current data against the reference."""

    chunk: ChunkInfo
    result: DatasetDriftResult


@dataclass(frozen=True)
class LearnedThreshold(_Jsonable):
    """Upper bound on a test statistic from out-of-sample reference chunk scores."""

    column: str
    test: str
    upper: float
    mean: float
    std: float
    n_chunks: int
    scores: tuple[float, ...]


@dataclass(frozen=True)
class DriftReport(_Jsonable):
    """Whole-window result, per-chunk results and when drift began.

    ``first_drifted_chunk`` is the chunk the dataset's drift began in and ``drift_began`` its
    label (start time for time chunks): the start of the last run of chunks drifted at the
    dataset level, the run the drift is still in at the end of the window (or was in at its
    last drifted chunk; when the whole window did not drift, only a run that lasts to its
    end counts); see :mod:`mlsteward.engines.drift.onset`. ``column_drift_began``
    gives the same per column, for the columns that drifted over the whole window.
    ``isolated_crossings`` lists, per column, the chunks where it crossed its threshold
    outside that run: before its onset, or anywhere for a column that did not drift over the
    whole window. They are chance alarms or short-lived changes, not when drift began.
    """

    whole: DatasetDriftResult
    chunks: tuple[ChunkDriftResult, ...] = ()
    first_drifted_chunk: int | None = None
    drift_began: str | None = None
    column_drift_began: Mapping[str, str] = field(default_factory=dict)
    learned_thresholds: tuple[LearnedThreshold, ...] = ()
    messages: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    isolated_crossings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
