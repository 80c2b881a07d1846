"""A numeric column cut into windows: sorted chunk by chunk, merged, ranked once.

Comparing a whole window and its chunks with the reference naively sorts every chunk and the
window, and binary-searches each in the reference, column by column. Less is needed: each
chunk is sorted on its own (cache-sized radix sorts, see
:mod:`~mlsteward.engines.drift.float_sort`: cheaper than one sort of the column) and the
sorted runs are merged into the sorted window, which also says where every chunk value sits
in it (:func:`sort_by_chunks`). One stable merge of the sorted reference with the sorted
window gives, for every current value, how many reference values lie at or below it; a
chunk's ranks are the window's at its positions. The KS gap and the Wasserstein distance then
follow from the ranks alone (:func:`~mlsteward.engines.drift.column_pair.gap_from_ranks`),
with no further sorting or searching, and exactly the same numbers. The reference side sorts
its chunks the same way to score each against the rest of the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mlsteward.engines.drift import work_buffers
from mlsteward.engines.drift.chunking import Rows
from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.float_sort import order_keys, sort_finite
from mlsteward.engines.drift.samples import FloatArray, IntArray, NumericSample
from mlsteward.engines.drift.spec import ColumnKind


class RankedPair(ColumnPair):
    """A raw numeric pair whose current values' ranks in the reference are already known.

    ``right[i]``/``left[i]`` count reference values ``<=``/``<`` the i-th sorted current value.
    """

    def __init__(
        self, reference: NumericSample, current: NumericSample, right: IntArray, left: IntArray
    ) -> None:
        super().__init__(ColumnKind.NUMERIC, reference, current)
        self._right = right
        self._left = left

    def _use_pooled(self) -> bool:
        return "pooled" in self.__dict__  # only when a test needed the merged support anyway

    @cached_property
    def _located(self) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
        ref, cur = self.numeric()
        if ref.values is None or cur.values is None:
            raise RuntimeError("a ranked pair of summarized samples (ranks need raw values)")
        return cur.values, ref.values, self._right, self._left


def ranks_in(reference: FloatArray, current: FloatArray) -> tuple[IntArray, IntArray]:
    """``(right, left)``: counts of sorted ``reference`` values ``<=``/``<`` each sorted
    ``current`` value.

    A merge of the two sorted runs, one block of current values at a time: each block is
    merged (a stable sort of two sorted runs, linear) with just the reference values in its
    range, so the whole costs one pass over both samples and holds only small work arrays.
    Stability puts reference values equal to a current value before it, so a current value's
    position in its merged block minus its own index counts the reference values ``<=`` it.
    """
    m = current.size
    right = np.empty(m, dtype=np.int64)
    if not reference.size:
        right.fill(0)
        return right, right
    tied_at: list[IntArray] = []
    for lo in range(0, m, work_buffers.BLOCK):
        hi = min(lo + work_buffers.BLOCK, m)
        block = current[lo:hi]
        start = int(np.searchsorted(reference, block[0], side="left"))
        stop = int(np.searchsorted(reference, block[-1], side="right"))
        k = stop - start
        both = work_buffers.buffer("ranks.both", k + hi - lo, np.float64)
        both[:k] = reference[start:stop]
        both[k:] = block
        keys = order_keys(both, work_buffers.buffer("ranks.keys", k + hi - lo, np.int64))
        merged = np.argsort(keys, kind="stable")
        is_cur = np.greater_equal(
            merged, k, out=work_buffers.buffer("ranks.flag", k + hi - lo, bool)
        )
        del merged
        part = right[lo:hi]
        np.subtract(np.flatnonzero(is_cur), work_buffers.arange(hi - lo), out=part)
        part += start
        # A current value tied with reference values needs its "<" count apart.
        below = np.subtract(part, 1, out=work_buffers.buffer("ranks.below", hi - lo, np.int64))
        np.maximum(below, 0, out=below)
        at = np.take(reference, below, out=both[: hi - lo], mode="clip")
        tied = np.equal(at, block, out=is_cur[: hi - lo])
        tied &= part > 0
        if tied.any():
            tied_at.append(np.flatnonzero(tied) + lo)
    if not tied_at:
        return right, right
    where = np.concatenate(tied_at)
    left = right.copy()
    left[where] = np.searchsorted(reference, current[where], side="left")
    return right, left


def _n_rows(rows: Rows, n_rows: int) -> int:
    """How many rows a slice or an index array selects out of ``n_rows``."""
    return len(range(*rows.indices(n_rows))) if isinstance(rows, slice) else int(rows.size)


@dataclass(frozen=True, eq=False)
class ChunkRows:
    """Disjoint groups of a column's rows (its chunks) and the rows in none of them."""

    groups: tuple[Rows, ...]
    sizes: tuple[int, ...]
    rest: IntArray | None  # rows in no group, ascending; None when every row is in one

    @classmethod
    def of(cls, groups: Sequence[Rows], n_rows: int) -> ChunkRows | None:
        """Validate ``groups`` (slices or index arrays); None when two of them overlap."""
        id_type = np.int16 if len(groups) < 2**15 else np.int32
        ids = work_buffers.buffer("chunk_rows.ids", n_rows, id_type)
        ids.fill(-1)
        sizes = []
        for k, rows in enumerate(groups):
            if isinstance(rows, np.ndarray) and rows.dtype == bool:
                return None
            sizes.append(_n_rows(rows, n_rows))
            ids[rows] = k
        outside = ids < 0
        n_outside = int(np.count_nonzero(outside))
        if n_rows - n_outside != sum(sizes):
            return None  # a row counted twice: overlapping groups
        rest = np.flatnonzero(outside) if n_outside else None
        return cls(tuple(groups), tuple(sizes), rest)


