"""Profiles of categorical (text), boolean and other columns.

Arrow's hash-based ``value_counts`` gives the exact distinct count and every frequency in one
pass; the top-k are the most frequent values, ties broken by first appearance so a profile is
deterministic for a given table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.arrow_numpy import bool_values, values_view
from mlsteward.engines.data.profiling.sorted_stats import json_number


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str | bool | int) or value is None:
        return value
    if isinstance(value, float):
        return json_number(value)
    return str(value)


def _frequencies(column: pa.ChunkedArray, top_k: int) -> tuple[int, list[dict[str, Any]]]:
    """Exact distinct count (missing excluded) and the ``top_k`` most frequent values."""
    counted = pc.value_counts(column)
    values = counted.field("values")
    counts = values_view(counted.field("counts"))
    if values.null_count:
        keep = values.is_valid()
        values = values.filter(keep)
        counts = counts[bool_values(keep)]
    order = np.argsort(-counts, kind="stable")[:top_k]
    top_values = values.take(pa.array(order, pa.int64())).to_pylist()
    total = len(column)
    top = [
        {"value": _json_value(v), "count": int(counts[i]), "fraction": float(counts[i]) / total}
        for v, i in zip(top_values, order, strict=True)
    ]
    return len(values), top


def profile_categorical(column: pa.ChunkedArray, *, top_k: int) -> dict[str, Any]:
    """Count, missing, distinct, top-k frequencies and text lengths of a text column."""
    if pa.types.is_dictionary(column.type):
        column = pa.chunked_array(
            [chunk.dictionary_decode() for chunk in column.chunks], type=column.type.value_type
        )
    missing = column.null_count
    distinct, top = _frequencies(column, top_k)
    profile: dict[str, Any] = {
        "count": len(column) - missing,
        "missing": missing,
        "distinct": distinct,
        "top": top,
    }
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        lengths = pc.utf8_length(column)
        bounds = pc.min_max(lengths)
        profile["length"] = {
            "min": json_number(bounds["min"].as_py()),
            "mean": json_number(pc.mean(lengths).as_py()),
            "max": json_number(bounds["max"].as_py()),
        }
        profile["empty"] = int(pc.sum(pc.equal(lengths, 0)).as_py() or 0)
    return profile


def profile_boolean(column: pa.ChunkedArray) -> dict[str, Any]:
    """Counts of true and false, and the share of true among present values."""
    missing = column.null_count
    present = len(column) - missing
    true = int(pc.sum(column).as_py() or 0)
    top = [
        {"value": value, "count": count, "fraction": count / len(column) if len(column) else 0.0}
        for value, count in sorted(((True, true), (False, present - true)), key=lambda x: -x[1])
        if count
    ]
    return {
        "count": present,
        "missing": missing,
        "distinct": len(top),
        "true": true,
        "false": present - true,
        "mean": true / present if present else None,
        "top": top,
    }


def profile_other(column: pa.ChunkedArray) -> dict[str, Any]:
    """Counts only, for nested and other columns without a meaningful distribution."""
    return {"count": len(column) - column.null_count, "missing": column.null_count}
