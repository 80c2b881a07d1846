"""Profiles of numeric and temporal columns (one sort per column, see :mod:`.sorted_stats`).

Float NaN counts as missing (as in the canonical form). Infinite values are counted apart and
left out of the distribution statistics, which would otherwise all be infinite or NaN.
Temporal columns are profiled on their integer ticks and reported as ISO-8601 text, with the
standard deviation in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.engines.data.arrow_numpy import float_values, present_values
from mlsteward.engines.data.profiling.sorted_stats import json_number, summarize_sorted

_SECONDS_PER_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def profile_numeric(
    column: pa.ChunkedArray, *, quantiles: Sequence[float], bins: int
) -> dict[str, Any]:
    """Count, missing, distinct, moments, quantiles and histogram of a numeric column."""
    total = len(column)
    if pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
        ordered = np.sort(float_values(column))  # NaN (and nulls, as NaN) sort last
        present = total - int(np.count_nonzero(np.isnan(ordered)))
        first = int(np.searchsorted(ordered[:present], -np.inf, side="right"))
        last = int(np.searchsorted(ordered[:present], np.inf, side="left"))
        infinite = first + (present - last)
        distinct_infinities = int(first > 0) + int(present > last)
        finite = ordered[first:last]
    else:
        finite = np.sort(present_values(column))
        present = len(finite)
        infinite = distinct_infinities = 0
    stats = summarize_sorted(finite, quantiles=quantiles, bins=bins)
    zeros = int(np.searchsorted(finite, 0, "right") - np.searchsorted(finite, 0, "left"))
    negative = int(np.searchsorted(finite, 0, "left"))
    return {
        "count": present,
        "missing": total - present,
        **stats,
        "distinct": stats["distinct"] + distinct_infinities,
        "zeros": zeros,
        "negative": negative,
        "infinite": infinite,
    }


def profile_temporal(
    column: pa.ChunkedArray, *, quantiles: Sequence[float], bins: int
) -> dict[str, Any]:
    """Like :func:`profile_numeric`, for timestamps, dates, times and durations."""
    data_type = column.type
    if pa.types.is_date(data_type):
        data_type = pa.date32()
        column = column.cast(pa.date32())
    as_integer = column.cast(pa.int32() if data_type.bit_width == 32 else pa.int64())
    ticks = np.sort(present_values(as_integer, np.int64))
    stats = summarize_sorted(ticks, quantiles=quantiles, bins=bins)

    def render(value: float | int | None) -> str | None:
        return None if value is None else _render_tick(round(value), data_type)

    histogram = stats["histogram"]
    if histogram is not None:
        histogram = {
            "edges": [render(edge) for edge in histogram["edges"]],
            "counts": histogram["counts"],
        }
    seconds = _tick_seconds(data_type)
    return {
        "count": len(ticks),
        "missing": len(column) - len(ticks),
        "distinct": stats["distinct"],
        "mean": render(stats["mean"]),
        "std_seconds": json_number(stats["std"] * seconds) if stats["std"] is not None else None,
        "min": render(stats["min"]),
        "max": render(stats["max"]),
        "quantiles": {q: render(v) for q, v in stats["quantiles"].items()},
        "histogram": histogram,
    }


def _tick_seconds(data_type: pa.DataType) -> float:
    if pa.types.is_date32(data_type):
        return 86_400.0
    return _SECONDS_PER_UNIT[data_type.unit]


def _render_tick(tick: int, data_type: pa.DataType) -> str:
    if pa.types.is_date32(data_type):
        return str(np.datetime64(tick, "D"))
    if pa.types.is_timestamp(data_type):
        # Whole seconds print as 2024-01-01T06:00:00, not ...T06:00:00.000000.
        per_second = round(1 / _SECONDS_PER_UNIT[data_type.unit])
        stamp = np.datetime64(tick, data_type.unit)
        text = str(np.datetime_as_string(stamp, unit="s") if tick % per_second == 0 else stamp)
        return f"{text}Z" if data_type.tz else text
    if pa.types.is_duration(data_type):
        return f"{tick * _SECONDS_PER_UNIT[data_type.unit]:g}s"
    value = pa.scalar(tick, pa.int64()).cast(data_type).as_py()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
