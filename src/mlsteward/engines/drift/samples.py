"""One column's values prepared for testing: sorted numbers, category counts or vectors.

A sample is either *raw* (it holds the values, so tests can be exact) or *summarized* (it holds
only a histogram on fixed edges and moments, as a stored reference profile does). Tests read
whichever form is there; :class:`~mlsteward.engines.drift.column_pair.ColumnPair` decides how to
line the two sides up.

Preparing a sample sorts a numeric column once; every statistic that needs order (KS,
Anderson–Darling, Wasserstein, histograms) reuses that sort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from mlsteward.engines.drift.float_sort import sort_finite

FloatArray = NDArray[np.float64]
_MOMENT_BLOCK = 1 << 13
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Moments:
    """Count, mean, sum of squared deviations, min and max of the finite values (mergeable)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0), NaN for an empty sample."""
        return math.sqrt(self.m2 / self.n) if self.n > 0 else math.nan

    @classmethod
    def of(cls, values: FloatArray) -> Moments:
        """Moments of finite values (the caller removes NaN)."""
        n = int(values.size)
        if n == 0:
            return cls()
        mean = float(values.mean())
        # Squared deviations block by block into one small buffer (no column-sized temporary).
        # Elementwise square and sum: avoids BLAS, whose thread pool stalls on busy machines.
        block = min(n, _MOMENT_BLOCK)
        dev = np.empty(block)
        m2 = 0.0
        for start in range(0, n, block):
            part = dev[: min(block, n - start)]
            np.subtract(values[start : start + block], mean, out=part)
            np.multiply(part, part, out=part)
            m2 += float(part.sum())
        return cls(n, mean, m2, float(values.min()), float(values.max()))

    def merge(self, other: Moments) -> Moments:
        """Combine two summaries (Chan et al. parallel update)."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        return Moments(
            n, mean, m2, min(self.minimum, other.minimum), max(self.maximum, other.maximum)
        )

    def subtract(self, part: Moments) -> Moments:
        """Moments of the whole minus a part of it (used for out-of-sample reference chunks)."""
        n = self.n - part.n
        if n <= 0:
            return Moments()
        mean = (self.mean * self.n - part.mean * part.n) / n
        delta = part.mean - mean
        m2 = max(self.m2 - part.m2 - delta * delta * n * part.n / self.n, 0.0)
        # min and max of the remainder are unknown; the whole's bounds still bound it.
        return Moments(n, mean, m2, self.minimum, self.maximum)


@dataclass(frozen=True)
class Histogram:
    """Exact counts on fixed inner edges.

    Bin 0 holds ``x <= edges[0]``, bin ``i`` holds ``edges[i-1] < x <= edges[i]`` and the last
    bin holds ``x > edges[-1]``, so ``counts`` has ``len(edges) + 1`` entries and nothing falls
    outside. Counts are exact; only the resolution is limited.
    """

    edges: FloatArray
    counts: IntArray

    @staticmethod
    def of_sorted(sorted_values: FloatArray, edges: FloatArray) -> Histogram:
        """Histogram of already sorted values: one binary search per edge, no pass over data."""
        cum = np.searchsorted(sorted_values, edges, side="right")
        counts = np.diff(cum, prepend=0, append=sorted_values.size).astype(np.int64)
        return Histogram(edges, counts)

    @staticmethod
    def of_unsorted(values: FloatArray, edges: FloatArray) -> Histogram:
        """Histogram of finite values in any order."""
        idx = np.searchsorted(edges, values, side="left")
        counts = np.bincount(idx, minlength=edges.size + 1).astype(np.int64)
        return Histogram(edges, counts)

    def merge(self, other: Histogram) -> Histogram:
        if self.edges.shape != other.edges.shape or not np.array_equal(self.edges, other.edges):
            raise ValueError("histograms on different edges cannot be merged")
        return Histogram(self.edges, self.counts + other.counts)

    def subtract(self, part: Histogram) -> Histogram:
        if not np.array_equal(self.edges, part.edges):
            raise ValueError("histograms on different edges cannot be subtracted")
        return Histogram(self.edges, self.counts - part.counts)


def with_range_edges(histogram: Histogram, moments: Moments) -> Histogram:
    """The histogram with edges just below the minimum and at the maximum added.

    The moments know the range exactly: no value lies below the minimum or above the
    maximum. Without these edges a profile cannot tell a current value beyond the reference's
    range from one inside its outer bins -- and a constant column, which has no inner edges
    at all, could not tell anything apart. The added outer bins hold zero counts.
    """
    if moments.n == 0 or not (math.isfinite(moments.minimum) and math.isfinite(moments.maximum)):
        return histogram
    edges, counts = histogram.edges, histogram.counts
    below = float(np.nextafter(moments.minimum, -math.inf))
    if edges.size == 0 or below < edges[0]:
        edges, counts = np.concatenate([[below], edges]), np.concatenate([[0], counts])
    if moments.maximum > edges[-1]:
        edges, counts = np.append(edges, moments.maximum), np.append(counts, 0)
    return Histogram(edges, counts.astype(np.int64))


