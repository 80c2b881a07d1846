"""Downsampling a metric series for display while keeping every bucket's extremes.

Plain striding hides spikes (a divergence at one step); keeping the minimum and maximum of
each bucket, and any NaN, preserves the envelope a person looks for in a plot. The first
and last points are always kept.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from mlsteward.domain.entities import Metric
from mlsteward.domain.metric_arrays import MetricArrays

T = TypeVar("T", bound=Metric)


def keep_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Positions to keep: first, last, each bucket's min and max, and its first NaN.

    A NaN (a diverged loss, say) is what a person most needs to see, so a bucket holding
    one keeps it as a third point; ``max_points`` can then be exceeded by one per bucket.
    """
    n = int(values.size)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil((n - 2) / buckets)
    keep = [0]
    for start in range(1, n - 1, size):
        segment = values[start : min(start + size, n - 1)]
        if np.isnan(segment).all():
            keep.append(start)
            continue
        chosen = {start + int(np.nanargmin(segment)), start + int(np.nanargmax(segment))}
        nan_at = np.flatnonzero(np.isnan(segment))
        if nan_at.size:
            chosen.add(start + int(nan_at[0]))
        keep.extend(sorted(chosen))
    keep.append(n - 1)
    return np.asarray(keep, dtype=np.int64)


def downsample_arrays(arrays: MetricArrays, max_points: int) -> MetricArrays:
    if len(arrays) <= max_points:
        return arrays
    return arrays.take(keep_indices(arrays.values, max_points))


def downsample_min_max(points: list[T], max_points: int) -> list[T]:
    """The same selection over a list of points (already in step order)."""
    if len(points) <= max_points:
        return list(points)
    values = np.fromiter((p.value for p in points), dtype=np.float64, count=len(points))
    return [points[i] for i in keep_indices(values, max_points).tolist()]
