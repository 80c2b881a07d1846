"""Sorting finite floats by radix passes on 32-bit buckets, checked and repaired.

NumPy sorts 16-bit integers by radix (linear, a few nanoseconds an element) but 64-bit floats
by comparisons, and on some CPUs (AMD Zen 4 with AVX-512, for one) its 64-bit sort is several
times slower than on others. Sorting chunks is most of a drift run's work, so
:func:`sort_finite` sorts another way and gets the very same array:

1. Each value gets a 32-bit bucket by a monotone map: a smaller value never gets a larger
   bucket, so a value in a lower bucket is strictly smaller. Two maps are tried on a small
   sample and the first that spreads it well is used: a linear one, ``floor((v - min) *
   scale)`` (floating-point subtraction, multiplication by a positive number and truncation
   are all monotone), and, for heavy tails and outliers, the float's order-preserving integer
   key shifted into 32 bits (each bucket then holds as many representable numbers as the
   next, so buckets follow the values' orders of magnitude).
2. Two stable radix passes on the buckets' 16-bit halves (low half first) order the values by
   bucket.
3. Values sharing a bucket may still be out of order (for continuous data a handful in a
   chunk of 50,000). The array is checked, and the values of every bucket that holds a
   misplaced pair are sorted among themselves, in their places. Buckets hold disjoint, ordered
   ranges of values, so the whole is then sorted.

When neither map spreads the sample, NumPy's sort is used. A sorted array of numbers is unique
except for the order of ``-0.0`` and ``0.0``, which compare equal (NumPy's own sort does not
specify their order either). Non-finite values are not allowed: callers drop them first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mlsteward.engines.drift import work_buffers

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Below this many values NumPy's sort is as quick (the radix passes have a fixed cost).
MIN_RADIX = 4_096
#: Above this the radix passes leave the cache and lose their edge: longer arrays are sorted
#: in blocks of this size and the sorted blocks merged.
MAX_RADIX = 1 << 16
#: Values looked at to choose a bucket map.
_SAMPLE = 512
#: Largest linear bucket, a little under 2**32 so that rounding in ``(v - min) * scale``
#: cannot carry a value past the top of uint32.
_TOP = float(2**32 - 2**12)

#: The bits of a float64 but its sign.
_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def order_keys(values: FloatArray, out: IntArray) -> IntArray:
    """Integers in the order of the finite ``values``, equal where they are equal.

    A float's bits read as an integer order non-negative floats; a negative float's key is
    minus its magnitude bits, so -0.0 and 0.0 share the key 0. Merging sorted runs by these
    keys gives the very permutation merging the floats does (same order, same ties, stable),
    in about two thirds of the time: NumPy's sort compares integers without its NaN checks.
    """
    bits = values.view(np.int64)
    np.bitwise_and(bits, _MAGNITUDE, out=out)
    np.negative(out, out=out, where=bits < 0)
    return out


def sort_finite(values: FloatArray) -> None:
    """Sort a 1-D array of finite float64 values in place (same result as ``values.sort()``).

    Arrays longer than ``MAX_RADIX`` are sorted block by block and the blocks merged. Work
    arrays are this thread's (:mod:`~mlsteward.engines.drift.work_buffers`), so threads may
    sort at the same time.
    """
    n = values.size
    if n < MIN_RADIX:
        values.sort()
    elif n <= MAX_RADIX:
        _radix_sort(values)
    else:
        for lo in range(0, n, MAX_RADIX):
            _radix_sort(values[lo : lo + MAX_RADIX])
        values.sort(kind="stable")  # a merge of the sorted blocks


def _radix_sort(values: FloatArray) -> None:
    n = values.size
    if n < MIN_RADIX:
        values.sort()
        return
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        return  # all equal: sorted already
    buckets = work_buffers.buffer("fsort.buckets", n, np.uint32)
    sample = np.sort(values[:: max(1, n // _SAMPLE)])
    sample_buckets = np.empty(sample.size, dtype=np.uint32)
    span = hi - lo
    scale = _TOP / span if np.isfinite(span) else 0.0  # 0 or inf: no linear map
    if 0.0 < scale < np.inf and _spreads(sample, _linear(sample, lo, scale, sample_buckets)):
        _linear(values, lo, scale, buckets)
    elif _spreads(sample, _shifted_keys(sample, lo, hi, sample_buckets)):
        _shifted_keys(values, lo, hi, buckets)
    else:
        values.sort()
        return
    half = work_buffers.buffer("fsort.half", n, np.uint16)
    np.copyto(half, buckets, casting="unsafe")  # the low 16 bits
    by_low = np.argsort(half, kind="stable")
    high = np.right_shift(buckets, 16, out=work_buffers.buffer("fsort.high", n, np.uint32))
    np.copyto(half, high, casting="unsafe")
    high_by_low = np.take(half, by_low, out=work_buffers.buffer("fsort.hbl", n, np.uint16))
    order = np.take(by_low, np.argsort(high_by_low, kind="stable"))
    del by_low
    values[:] = np.take(values, order, out=work_buffers.buffer("fsort.moved", n, np.float64))
    down = np.less(values[1:], values[:-1], out=work_buffers.buffer("fsort.down", n - 1, bool))
    if down.any():
        sorted_buckets = np.take(buckets, order, out=high)
        _sort_within_buckets(values, sorted_buckets, np.flatnonzero(down))


def _linear(values: FloatArray, lo: float, scale: float, out: np.ndarray) -> np.ndarray:
    """``floor((values - lo) * scale)`` into uint32 ``out``."""
    scaled = work_buffers.buffer("fsort.scaled", values.size, np.float64)
    np.subtract(values, lo, out=scaled)
    scaled *= scale
    np.copyto(out, scaled, casting="unsafe")
    return out


def _shifted_keys(values: FloatArray, lo: float, hi: float, out: np.ndarray) -> np.ndarray:
    """Order-preserving integer keys, less the smallest, shifted into 32 bits (uint32 ``out``)."""
    ends = order_keys(np.array([lo, hi]), np.empty(2, dtype=np.int64))
    k_min, k_max = int(ends[0]), int(ends[1])
    shift = np.uint64(max(0, (k_max - k_min).bit_length() - 32))
    keys = order_keys(values, work_buffers.buffer("fsort.keys", values.size, np.int64))
    offsets = keys.view(np.uint64)  # key - k_min < 2**64: exact in wrapping uint64 arithmetic
    np.subtract(offsets, np.uint64(k_min % 2**64), out=offsets)
    np.right_shift(offsets, shift, out=offsets)
    np.copyto(out, offsets, casting="unsafe")
    return out


def _spreads(sorted_sample: FloatArray, buckets: np.ndarray) -> bool:
    """True when no two distinct values of the sorted sample share a bucket."""
    shared = buckets[1:] == buckets[:-1]
    return not bool((shared & (sorted_sample[1:] != sorted_sample[:-1])).any())


def _sort_within_buckets(values: FloatArray, buckets: np.ndarray, misplaced: np.ndarray) -> None:
    """Sort, in place, the values of each bucket holding a misplaced pair.

    ``values`` are ordered by ``buckets`` (ascending); ``misplaced[i]`` is a position whose
    value is larger than the next one's, which can only happen inside one bucket.
    """
    n = values.size
    bad = np.unique(buckets[misplaced])
    starts = np.searchsorted(buckets, bad, side="left")
    lengths = np.searchsorted(buckets, bad, side="right") - starts
    total = int(lengths.sum())
    if total > n // 4:
        values.sort()
        return
    # The positions of those buckets' values, bucket by bucket, and their bucket's number.
    group = np.repeat(np.arange(bad.size), lengths)
    first_of_group = np.cumsum(lengths) - lengths
    at = np.arange(total) - first_of_group[group] + starts[group]
    part = values[at]
    values[at] = part[np.lexsort((part, group))]
