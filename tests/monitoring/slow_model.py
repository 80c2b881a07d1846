"""A custom model that takes its time, so a stream consumer falls behind its queue.

Pickled by value (see the test module), so the consumer loads it without importing the tests.
"""

from __future__ import annotations

import time

import numpy as np

#: Seconds per call: a consumer scoring one message per batch does at most 20 a second.
PAUSE_S = 0.05


class Slow:
    """Sums each row, after a pause."""

    input_kind = "array"

    def predict(self, x: np.ndarray) -> np.ndarray:
        time.sleep(PAUSE_S)
        return np.asarray(x, dtype=float).sum(axis=1)
