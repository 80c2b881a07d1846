"""A custom model that raises on a sentinel value, for the dead-letter test.

Pickled by value (see the test module), so the consumer loads it without importing the tests.
"""

from __future__ import annotations

import numpy as np

RAISE = 666.0


class Refuser:
    """Sums each row; raises when a row holds ``RAISE``."""

    input_kind = "array"

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if (x == RAISE).any():
            raise RuntimeError("sentinel value: this model refuses it")
        return x.sum(axis=1)
