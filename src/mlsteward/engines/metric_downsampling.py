"""Downsampling a metric series for display while keeping every bucket's extremes.

Plain striding hides spikes (a NaN or a divergence at one step); keeping the minimum and
maximum of each bucket preserves the envelope a person looks for in a plot.
"""

from __future__ import annotations

import math
from typing import TypeVar

from mlsteward.domain.entities import Metric

T = TypeVar("T", bound=Metric)


def downsample_min_max(points: list[T], max_points: int) -> list[T]:
    """At most ``max_points`` points: the first, the last, and per bucket its min and max."""
    if len(points) <= max_points:
        return list(points)
    inner = points[1:-1]
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil(len(inner) / buckets)
    kept: list[T] = [points[0]]
    for start in range(0, len(inner), size):
        bucket = inner[start : start + size]
        finite = [p for p in bucket if not math.isnan(p.value)]
        if not finite:
            kept.append(bucket[0])
            continue
        low = min(finite, key=lambda p: p.value)
        high = max(finite, key=lambda p: p.value)
        pair = sorted({id(low): low, id(high): high}.values(), key=lambda p: (p.step, p.timestamp))
        kept.extend(pair)
    kept.append(points[-1])
    return kept
