"""A numeric current column cut into windows, ranked against the sorted reference once.

Comparing a whole window and its chunks with the reference naively sorts every chunk and
binary-searches it in the reference, column by column. None of that is needed: one stable merge
of the sorted reference with the sorted current window gives, for every current value, how
many reference values lie at or below it. A chunk's values are a subset of the window's, so its
sorted values and their ranks in the reference are read off the window's by position (the
chunk's positions in the sorted window come from a stable sort of small chunk ids). The KS gap
and the Wasserstein distance then follow from the ranks alone
(:func:`~mlsteward.engines.drift.column_pair.gap_from_ranks`), with no further sorting or
searching, and exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from mlsteward.engines.drift import work_buffers
from mlsteward.engines.drift.chunking import Rows
from mlsteward.engines.drift.column_pair import ColumnPair
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
        merged = np.argsort(both, kind="stable")
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
    ids: np.ndarray | None = None
    id_type = np.int16 if len(chunks) < 2**15 else np.int32
    if chunks:
        ids = work_buffers.buffer("windows.ids", n_rows, id_type)
        ids.fill(-1)
        declared = 0
        for k, (n_chunk, rows) in enumerate(chunks):
            if rows is None or (isinstance(rows, np.ndarray) and rows.dtype == bool):
                return None
            size = len(range(*rows.indices(n_rows))) if isinstance(rows, slice) else rows.size
            if size != n_chunk:
                return None
            ids[rows] = k
            declared += n_chunk
        if n_rows - int(np.count_nonzero(ids < 0)) != declared:
            return None  # overlapping chunks: not this fast path
    # Column-sized arrays live in per-thread buffers: they are only needed while this
    # column is being tested.
    finite = np.isfinite(values)
    kept = None if finite.all() else np.flatnonzero(finite)
    del finite
    m = values.size if kept is None else kept.size
    cur = work_buffers.buffer("windows.sorted", m, np.float64)
    order = None
    if ids is None:  # the whole window only: a plain sort (much faster than an argsort)
        cur[:] = values if kept is None else values[kept]
        cur.sort()
    else:
        order = np.argsort(values) if kept is None else kept[np.argsort(values[kept])]
        np.take(values, order, out=cur, mode="clip")
    right, left = ranks_in(ref, cur)
    whole = NumericSample.from_sorted(cur, n_rows - m)
    out = [(whole, RankedPair(reference, whole, right, left))]
    if ids is None or order is None:
        return out
    # A stable sort of the small chunk ids lists each chunk's positions in the sorted
    # window, each run still ascending, so every chunk comes out sorted.
    of_sorted = np.take(
        ids, order, out=work_buffers.buffer("windows.of_sorted", m, id_type), mode="clip"
    )
    del order
    grouped = np.argsort(of_sorted, kind="stable")
    ordered_ids = np.take(of_sorted, grouped, out=ids[:m], mode="clip")
    bounds = np.searchsorted(ordered_ids, np.arange(len(chunks) + 1, dtype=id_type))
    values_buf = work_buffers.buffer("windows.chunk_values", m, np.float64)
    right_buf = work_buffers.buffer("windows.chunk_right", m, np.int64)
    left_buf = (
        right_buf if left is right else work_buffers.buffer("windows.chunk_left", m, np.int64)
    )
    for k, (n_chunk, _) in enumerate(chunks):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        pos = grouped[lo:hi]
        part_values = np.take(cur, pos, out=values_buf[lo:hi], mode="clip")
        part_right = np.take(right, pos, out=right_buf[lo:hi], mode="clip")
        part_left = part_right
        if left is not right:
            part_left = np.take(left, pos, out=left_buf[lo:hi], mode="clip")
        part = NumericSample.from_sorted(part_values, n_chunk - pos.size)
        out.append((part, RankedPair(reference, part, part_right, part_left)))
    return out
