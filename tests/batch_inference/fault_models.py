"""A model for fault tests: sums each row, and raises on a sentinel value while a marker
file (named by an environment variable) exists, so a test can "fix" it by removing the file.

Pickled by value (see conftest), so a subprocess loads it without importing the tests.
"""

from __future__ import annotations

import os

import numpy as np

SENTINEL = 666.0
MARKER_ENV = "MLSTEWARD_TEST_FAULT_MARKER"


class FailsOnSentinel:
    """Row sums; a row holding ``SENTINEL`` fails the call while the marker file exists."""

    input_kind = "array"

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        marker = os.environ.get(MARKER_ENV)
        if (x == SENTINEL).any() and marker and os.path.exists(marker):
            raise RuntimeError("sentinel value while the marker exists")
        return x.sum(axis=1)
