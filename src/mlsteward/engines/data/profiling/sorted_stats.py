"""Statistics of one numeric column from a single sort.

Sorting the non-missing values once (NumPy's SIMD sort: ~15 ms per million doubles here)
gives everything else almost for free, and exactly: minimum and maximum are the ends,
quantiles are index look-ups with linear interpolation, the distinct count is the number of
value changes, and a histogram is a binary search per bin edge. Mean and standard deviation
are one more pass each. No statistic is approximate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def json_number(value: Any) -> float | int | None:
    """A NumPy or Python number as a JSON-safe value (NaN and infinities become None)."""
    if value is None:
        return None
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def sorted_quantiles(ordered: np.ndarray, probabilities: Sequence[float]) -> list[float]:
    """Quantiles of already sorted values, by linear interpolation (NumPy's default method)."""
    n = len(ordered)
    result = []
    for p in probabilities:
        position = p * (n - 1)
        low = math.floor(position)
        high = min(low + 1, n - 1)
        fraction = position - low
        low_value = float(ordered[low])
        result.append(low_value + fraction * (float(ordered[high]) - low_value))
    return result


def sorted_histogram(ordered: np.ndarray, bins: int) -> tuple[list[float], list[int]]:
    """Equal-width histogram of sorted finite values: bins are [a, b) but the last is [a, b]."""
    low, high = float(ordered[0]), float(ordered[-1])
    if low == high:
        return [low, high], [len(ordered)]
    edges = np.linspace(low, high, bins + 1)
    cuts = np.searchsorted(ordered, edges[1:-1], side="left")
    bounds = np.concatenate(([0], cuts, [len(ordered)]))
    return [float(e) for e in edges], [int(c) for c in np.diff(bounds)]


def count_distinct_sorted(ordered: np.ndarray) -> int:
    """Number of distinct values in a sorted array."""
    if len(ordered) == 0:
        return 0
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def summarize_sorted(
    ordered: np.ndarray, *, quantiles: Sequence[float], bins: int
) -> dict[str, Any]:
    """Distribution statistics of sorted, finite, non-missing values (as plain floats)."""
    n = len(ordered)
    if n == 0:
        return {
            "distinct": 0,
            "mean": None,
            "std": None,
            "min": None,
            "max": None,
            "quantiles": {str(q): None for q in quantiles},
            "histogram": None,
        }
    as_float = ordered.astype(np.float64, copy=False)
    mean = float(np.mean(as_float))
    std = float(np.std(as_float, ddof=1)) if n > 1 else None
    edges, counts = sorted_histogram(as_float, bins)
    return {
        "distinct": count_distinct_sorted(ordered),
        "mean": json_number(mean),
        "std": json_number(std),
        "min": json_number(ordered[0]),
        "max": json_number(ordered[-1]),
        "quantiles": {
            str(q): json_number(v)
            for q, v in zip(quantiles, sorted_quantiles(ordered, quantiles), strict=True)
        },
        "histogram": {"edges": edges, "counts": counts},
    }
