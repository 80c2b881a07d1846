"""Integer arithmetic for row-check expressions that never gives a wrapped-around answer.

NumPy's 64-bit integer operations wrap silently: ``-9223372036854775807 - 2`` comes out as a
large positive number, so ``x - 2 < 0`` would be false. Each function here returns the
result *and* a mask of the rows whose true result does not fit a signed 64-bit integer; the
evaluator makes those rows undefined, as it does for ``x % 0``. The tests are cheap
elementwise checks on the wrapped result (no Python integers, no second pass in floats).
"""

from __future__ import annotations

import numpy as np

INT64_MIN = np.iinfo(np.int64).min


def add(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a + b`` and where it overflows (both operands' signs differ from the result's)."""
    with np.errstate(over="ignore"):
        result = a + b
    return result, ((a ^ result) & (b ^ result)) < 0


def subtract(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a - b`` and where it overflows (signs of ``a`` and ``b`` differ, result's flips)."""
    with np.errstate(over="ignore"):
        result = a - b
    return result, ((a ^ b) & (a ^ result)) < 0


def multiply(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a * b`` and where it overflows: dividing the wrapped product by ``a`` does not give
    ``b`` back (a wrapped product is off by a multiple of 2**64, more than ``|a|``)."""
    with np.errstate(over="ignore", divide="ignore"):
        result = a * b
        divisor = np.where(a == 0, 1, a)
        back = result // divisor
    # -1 * INT64_MIN wraps to INT64_MIN, and so does INT64_MIN // -1: checked on its own.
    overflow = (a != 0) & ((back != b) | ((a == -1) & (b == INT64_MIN)))
    return result, overflow


def floor_divide(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a // b`` (``b`` never 0 here) and where it overflows: only ``INT64_MIN // -1``."""
    with np.errstate(over="ignore"):
        result = np.floor_divide(a, b)
    return result, (a == INT64_MIN) & (b == -1)


def remainder(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a % b`` (``b`` never 0 here); it never overflows (``INT64_MIN % -1`` is 0)."""
    return np.remainder(a, b), np.zeros(a.shape, dtype=bool)


def negative(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``-a`` and where it overflows (``-INT64_MIN``)."""
    with np.errstate(over="ignore"):
        return -a, a == INT64_MIN


def absolute(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``abs(a)`` and where it overflows (``abs(INT64_MIN)``)."""
    with np.errstate(over="ignore"):
        return np.abs(a), a == INT64_MIN
