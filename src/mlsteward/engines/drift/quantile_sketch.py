"""A mergeable quantile sketch (KLL-style compactors) with bounded memory.

Values enter level 0 with weight 1. When a level outgrows its capacity it is sorted and every
other item moves one level up with double weight; which half moves alternates per level, so the
rank error does not accumulate in one direction. Capacities shrink geometrically towards the
lower levels, so the sketch holds O(k) items however many values it has seen, and the rank
error is about ``1/k`` of the count. Two sketches merge by concatenating level by level and
compacting, so profiles built on separate chunks combine into one.

Deterministic: the same values in the same batches give the same sketch, which keeps stored
profiles reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

_SHRINK = 2.0 / 3.0


@dataclass
class QuantileSketch:
    """Approximate quantiles and CDF of a stream of finite floats."""

    k: int = 256
    levels: list[NDArray[np.float64]] = field(default_factory=list)
    flips: list[int] = field(default_factory=list)
    count: int = 0

    def _capacity(self, level: int) -> int:
        depth = len(self.levels) - 1 - level
        return max(2, int(self.k * _SHRINK**depth))

    def update(self, values: NDArray[np.float64]) -> None:
        """Add finite values (the caller removes NaN)."""
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            return
        if not self.levels:
            self.levels.append(np.zeros(0))
            self.flips.append(0)
        self.levels[0] = np.concatenate([self.levels[0], v])
        self.count += int(v.size)
        self._compress()

    def _compress(self) -> None:
        level = 0
        while level < len(self.levels):
            items = self.levels[level]
            cap = self._capacity(level)
            if items.size <= cap:
                level += 1
                continue
            items = np.sort(items)
            # Keep one item back when the count is odd so weights stay exact.
            keep = items[-1:] if items.size % 2 else items[:0]
            even = items[: items.size - keep.size]
            offset = self.flips[level]
            self.flips[level] ^= 1
            promoted = even[offset::2]
            self.levels[level] = keep
            if level + 1 == len(self.levels):
                self.levels.append(np.zeros(0))
                self.flips.append(0)
            self.levels[level + 1] = np.concatenate([self.levels[level + 1], promoted])
            level += 1 if self.levels[level].size <= cap else 0

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        """A new sketch summarizing both inputs."""
        out = QuantileSketch(k=min(self.k, other.k))
        depth = max(len(self.levels), len(other.levels))
        for h in range(depth):
            a = self.levels[h] if h < len(self.levels) else np.zeros(0)
            b = other.levels[h] if h < len(other.levels) else np.zeros(0)
            out.levels.append(np.concatenate([a, b]))
            out.flips.append(self.flips[h] if h < len(self.flips) else 0)
        out.count = self.count + other.count
        out._compress()
        return out

    def weighted_items(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """All retained items, sorted, with their weights (weights sum to ``count``)."""
        if not self.levels:
            return np.zeros(0), np.zeros(0)
        values = np.concatenate(self.levels)
        weights = np.concatenate(
            [np.full(lv.size, float(2**h)) for h, lv in enumerate(self.levels)]
        )
        order = np.argsort(values, kind="stable")
        return values[order], weights[order]

    def quantiles(self, qs: NDArray[np.float64] | list[float]) -> NDArray[np.float64]:
        """Approximate quantiles for probabilities in [0, 1] (NaN when empty)."""
        q = np.asarray(qs, dtype=np.float64)
        values, weights = self.weighted_items()
        if values.size == 0:
            return np.full(q.shape, np.nan)
        cum = np.cumsum(weights)
        idx = np.searchsorted(cum, q * cum[-1], side="left")
        return values[np.clip(idx, 0, values.size - 1)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "count": self.count,
            "flips": list(self.flips),
            "levels": [lv.tolist() for lv in self.levels],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QuantileSketch:
        return cls(
            k=int(d["k"]),
            levels=[np.asarray(lv, dtype=np.float64) for lv in d["levels"]],
            flips=[int(f) for f in d["flips"]],
            count=int(d["count"]),
        )
