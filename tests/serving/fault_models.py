"""A custom model for fault tests: it raises on a sentinel value and sleeps on another.

Pickled by value (see conftest), so the data plane loads it without importing the tests.
"""

from __future__ import annotations

import time

import numpy as np

RAISE = 666.0
SLOW = 777.0
SLOW_SECONDS = 1.0


class Sentinel:
    """Sums each row; raises when a row holds ``RAISE``, sleeps when one holds ``SLOW``."""

    input_kind = "array"

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if (x == RAISE).any():
            raise RuntimeError("sentinel value: this model refuses it")
        if (x == SLOW).any():
            time.sleep(SLOW_SECONDS)
        return x.sum(axis=1)
