"""A reference chunk against the rest of the reference, without building the rest.

Learned thresholds score every reference chunk against the reference *without* that chunk
(out of sample). Materializing "the rest" for every chunk and column would copy and re-search
almost the whole reference each time. It is not needed: with ``n`` reference values of which
``m`` form the chunk, the rest's CDF is ``(n F_ref - m F_chunk) / (n - m)``, so

    F_rest - F_chunk = n / (n - m) * (F_ref - F_chunk)

exactly, at every x. The KS statistic and the Wasserstein distance of chunk vs rest are
therefore those of chunk vs whole reference times ``n / (n - m)``; and because the chunk's
values are elements of the sorted reference, their ranks in it are known from their positions,
with no search at all. Histograms of the rest are the reference's minus the chunk's, and the
pooled support of (rest, chunk) is the sorted reference itself with two cumulative counts.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from mlsteward.engines.drift.column_pair import (
    ColumnPair,
    PooledSupport,
    gap_from_ranks,
    tie_group_ends,
    wasserstein_from_ranks,
)
from mlsteward.engines.drift.samples import FloatArray, Histogram, IntArray, NumericSample
from mlsteward.engines.drift.samples import quantile_edges as _quantile_edges
from mlsteward.engines.drift.spec import ColumnKind


class SortedReference:
    """The sorted reference values with tie-group bounds, shared by all its chunks."""

    def __init__(self, whole: NumericSample) -> None:
        if whole.values is None:
            raise RuntimeError("a sorted reference needs raw values, not a summary")
        self.whole = whole
        self.values: FloatArray = whole.values
        a = whole.values
        n = a.size
        starts = np.empty(n, dtype=bool)
        if n:
            starts[0] = True
            np.not_equal(a[1:], a[:-1], out=starts[1:])
        # For each position: how many values are < it (tie start) and <= it (tie end); with no
        # ties (the usual case for continuous data) these are the position and position + 1.
        self._tie_start: IntArray | None = None
        self._tie_end: IntArray | None = None
        if not starts.all():
            group = np.cumsum(starts) - 1
            first = np.flatnonzero(starts)
            ends = np.append(first[1:], n)
            self._tie_start = first[group]
            self._tie_end = ends[group]
        self._hist: dict[int, tuple[FloatArray, IntArray]] = {}

    def count_below(self, positions: IntArray) -> IntArray:
        """How many reference values are ``<`` the values at ``positions``."""
        return positions if self._tie_start is None else self._tie_start[positions]

    def count_upto(self, positions: IntArray) -> IntArray:
        """How many reference values are ``<=`` the values at ``positions``."""
        return positions + 1 if self._tie_end is None else self._tie_end[positions]

    def histogram(self, bins: int) -> tuple[FloatArray, IntArray]:
        """Equal-frequency edges of the whole reference and its counts on them (cached)."""
        if bins not in self._hist:
            edges = _quantile_edges(self.values, bins)
            self._hist[bins] = (edges, Histogram.of_sorted(self.values, edges).counts)
        return self._hist[bins]


class HoldoutPair(ColumnPair):
    """(reference without a chunk, the chunk), computed from the whole sorted reference.

    ``positions`` are the chunk's positions in the sorted reference, ascending.
    """

    def __init__(
        self,
        reference: SortedReference,
        positions: np.ndarray,
        rest: NumericSample,
        part: NumericSample,
    ) -> None:
        super().__init__(ColumnKind.NUMERIC, rest, part)
        if part.values is None:
            raise RuntimeError("a held-out chunk needs raw values, not a summary")
        self._ref = reference
        self._positions = positions
        self._part = part
        self._part_values: FloatArray = part.values

    @property
    def is_exact(self) -> bool:
        return True

    def _scale(self) -> float:
        n, m = self._ref.whole.n, self._positions.size
        return n / (n - m) if n > m else float("inf")

    @cached_property
    def ks_gap(self) -> tuple[float, int, int, bool]:
        pos = self._positions
        d_whole = gap_from_ranks(
            self._part_values,
            self._ref.whole.n,
            self._ref.count_upto(pos),
            self._ref.count_below(pos),
        )
        return min(d_whole * self._scale(), 1.0), self.reference.n, self._part.n, False

    @cached_property
    def wasserstein_distance(self) -> tuple[float, bool]:
        shift, prefix = self._ref.whole.centred_prefix
        right = self._ref.count_upto(self._positions)
        w_whole = wasserstein_from_ranks(self._part_values, self._ref.values, right, shift, prefix)
        return w_whole * self._scale(), False

    @cached_property
    def pooled(self) -> PooledSupport:
        values = self._ref.values
        in_chunk = np.zeros(values.size, dtype=bool)
        in_chunk[self._positions] = True
        cum_part = np.cumsum(in_chunk, dtype=np.float64)
        cum_rest = np.arange(1, values.size + 1, dtype=np.float64)
        cum_rest -= cum_part
        n_part = self._positions.size
        return PooledSupport(
            values,
            cum_rest,
            cum_part,
            values.size - n_part,
            n_part,
            tie_group_ends(values),
            False,
        )

    def binned(self, bins: int) -> tuple[IntArray, IntArray, bool]:
        """Counts on the whole reference's quantile bins: rest = whole - chunk."""
        if bins not in self._coarse:
            edges, whole_counts = self._ref.histogram(bins)
            part_counts = Histogram.of_sorted(self._part_values, edges).counts
            self._coarse[bins] = (whole_counts - part_counts, part_counts, False)
        return self._coarse[bins]
