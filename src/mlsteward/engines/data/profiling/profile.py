"""Profile a whole table: one JSON-able dict with every column's statistics and correlations.

Columns are profiled independently, two at a time by default (NumPy's sort and Arrow's
kernels release the GIL, so threads use both cores); then the Pearson matrix of the numeric
columns is accumulated block by block. Every statistic is exact. Memory beyond the table is
a few copies of one column plus one row block, so peak memory stays well under twice the
table's size.

The output layout (``format`` names its version)::

    {"format": "mlsteward-profile/1", "rows": ..., "columns": ..., "memory_bytes": ...,
     "missing_cells": ..., "settings": {...},
     "variables": [{"name", "type", "kind", "count", "missing", "missing_fraction",
                    "distinct", "distinct_fraction", ...kind-specific fields}],
     "correlation": {"method": "pearson", "columns": [...], "matrix": [[...]]} | None}

Kinds: ``numeric`` (mean, std, min, quantiles, max, histogram, zeros, negative, infinite),
``categorical`` (top-k frequencies, text lengths), ``boolean``, ``temporal`` (as numeric, in
ISO-8601), ``other`` (counts only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
from threadpoolctl import threadpool_limits

from mlsteward.engines.data.errors import DataError
from mlsteward.engines.data.profiling.categorical_profile import (
    profile_boolean,
    profile_categorical,
    profile_other,
)
from mlsteward.engines.data.profiling.correlation import pearson_matrix
from mlsteward.engines.data.profiling.numeric_profile import profile_numeric, profile_temporal

PROFILE_FORMAT = "mlsteward-profile/1"
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def column_kind(data_type: pa.DataType) -> str:
    """How a column of this Arrow type is profiled: numeric, categorical, boolean, ..."""
    t = data_type.value_type if pa.types.is_dictionary(data_type) else data_type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_temporal(t):
        return "temporal"
    if (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    ):
        return "categorical"
    return "other"


def _profile_column(
    name: str, column: pa.ChunkedArray, *, top_k: int, bins: int, quantiles: Sequence[float]
) -> dict[str, Any]:
    kind = column_kind(column.type)
    if kind == "numeric":
        stats = profile_numeric(column, quantiles=quantiles, bins=bins)
    elif kind == "temporal":
        stats = profile_temporal(column, quantiles=quantiles, bins=bins)
    elif kind == "categorical":
        if pa.types.is_string_view(column.type):
            column = column.cast(pa.large_string())
        stats = profile_categorical(column, top_k=top_k)
    elif kind == "boolean":
        stats = profile_boolean(column)
    else:
        stats = profile_other(column)
    rows = len(column)
    result: dict[str, Any] = {"name": name, "type": str(column.type), "kind": kind, **stats}
    result["missing_fraction"] = stats["missing"] / rows if rows else 0.0
    if "distinct" in stats:
        result["distinct_fraction"] = stats["distinct"] / stats["count"] if stats["count"] else 0.0
    return result


def profile_table(
    table: pa.Table,
    *,
    top_k: int = 10,
    bins: int = 20,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    correlation: bool = True,
    threads: int = 2,
    on_column: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Profile every column of ``table`` (and correlate its numeric ones).

    ``on_column`` is called with each column's name when it is done, for progress display.
    """
    if len(set(table.column_names)) != table.num_columns:
        raise DataError(f"duplicate column names cannot be profiled: {table.column_names}")

    def work(index: int) -> dict[str, Any]:
        name = table.column_names[index]
        result = _profile_column(
            name, table.column(index), top_k=top_k, bins=bins, quantiles=quantiles
        )
        if on_column is not None:
            on_column(name)
        return result

    numeric = [
        name
        for name in table.column_names
        if column_kind(table.schema.field(name).type) == "numeric"
    ]
    want_correlation = correlation and len(numeric) >= 2
    # BLAS's own threads would fight ours for two cores (and spin under load): keep it to one
    # and run the correlation as one more task beside the per-column work.
    with threadpool_limits(limits=1, user_api="blas"):
        if threads > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                matrix_future = (
                    pool.submit(pearson_matrix, table, numeric) if want_correlation else None
                )
                variables = list(pool.map(work, range(table.num_columns)))
                matrix = matrix_future.result() if matrix_future is not None else None
        else:
            variables = [work(i) for i in range(table.num_columns)]
            matrix = pearson_matrix(table, numeric) if want_correlation else None

    return {
        "format": PROFILE_FORMAT,
        "rows": table.num_rows,
        "columns": table.num_columns,
        "memory_bytes": table.nbytes,
        "missing_cells": sum(v["missing"] for v in variables),
        "settings": {"top_k": top_k, "bins": bins, "quantiles": list(quantiles)},
        "variables": variables,
        "correlation": (
            {"method": "pearson", "columns": numeric, "matrix": matrix}
            if matrix is not None
            else None
        ),
    }
