"""A reference sample and a current sample of one column, with shared derived data cached.

Several tests need the same intermediate results: the pooled order of both samples (KS,
Anderson–Darling, Wasserstein), histograms on the reference's bins (PSI, Jensen–Shannon,
Hellinger), the aligned category table (chi-square, PSI, L-infinity...). The pair computes each
once, on first use, and every test of the column reads it. This is what keeps a full battery of
tests close to the cost of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mlsteward.engines.drift import work_buffers
from mlsteward.engines.drift.column_kind import ColumnKind, NotApplicableError
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    FloatArray,
    Histogram,
    IntArray,
    NumericSample,
    quantile_edges,
    with_range_edges,
)

#: Resolution of the reference histogram when the reference is raw (a stored profile keeps its
#: own edges). Fine enough that binned KS loses at most ~1% of mass per bin.
FINE_BINS = 100


@dataclass(frozen=True, eq=False)
class PooledSupport:
    """Both samples on one sorted support: cumulative counts of each up to every point.

    ``last`` marks the last position of each distinct value, where both empirical CDFs are
    evaluated. ``approximate`` is true when the support is the reference's bin edges rather
    than the raw values.
    """

    z: FloatArray
    cum_ref: FloatArray
    cum_cur: FloatArray
    n_ref: int
    n_cur: int
    last: np.ndarray
    approximate: bool


@dataclass(frozen=True, eq=False)
class AlignedCounts:
    """Category counts of both samples on one vocabulary (reference categories first)."""

    categories: tuple[str, ...]
    reference: IntArray
    current: IntArray
    new_categories: tuple[str, ...]
    vanished_categories: tuple[str, ...]


class ColumnPair:
    """Reference and current sample of one column; caches what several tests share.

    ``statistics_only`` is set when only the tests' statistics will be read (scoring
    reference chunks for learned thresholds): a test may then leave out a p-value that costs
    time to compute, as long as its statistic is the one it would otherwise report.
    """

    statistics_only = False

    def __init__(
        self,
        kind: ColumnKind,
        reference: NumericSample | CategoricalSample | EmbeddingSample,
        current: NumericSample | CategoricalSample | EmbeddingSample,
    ) -> None:
        self.kind = kind
        self.reference = reference
        self.current = current
        self._coarse: dict[int, tuple[IntArray, IntArray, bool]] = {}

    # -- numeric ---------------------------------------------------------------------------
    def numeric(self) -> tuple[NumericSample, NumericSample]:
        """Both sides as numeric samples, or NotApplicableError."""
        ref, cur = self.reference, self.current
        if not isinstance(ref, NumericSample) or not isinstance(cur, NumericSample):
            raise NotApplicableError("test needs numeric samples on both sides")
        if ref.n == 0 or cur.n == 0:
            raise NotApplicableError("no finite values on one side")
        return ref, cur

    @property
    def is_exact(self) -> bool:
        """True when both sides hold raw values (tests can be exact)."""
        ref, cur = self.reference, self.current
        if isinstance(ref, NumericSample) and isinstance(cur, NumericSample):
            return ref.is_raw and cur.is_raw
        if isinstance(ref, EmbeddingSample) and isinstance(cur, EmbeddingSample):
            return ref.is_raw and cur.is_raw
        return True

    @cached_property
    def fine_edges(self) -> FloatArray:
        """The reference's bin edges: its profile's own, or equal-frequency from raw values.

        A profile compared with raw current values also gets edges just below its minimum
        and at its maximum (:func:`with_range_edges`): the range is known exactly, and it is
        what tells current values beyond the reference's range (or any spread of a constant
        column) from values inside its outer bins.
        """
        return self.fine_histograms[0].edges

    @cached_property
    def fine_histograms(self) -> tuple[Histogram, Histogram]:
        """Both sides counted on the reference's fine edges."""
        ref, cur = self.numeric()
        if ref.values is None and ref.histogram is not None and cur.values is not None:
            closed = with_range_edges(ref.histogram, ref.moments)
            return closed, Histogram.of_sorted(cur.values, closed.edges)
        if ref.histogram is not None:
            edges = ref.histogram.edges
        elif cur.values is None and cur.histogram is not None:
            edges = cur.histogram.edges
        elif ref.values is not None:
            edges = quantile_edges(ref.values, FINE_BINS)
        else:
            raise RuntimeError("a numeric sample with neither values nor a histogram")
        return ref.histogram_on(edges), cur.histogram_on(edges)

    def binned(self, bins: int) -> tuple[IntArray, IntArray, bool]:
        """Counts of both sides on about ``bins`` equal-frequency reference bins.

        Returns ``(reference_counts, current_counts, approximate)``. With a raw reference the
        edges are its exact quantiles; with a profile, adjacent profile bins are grouped so
        each group holds about ``1/bins`` of the reference mass (``approximate`` is then true).
        """
        if bins in self._coarse:
            return self._coarse[bins]
        ref, cur = self.numeric()
        if ref.values is not None and cur.values is not None:
            edges = quantile_edges(ref.values, bins)
            out = (
                Histogram.of_sorted(ref.values, edges).counts,
                Histogram.of_sorted(cur.values, edges).counts,
                False,
            )
        else:
            rh, ch = self.fine_histograms
            total = max(int(rh.counts.sum()), 1)
            mass_before = (np.cumsum(rh.counts) - rh.counts) / total
            group = np.clip(np.floor(mass_before * bins + 1e-9), 0, bins - 1)
            start = np.flatnonzero(np.diff(group, prepend=-1.0) != 0)
            out = (np.add.reduceat(rh.counts, start), np.add.reduceat(ch.counts, start), True)
        self._coarse[bins] = out
        return out

    @cached_property
    def pooled(self) -> PooledSupport:
        """Pooled sorted support with cumulative counts of each side.

        Exact (the raw values, merged in one linear pass over two sorted runs) when both sides
        are raw; otherwise both sides on the reference's bin edges, where both empirical CDFs
        are known exactly, so binned KS is a lower bound of the true statistic.
        """
        ref, cur = self.numeric()
        if ref.values is not None and cur.values is not None:
            a, c = ref.values, cur.values
            both = np.concatenate([a, c])
            # Timsort sees two sorted runs and merges them in linear time.
            order = np.argsort(both, kind="stable")
            z = both[order]
            del both
            cum_cur = np.cumsum(order >= a.size, dtype=np.float64)
            del order
            cum_ref = np.arange(1, z.size + 1, dtype=np.float64)
            cum_ref -= cum_cur
            return PooledSupport(z, cum_ref, cum_cur, a.size, c.size, tie_group_ends(z), False)
        rh, ch = self.fine_histograms
        top = max(ref.moments.maximum, cur.moments.maximum)
        support = np.append(rh.edges, max(top, rh.edges[-1] if rh.edges.size else top))
        return PooledSupport(
            support,
            np.cumsum(rh.counts).astype(np.float64),
            np.cumsum(ch.counts).astype(np.float64),
            int(rh.counts.sum()),
            int(ch.counts.sum()),
            np.ones(support.size, dtype=bool),
            True,
        )

    def _use_pooled(self) -> bool:
        """Merge both samples when sizes are comparable; else binary-search the smaller."""
        ref, cur = self.numeric()
        if ref.values is None or cur.values is None:
            return True
        small, large = sorted((ref.values.size, cur.values.size))
        return small * 4 > large or "pooled" in self.__dict__

    @cached_property
    def _located(self) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
        """``(small, large, right, left)``: ranks of the smaller sample's values in the larger.

        ``right[i]`` counts large values ``<= small[i]``, ``left[i]`` those ``< small[i]``.
        """
        ref, cur = self.numeric()
        a, c = ref.values, cur.values
        if a is None or c is None:
            raise RuntimeError("ranks located in a summarized sample (only raw ones have values)")
        small, large = (a, c) if a.size <= c.size else (c, a)
        right = np.searchsorted(large, small, side="right")
        left = right.copy()
        tied = np.flatnonzero((right > 0) & (large[np.maximum(right - 1, 0)] == small))
        if tied.size:
            left[tied] = np.searchsorted(large, small[tied], side="left")
        return small, large, right, left

    @cached_property
    def ks_gap(self) -> tuple[float, int, int, bool]:
        """Largest gap between the two empirical CDFs: ``(d, n_ref, n_cur, approximate)``.

        Exact with raw values. Both CDFs are step functions, so the supremum is reached at a
        point of either sample, from the right or as a left limit; it suffices to look at the
        points of one sample. With sizes far apart the smaller sample's points are located in
        the larger by binary search, costing O(m log n) instead of a merge of n + m values.
        """
        if self._use_pooled():
            ps = self.pooled
            every = bool(ps.last.all())  # no ties: skip the two boolean selections
            cum_ref = ps.cum_ref if every else ps.cum_ref[ps.last]
            cum_cur = ps.cum_cur if every else ps.cum_cur[ps.last]
            gap = cum_ref / ps.n_ref
            gap -= cum_cur / ps.n_cur
            np.abs(gap, out=gap)
            return float(gap.max()) if gap.size else 0.0, ps.n_ref, ps.n_cur, ps.approximate
        small, large, right, left = self._located
        ref, cur = self.numeric()
        return gap_from_ranks(small, large.size, right, left), ref.n, cur.n, False

    @cached_property
    def wasserstein_distance(self) -> tuple[float, bool]:
        """Wasserstein-1 distance ``integral |F_ref - F_cur| dx`` and whether it is approximate.

        With sizes far apart: between consecutive points of the smaller sample its CDF is a
        constant c, and the integral of ``|F_large - c|`` over the interval follows from the
        antiderivative of ``F_large`` (prefix sums of the larger sample) split where
        ``F_large`` crosses c -- O(m log n) instead of a merge.
        """
        if self._use_pooled():
            ps = self.pooled
            widths = np.diff(ps.z)
            gaps = np.abs(ps.cum_ref[:-1] / ps.n_ref - ps.cum_cur[:-1] / ps.n_cur)
            return float((gaps * widths).sum()), ps.approximate
        small, large, right, _ = self._located
        ref, cur = self.numeric()
        owner = ref if large is ref.values else cur
        return wasserstein_from_ranks(small, large, right, *owner.centred_prefix), False

    # -- categorical -----------------------------------------------------------------------

    @cached_property
    def aligned(self) -> AlignedCounts:
        """Both sides' category counts on the union vocabulary."""
        ref, cur = self.reference, self.current
        if not isinstance(ref, CategoricalSample) or not isinstance(cur, CategoricalSample):
            raise NotApplicableError("test needs categorical samples on both sides")
        if ref.categories == cur.categories:
            return AlignedCounts(ref.categories, ref.counts, cur.counts, (), ())
        index = {c: i for i, c in enumerate(ref.categories)}
        cats = list(ref.categories)
        cur_pos = np.empty(len(cur.categories), dtype=np.int64)
        for j, c in enumerate(cur.categories):
            i = index.get(c)
            if i is None:
                i = len(cats)
                index[c] = i
                cats.append(c)
            cur_pos[j] = i
        ref_counts = np.zeros(len(cats), dtype=np.int64)
        ref_counts[: len(ref.categories)] = ref.counts
        cur_counts = np.zeros(len(cats), dtype=np.int64)
        np.add.at(cur_counts, cur_pos, cur.counts)
        new = tuple(c for c, r, k in zip(cats, ref_counts, cur_counts, strict=True) if r == 0 < k)
        gone = tuple(c for c, r, k in zip(cats, ref_counts, cur_counts, strict=True) if k == 0 < r)
        return AlignedCounts(tuple(cats), ref_counts, cur_counts, new, gone)

    def categorical_counts(self) -> tuple[IntArray, IntArray]:
        """Aligned counts restricted to categories seen on either side, both non-empty."""
        al = self.aligned
        seen = (al.reference + al.current) > 0
        r, c = al.reference[seen], al.current[seen]
        if r.sum() == 0 or c.sum() == 0:
            raise NotApplicableError("no non-missing values on one side")
        return r, c

    # -- embeddings ------------------------------------------------------------------------
    def embeddings(self) -> tuple[EmbeddingSample, EmbeddingSample]:
        ref, cur = self.reference, self.current
        if not isinstance(ref, EmbeddingSample) or not isinstance(cur, EmbeddingSample):
            raise NotApplicableError("test needs embedding samples on both sides")
        if ref.n == 0 or cur.n == 0:
            raise NotApplicableError("no complete vectors on one side")
        if ref.dim != cur.dim:
            raise NotApplicableError(
                f"embedding dimension differs: reference {ref.dim}, current {cur.dim}"
            )
        return ref, cur


