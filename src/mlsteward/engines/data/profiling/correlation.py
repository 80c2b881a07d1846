"""Pearson correlation matrix of numeric columns, accumulated over row blocks.

The columns are never copied into one big matrix: rows are taken ``block_rows`` at a time,
centred near each column's middle (which keeps the sums numerically tame), and reduced with
matrix products into k x k accumulators. It needs nothing from the per-column pass, so it
runs beside it on the other core. Memory beyond
the table is one block (``block_rows`` x k doubles) and the accumulators.

Missing and infinite values are handled pairwise (each pair of columns uses the rows where
both are present, as pandas does): four products per block instead of one, done only when
some column has such values. A pair without variation gets ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.arrow_numpy import float_values, values_view
from mlsteward.engines.data.profiling.sorted_stats import json_number


def _column_source(column: pa.ChunkedArray) -> pa.ChunkedArray | np.ndarray:
    """A zero-copy NumPy view when the column allows one, else the (float) Arrow column."""
    if column.type != pa.float64():
        column = column.cast(pa.float64())
    if column.num_chunks == 1 and column.null_count == 0:
        return values_view(column.chunk(0))
    return column


def _block(sources: Sequence[pa.ChunkedArray | np.ndarray], start: int, length: int) -> np.ndarray:
    """Rows [start, start + length) of every column, one contiguous row per column."""
    block = np.empty((len(sources), length), dtype=np.float64)
    for j, source in enumerate(sources):
        if isinstance(source, np.ndarray):
            block[j] = source[start : start + length]
        else:
            block[j] = float_values(source.slice(start, length))
    return block


def _prepare(column: pa.ChunkedArray, sample_rows: int) -> tuple[float, bool]:
    """A centre for the column (median of its first rows) and whether it has gaps.

    Any centre gives exact results (the pairwise formulas correct for it); one near the data
    keeps the sums well conditioned, and the median makes a constant column centre exactly.
    """
    values = column.cast(pa.float64()) if column.type != pa.float64() else column
    head = float_values(values.slice(0, sample_rows))
    head = head[np.isfinite(head)]
    centre = float(np.median(head)) if len(head) else 0.0
    gaps = values.null_count > 0 or not pc.all(pc.is_finite(values)).as_py()
    return centre, bool(gaps)


def pearson_matrix(
    table: pa.Table,
    names: Sequence[str],
    *,
    block_rows: int = 65_536,
) -> list[list[float | None]]:
    """Correlation of every pair of ``names`` (None where a column does not vary)."""
    k = len(names)
    prepared = [_prepare(table.column(name), block_rows) for name in names]
    center = np.array([centre for centre, _ in prepared])
    partial = np.flatnonzero([gaps for _, gaps in prepared])
    m = len(partial)
    products = np.zeros((k, k))
    # Pairwise sums against the incomplete columns only; complete columns are present in
    # every row, so their pairwise sums are plain column sums.
    col_sums = np.zeros(k)
    col_squares = np.zeros(k)
    sums = np.zeros((k, m))  # sums[i, b]: sum of x_i over rows where partial column b is present
    squares = np.zeros((k, m))
    pairs = np.zeros((m, m))
    counts = np.zeros(m)
    sources = [_column_source(table.column(name)) for name in names]
    for start in range(0, table.num_rows, block_rows):
        length = min(block_rows, table.num_rows - start)
        block = _block(sources, start, length)
        block -= center[:, None]
        if m:
            sub = block[partial]
            present = np.isfinite(sub)
            sub[~present] = 0.0
            block[partial] = sub
            weights = present.astype(np.float64)
            pairs += weights @ weights.T
            counts += weights.sum(axis=1)
            sums += block @ weights.T
            squares += (block * block) @ weights.T
        products += block @ block.T
        col_sums += block.sum(axis=1)
        col_squares += np.einsum("ij,ij->i", block, block)
    n = float(table.num_rows)
    # Expand the pairwise statistics to k x k: pair_n[i, j] rows where both are present,
    # pair_sum[i, j] sum of x_i on those rows, pair_square[i, j] sum of x_i squared on them.
    pair_n = np.full((k, k), n)
    pair_sum = np.repeat(col_sums[:, None], k, axis=1)
    pair_square = np.repeat(col_squares[:, None], k, axis=1)
    if m:
        pair_sum[:, partial] = sums
        pair_square[:, partial] = squares
        pair_n[:, partial] = counts[None, :]
        pair_n[partial, :] = counts[:, None]
        pair_n[np.ix_(partial, partial)] = pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = products - pair_sum * pair_sum.T / pair_n
        variance = pair_square - pair_sum * pair_sum / pair_n
        denominator = np.sqrt(variance * variance.T)
        matrix = covariance / denominator
    matrix[~(denominator > 0)] = np.nan
    np.clip(matrix, -1.0, 1.0, out=matrix)
    np.fill_diagonal(matrix, np.where(np.isnan(np.diag(matrix)), np.nan, 1.0))
    return [[json_number(value) for value in row] for row in matrix]