@dataclass(frozen=True, eq=False)
class SortedChunks:
    """A column's finite values sorted chunk by chunk, and all of them merged.

    ``chunk(k)`` is chunk ``k``'s values, sorted; ``merged`` holds every finite value of the
    column sorted (rows in no chunk included); ``positions(k)`` says where chunk ``k``'s
    values sit in ``merged``, ascending. Arrays live in per-thread work buffers (``merged``
    may be the caller's): valid until this thread sorts its next column.
    """

    runs: FloatArray
    bounds: IntArray
    merged: FloatArray
    position: IntArray

    def chunk(self, k: int) -> FloatArray:
        return self.runs[self.bounds[k] : self.bounds[k + 1]]

    def positions(self, k: int) -> IntArray:
        return self.position[self.bounds[k] : self.bounds[k + 1]]


def sort_by_chunks(
    values: FloatArray, chunks: ChunkRows, out: FloatArray | None = None
) -> SortedChunks:
    """Sort each chunk of a column on its own, then merge the sorted runs.

    Sorting many cache-sized runs and merging them (a stable sort of sorted runs is a
    linear-time merge per level) costs less than one argsort of the whole column, and yields
    each chunk sorted without picking its values out of the whole. Non-finite values are left
    out. The merged values are written to ``out`` when given (it needs room for them all).
    """
    n_groups = len(chunks.groups)
    runs = work_buffers.buffer("chunks.runs", values.size, np.float64)
    bounds = np.zeros(n_groups + 2, dtype=np.int64)
    all_finite = bool(np.isfinite(values).all())
    at = 0
    parts = (*chunks.groups, chunks.rest) if chunks.rest is not None else chunks.groups
    for k, rows in enumerate(parts):
        run = runs[at : at + _n_rows(rows, values.size)]
        if isinstance(rows, slice):
            run[:] = values[rows]
        else:
            np.take(values, rows, out=run)
        if not all_finite:
            kept = run[np.isfinite(run)]
            run = runs[at : at + kept.size]
            run[:] = kept
        sort_finite(run)
        at += run.size
        bounds[k + 1] = at
    if chunks.rest is None:
        bounds[-1] = at
    keys = order_keys(runs[:at], work_buffers.buffer("chunks.keys", at, np.int64))
    order = np.argsort(keys, kind="stable")
    del keys
    merged = out[:at] if out is not None else work_buffers.buffer("chunks.merged", at, np.float64)
    np.take(runs, order, out=merged, mode="clip")
    position = work_buffers.buffer("chunks.position", at, np.int64)
    position[order] = work_buffers.arange(at)
    return SortedChunks(runs[:at], bounds, merged, position)


def ranked_windows(
    values: FloatArray,
    reference: NumericSample,
    windows: Sequence[tuple[int, Rows | None]],
) -> list[tuple[NumericSample, RankedPair]] | None:
    """Samples and ranked pairs for the whole column (first window) and disjoint chunks.

    Returns None when the windows are not "whole, then disjoint chunks" (callers then fall
    back to preparing each window on its own).
    """
    ref = reference.values
    if ref is None or not windows or windows[0][1] is not None:
        return None
    n_rows = values.size
    chunks = windows[1:]
    if not chunks:  # the whole window only: a plain sort
        finite = np.isfinite(values)
        m = int(np.count_nonzero(finite))
        cur = work_buffers.buffer("windows.sorted", m, np.float64)
        cur[:] = values if m == n_rows else values[finite]
        del finite
        sort_finite(cur)
        right, left = ranks_in(ref, cur)
        whole = NumericSample.from_sorted(cur, n_rows - m)
        return [(whole, RankedPair(reference, whole, right, left))]
    if any(rows is None for _, rows in chunks):
        return None
    layout = ChunkRows.of([rows for _, rows in chunks if rows is not None], n_rows)
    if layout is None or layout.sizes != tuple(n for n, _ in chunks):
        return None
    # Column-sized arrays live in per-thread buffers: they are only needed while this
    # column is being tested.
    sorted_chunks = sort_by_chunks(
        values, layout, work_buffers.buffer("windows.sorted", n_rows, np.float64)
    )
    cur = sorted_chunks.merged
    m = cur.size
    right, left = ranks_in(ref, cur)
    whole = NumericSample.from_sorted(cur, n_rows - m)
    out = [(whole, RankedPair(reference, whole, right, left))]
    # A chunk's values are sorted already; their ranks are the window's at their positions.
    right_buf = work_buffers.buffer("windows.chunk_right", m, np.int64)
    left_buf = (
        right_buf if left is right else work_buffers.buffer("windows.chunk_left", m, np.int64)
    )
    for k, (n_chunk, _) in enumerate(chunks):
        lo, hi = int(sorted_chunks.bounds[k]), int(sorted_chunks.bounds[k + 1])
        pos = sorted_chunks.positions(k)
        part_right = np.take(right, pos, out=right_buf[lo:hi], mode="clip")
        part_left = part_right
        if left is not right:
            part_left = np.take(left, pos, out=left_buf[lo:hi], mode="clip")
        part_values = sorted_chunks.chunk(k)
        part = NumericSample.from_sorted(part_values, n_chunk - part_values.size)
        out.append((part, RankedPair(reference, part, part_right, part_left)))
    return out