def tie_group_ends(sorted_values: FloatArray) -> np.ndarray:
    """Marks the last position of each run of equal values in a non-empty sorted array."""
    last = np.empty(sorted_values.size, dtype=bool)
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=last[:-1])
    last[-1] = True
    return last


def gap_from_ranks(small: FloatArray, n_large: int, right: IntArray, left: IntArray) -> float:
    """Largest CDF gap, evaluated at the points of the sorted ``small`` sample.

    ``right``/``left`` count the large sample's values ``<=`` / ``<`` each small value. Both
    CDFs are step functions, so the supremum is reached at a point of either sample, from the
    right or as a left limit, and looking at one sample's points suffices.
    """
    m = small.size
    if m > 1 and bool(np.all(small[1:] != small[:-1])):
        # No ties within the small sample (the usual case): every point is both the first and
        # the last of its group. Same arithmetic as below, block by block in small arrays.
        best = 0.0
        for lo in range(0, m, work_buffers.BLOCK):
            hi = min(lo + work_buffers.BLOCK, m)
            pos = work_buffers.arange(hi + 1, np.float64)
            d = np.divide(left[lo:hi], n_large, out=work_buffers.buffer("gap.d", hi - lo, float))
            step = np.divide(pos[lo:hi], m, out=work_buffers.buffer("gap.step", hi - lo, float))
            d -= step
            best = max(best, float(d.max()), -float(d.min()))
            np.divide(right[lo:hi], n_large, out=d)
            np.divide(pos[lo + 1 : hi + 1], m, out=step)
            d -= step
            best = max(best, float(d.max()), -float(d.min()))
        return best
    # Within the small sample: count <= s at the last of each tie group, < s at the first.
    is_last = tie_group_ends(small)
    is_first = np.empty(m, dtype=bool)
    is_first[0] = True
    is_first[1:] = is_last[:-1]
    pos = np.arange(m)
    d_right = np.abs(right[is_last] / n_large - (pos[is_last] + 1) / m)
    d_left = np.abs(left[is_first] / n_large - pos[is_first] / m)
    return float(max(d_right.max(), d_left.max()))