def quantile_edges(sorted_values: FloatArray, bins: int) -> FloatArray:
    """Inner edges splitting sorted values into about ``bins`` equal-frequency bins."""
    n = sorted_values.size
    if n == 0:
        return np.zeros(0)
    positions = (np.arange(1, bins) * n) // bins
    edges = np.unique(sorted_values[np.clip(positions, 0, n - 1)])
    # An edge equal to the maximum would leave the last bin empty; drop it.
    return edges[edges < sorted_values[-1]] if edges.size else edges


@dataclass(frozen=True, eq=False)
class NumericSample:
    """Finite values of a numeric column, sorted, or their histogram; plus the missing count.

    ``values`` is None for a summarized sample; then ``histogram`` is set. NaN and infinities
    count as missing.
    """

    moments: Moments
    n_missing: int
    values: FloatArray | None = None
    histogram: Histogram | None = None

    @property
    def n(self) -> int:
        return self.moments.n

    @property
    def is_raw(self) -> bool:
        return self.values is not None

    @classmethod
    def from_values(cls, values: object) -> NumericSample:
        """Prepare a sample from any array-like of numbers (NaN/inf counted as missing)."""
        arr = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(arr)
        n_missing = int(arr.size - np.count_nonzero(finite))
        kept = arr[finite] if n_missing else arr.copy()
        sort_finite(kept)
        return cls.from_sorted(kept, n_missing)

    @classmethod
    def from_sorted(cls, sorted_values: FloatArray, n_missing: int = 0) -> NumericSample:
        """Wrap values that are already finite and sorted (no copy)."""
        return cls(Moments.of(sorted_values), n_missing, values=sorted_values)

    @classmethod
    def from_histogram(
        cls, histogram: Histogram, moments: Moments, n_missing: int
    ) -> NumericSample:
        return cls(moments, n_missing, histogram=histogram)

    @cached_property
    def centred_prefix(self) -> tuple[float, FloatArray]:
        """``(shift, prefix)``: prefix sums of the sorted values minus their median.

        Used for Wasserstein distances against many chunks; centring keeps the sums well
        conditioned. Computed once per sample.
        """
        if self.values is None:
            raise ValueError("prefix sums need raw values")
        v = self.values
        shift = float(v[v.size // 2]) if v.size else 0.0
        prefix = np.empty(v.size + 1)
        prefix[0] = 0.0
        np.cumsum(v - shift, out=prefix[1:])
        return shift, prefix

    def histogram_on(self, edges: FloatArray) -> Histogram:
        """Counts on the given edges, exact from raw values or reused from the summary."""
        if self.values is not None:
            return Histogram.of_sorted(self.values, edges)
        if self.histogram is not None and np.array_equal(self.histogram.edges, edges):
            return self.histogram
        raise ValueError("a summarized sample can only be binned on its own edges")


@dataclass(frozen=True, eq=False)
class CategoricalSample:
    """Counts per category of a categorical (or binary) column, plus the missing count."""

    categories: tuple[str, ...]
    counts: IntArray
    n_missing: int = 0

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def from_values(cls, values: object) -> CategoricalSample:
        """Count categories of any array-like; None/NaN count as missing."""
        import pandas as pd

        series = (
            pd.Series(np.asarray(values, dtype=object))
            if not isinstance(values, pd.Series)
            else values
        )
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques)).astype(np.int64)
        n_missing = int(np.count_nonzero(codes < 0))
        return cls(tuple(str(u) for u in uniques), counts, n_missing)

    @classmethod
    def from_mapping(cls, counts: dict[str, int], n_missing: int = 0) -> CategoricalSample:
        keys = tuple(counts)
        return cls(keys, np.array([counts[k] for k in keys], dtype=np.int64), n_missing)


@dataclass(frozen=True, eq=False)
class EmbeddingSample:
    """Vectors of an embedding column: all rows (raw) or a reservoir subsample with moments.

    ``mean``/``var`` are per dimension over all ``n`` rows even when ``vectors`` holds only a
    subsample; ``is_raw`` says whether ``vectors`` is the whole sample.
    """

    n: int
    mean: FloatArray
    var: FloatArray
    vectors: FloatArray | None
    n_missing: int = 0
    is_raw: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.mean.size)

    @classmethod
    def from_matrix(cls, matrix: object, n_missing: int = 0) -> EmbeddingSample:
        """Prepare from an (n, d) array; rows with any non-finite entry count as missing."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2:
            raise ValueError(f"embedding column must be 2-D (rows x dims), got shape {m.shape}")
        ok = np.isfinite(m).all(axis=1)
        if not ok.all():
            n_missing += int(m.shape[0] - np.count_nonzero(ok))
            m = m[ok]
        if m.shape[0] == 0:
            zeros = np.zeros(m.shape[1])
            return cls(0, zeros, zeros.copy(), m, n_missing)
        return cls(int(m.shape[0]), m.mean(axis=0), m.var(axis=0), m, n_missing)
