"""A metric history as three numpy columns: the form storage reads and plots want.

Building one ``Metric`` per point is the dominant cost of returning a long history; code
that only needs numbers (downsampling, plotting, the server's packed responses) keeps the
columns and never builds the objects.
"""

from __future__ import annotations

import base64
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from mlsteward.domain.entities import Metric

INT64 = np.dtype("<i8")
FLOAT64 = np.dtype("<f8")


class MetricArrays(NamedTuple):
    """Steps and timestamps (int64) and values (float64), sorted by (step, timestamp)."""

    steps: np.ndarray
    timestamps: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls) -> MetricArrays:
        return cls(np.empty(0, INT64), np.empty(0, INT64), np.empty(0, FLOAT64))

    def __len__(self) -> int:  # the number of points, not of columns
        return int(self.steps.size)

    def take(self, index: np.ndarray) -> MetricArrays:
        return MetricArrays(self.steps[index], self.timestamps[index], self.values[index])

    def to_metrics(self, key: str) -> list[Metric]:
        return list(
            map(
                Metric._make,
                zip(
                    repeat(key),
                    self.values.tolist(),
                    self.timestamps.tolist(),
                    self.steps.tolist(),
                    strict=False,
                ),
            )
        )

    def to_packed(self) -> dict[str, Any]:
        """Base64 of the little-endian bytes: exact (NaN, ±inf, -0.0) and cheap to decode."""
        return {
            "encoding": "base64-le",
            "steps": base64.b64encode(self.steps.astype(INT64).tobytes()).decode(),
            "timestamps": base64.b64encode(self.timestamps.astype(INT64).tobytes()).decode(),
            "values": base64.b64encode(self.values.astype(FLOAT64).tobytes()).decode(),
        }

    @classmethod
    def from_packed(cls, payload: dict[str, Any]) -> MetricArrays:
        if payload.get("encoding") != "base64-le":
            raise ValueError(f"Unknown metric encoding {payload.get('encoding')!r}")
        steps = np.frombuffer(base64.b64decode(payload["steps"]), INT64)
        stamps = np.frombuffer(base64.b64decode(payload["timestamps"]), INT64)
        values = np.frombuffer(base64.b64decode(payload["values"]), FLOAT64)
        if not steps.size == stamps.size == values.size:
            raise ValueError("Packed metric columns differ in length")
        return cls(steps, stamps, values)


#: The fewest points a downsampled history may ask for: first, last, a min and a max.
MIN_MAX_POINTS = 4