def wasserstein_from_ranks(
    small: FloatArray, large: FloatArray, right: IntArray, shift: float, prefix: FloatArray
) -> float:
    """Wasserstein-1 distance from the small sample's ranks in the large one.

    Between consecutive points of the small sample its CDF is a constant c; the integral of
    ``|F_large - c|`` over that interval follows from the antiderivative of ``F_large``
    (``prefix``: prefix sums of ``large - shift``), split where ``F_large`` crosses c.
    O(m) after the ranks, instead of a merge of both samples.
    """
    m, n = small.size, large.size

    def antideriv(t: FloatArray, count: IntArray) -> FloatArray:
        # n * integral_{-inf}^{t} F_large(x) dx, in shifted coordinates.
        return count * (t - shift) - prefix[count]

    # Distinct points of the small sample and its CDF level on [s_j, s_{j+1}).
    last = tie_group_ends(small)
    pts = small[last]
    counts_at = right[last]
    level = (np.flatnonzero(last) + 1) / m
    a, b = pts[:-1], pts[1:]
    ca, cb = counts_at[:-1], counts_at[1:]
    c = level[:-1]
    k = np.clip(np.ceil(c * n - 1e-12).astype(np.int64), 1, n)
    kth = large[k - 1]
    cross = np.clip(kth, a, b)
    # Values tied with the crossing point add nothing to the antiderivative there, so the
    # count up to it may be taken as k (or the interval end's count when clipped).
    cnt_cross = np.where(kth < a, ca, np.where(kth > b, cb, k))
    g_a, g_b, g_x = antideriv(a, ca), antideriv(b, cb), antideriv(cross, cnt_cross)
    inner = c * n * (cross - a) - (g_x - g_a) + (g_b - g_x) - c * n * (b - cross)
    head = antideriv(pts[:1], counts_at[:1])[0]
    tail_count = int(counts_at[-1])
    tail = (prefix[n] - prefix[tail_count]) - (n - tail_count) * (pts[-1] - shift)
    return float((inner.sum() + head + tail) / n)
