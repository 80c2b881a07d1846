"""The model's input from a chunk of rows, and which rows cannot be part of it.

In-process ``predict`` refuses a whole frame when one column does not fit the signature;
a batch job of millions of rows must instead say which rows do not fit, and where, so they
can be skipped or fixed. :class:`FeaturePlan` checks each feature column of an Arrow chunk
against the model's signature and gives, per row, whether it fits and why not:

* a column the signature names is missing: every row of that chunk;
* a column whose type can never feed the signature's (``float64`` for ``int64``, numbers
  for text): every row, as in-process ``predict`` refuses it;
* text where a number is expected (a CSV): the rows whose text is not a number;
* a missing value where an integer or boolean is expected: that row (a float takes NaN,
  as pandas reads it).

Messages name the column and the reason, never the value (a server does not repeat what
it read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.batch_scoring.errors import BatchInputError
from mlsteward.engines.models.input_plan import cast_verdict
from mlsteward.engines.models.signature import Signature, dtype_name

_TEXT_TARGETS = ("string", "object", "category", "binary")


@dataclass(frozen=True)
class Feature:
    """One column the model reads, and the dtype its signature gives it."""

    name: str
    dtype: str

    @property
    def numeric(self) -> np.dtype | None:
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            return None
        return dtype if dtype.kind in "biuf" else None


@dataclass
class Conformed:
    """A chunk made ready for the model: its input for the rows that fit, which rows fit,
    and why each other row does not (``(row in chunk, reason)``)."""

    model_input: Any
    valid: np.ndarray
    rejected: list[tuple[int, str]]


class FeaturePlan:
    """How rows feed one model: named columns (a columns signature) or every input column
    stacked into one 2-D tensor (a single-tensor signature, in the input's column order)."""

    def __init__(self, features: list[Feature] | None, tensor_dtype: str | None = None) -> None:
        self.features = features
        self.tensor_dtype = tensor_dtype

    @classmethod
    def from_signature(cls, signature: Signature) -> FeaturePlan:
        inputs = signature.inputs
        if inputs.kind == "columns":
            return cls([Feature(c.name, c.dtype) for c in inputs.columns])
        if len(inputs.tensors) == 1 and len(inputs.tensors[0].shape) == 2:
            return cls(None, inputs.tensors[0].dtype)
        raise BatchInputError(
            "Batch scoring reads tables: it takes models whose signature is columns or one "
            f"2-D tensor, not {inputs.to_dict()['tensors']}"
        )

    def feature_names(self, columns: list[str]) -> list[str]:
        """The names of the columns the model reads from a table with ``columns``."""
        if self.features is not None:
            return [f.name for f in self.features]
        return list(columns)

    def text_columns(self) -> list[str]:
        """Columns a text reader should keep as text, to check them row by row here."""
        if self.features is None:
            return []
        return [f.name for f in self.features if f.numeric is not None]

    def conform(self, table: pa.Table) -> Conformed:
        """The model's input for the rows of ``table`` that fit, and the rejected rows."""
        rows = table.num_rows
        features = self.features or [
            Feature(name, self.tensor_dtype or "float64") for name in table.column_names
        ]
        valid = np.ones(rows, dtype=bool)
        reasons: dict[int, str] = {}
        arrays: dict[str, np.ndarray] = {}
        for feature in features:
            if feature.name not in table.column_names:
                _reject(
                    valid,
                    reasons,
                    np.ones(rows, dtype=bool),
                    f"missing column {feature.name!r}, required by the model's signature",
                )
                continue
            values, problems = _column(table.column(feature.name), feature)
            for bad, reason in problems:
                if bad.any():
                    _reject(valid, reasons, bad, reason)
            arrays[feature.name] = values
        rejected = sorted(reasons.items())
        if not valid.any():
            return Conformed(None, valid, rejected)
        kept = {
            name: values[valid] if not valid.all() else values for name, values in arrays.items()
        }
        if self.features is None:
            matrix = (
                np.column_stack([np.asarray(v) for v in kept.values()])
                if kept
                else np.empty((int(valid.sum()), 0))
            )
            return Conformed(
                matrix.astype(self.tensor_dtype or matrix.dtype, copy=False), valid, rejected
            )
        return Conformed(_frame(kept, features), valid, rejected)


def _reject(valid: np.ndarray, reasons: dict[int, str], bad: np.ndarray, reason: str) -> None:
    for row in np.flatnonzero(bad & valid):
        reasons[int(row)] = reason
    valid &= ~bad


def _frame(columns: dict[str, np.ndarray], features: list[Feature]) -> pd.DataFrame:
    """The model's frame; one block when every column has one numeric dtype (the model's
    fast path then takes it without another copy)."""
    dtypes = {values.dtype for values in columns.values()}
    if len(dtypes) == 1 and len(columns) == len(features) and dtypes.pop().kind in "biuf":
        return pd.DataFrame(np.column_stack(list(columns.values())), columns=list(columns))
    return pd.DataFrame(columns)


Problems = list[tuple[np.ndarray, str]]


def _column(column: pa.ChunkedArray, feature: Feature) -> tuple[Any, Problems]:
    """The column's values for the model, and the rows that do not fit with why."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    everything = np.ones(len(array), dtype=bool)
    target = feature.numeric
    if target is not None:
        return _numeric(array, feature, target)
    if feature.dtype in _TEXT_TARGETS:
        kind = array.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return _objects(array), []
        if pa.types.is_dictionary(kind):
            return _objects(array), []
        return None, [(everything, _unsafe(feature, kind))]
    # another dtype (dates and times): numpy converts it, the model's own plan checks it
    return array.to_numpy(zero_copy_only=False), []


def _objects(array: pa.Array) -> np.ndarray:
    """Text values as an object array (dictionary-encoded text decoded first)."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array.to_numpy(zero_copy_only=False)


def _numeric(array: pa.Array, feature: Feature, target: np.dtype) -> tuple[Any, Problems]:
    kind = array.type
    problems: Problems = []
    if array.null_count and target.kind in "biu":  # a float takes NaN, as pandas reads it
        missing = array.is_null().to_numpy(zero_copy_only=False)
        problems.append(
            (missing, f"column {feature.name!r}: missing value ({feature.dtype} expected)")
        )
        array = pc.fill_null(array, pa.scalar("0" if _is_text(kind) else 0, kind))
    if _is_text(kind):
        values, bad = _parsed(array, target)
        problems.append((bad, f"column {feature.name!r}: not a number ({feature.dtype} expected)"))
        return values, problems
    everything = np.ones(len(array), dtype=bool)
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
    if not numeric:
        return None, [(everything, _unsafe(feature, kind))]
    source = dtype_name(np.dtype(kind.to_pandas_dtype()))
    if cast_verdict(source, feature.dtype) == "unsafe":
        return None, [(everything, _unsafe(feature, kind))]
    values = array.to_numpy(zero_copy_only=False)
    return values.astype(target, copy=False), problems


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _parsed(array: pa.Array, target: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text (a CSV column) and the rows whose text is not a number (a null is
    NaN here: integer columns have rejected their nulls before)."""
    arrow_target = pa.from_numpy_dtype(target)
    try:
        parsed = pc.cast(array, arrow_target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = None
    if parsed is not None:
        values = parsed.to_numpy(zero_copy_only=False).astype(target, copy=False)
        return values, np.zeros(len(array), dtype=bool)
    convert = int if target.kind in "iu" else (_boolean if target.kind == "b" else float)
    values = np.zeros(len(array), dtype=target)
    bad = np.zeros(len(array), dtype=bool)
    for row, text in enumerate(array.to_pylist()):
        if text is None:
            values[row] = np.nan
            continue
        try:
            values[row] = convert(text.strip())
        except (ValueError, OverflowError):
            bad[row] = True
    return values, bad


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(text)


def _unsafe(feature: Feature, kind: pa.DataType) -> str:
    return (
        f"column {feature.name!r} has type {kind}; the model's signature expects "
        f"{feature.dtype}, which it cannot be converted to without loss"
    )
