"""Values a row-check expression works with: one NumPy array per column, plus what is missing.

A table's Arrow columns become :class:`Values` here, each of one *kind* (number, text,
true/false, timestamp, ...). Integers are signed 64-bit (``uint64`` columns holding larger
values become floats), floats are 64-bit with NaN counted as missing, timestamps are
microseconds. The evaluator in
:mod:`~mlsteward.engines.data.validation.row_expression_evaluator` only sees these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Kinds of values an expression works with. ``null``: a column with no values at all (its
#: type is unknown); ``other``: lists, structs, binary... (only ``isnull``/``notnull``).
KINDS = ("integer", "float", "boolean", "string", "datetime", "datetime_tz", "null", "other")
NUMBERS = ("integer", "float")
DATETIMES = ("datetime", "datetime_tz")
#: How messages name each kind.
DESCRIPTIONS = {
    "integer": "a number",
    "float": "a number",
    "boolean": "true/false",
    "string": "text",
    "datetime": "a timestamp without time zone",
    "datetime_tz": "a timestamp with a time zone",
    "null": "a column without values",
    "other": "a value of a type expressions do not handle (only isnull/notnull take it)",
}
#: The NumPy dtype of each kind's data.
DTYPES: dict[str, Any] = {
    "integer": np.int64,
    "float": np.float64,
    "boolean": np.bool_,
    "string": object,
    "datetime": "datetime64[us]",
    "datetime_tz": "datetime64[us]",
    "null": np.float64,
    "other": object,
}


@dataclass(frozen=True)
class Values:
    """One value per row: ``data`` (meaningless where ``null``), ``null``, and their kind."""

    kind: str
    data: np.ndarray
    null: np.ndarray


def column_kind(data_type: pa.DataType) -> str:
    """The kind of values an Arrow column holds, as expressions see it."""
    t = data_type
    if pa.types.is_dictionary(t):
        return column_kind(t.value_type)
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_timestamp(t):
        return "datetime_tz" if t.tz else "datetime"
    if pa.types.is_date(t):
        return "datetime"
    if pa.types.is_null(t):
        return "null"
    return "other"


def column_values(column: pa.Array | pa.ChunkedArray) -> Values:
    """A column as NumPy data plus a missing-value mask (NaN counts as missing)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = column_kind(array.type)
    rows = len(array)
    null = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    data: np.ndarray
    if kind == "integer":
        if pa.types.is_uint64(array.type) and (pc.max(array).as_py() or 0) >= 2**63:
            floats = pc.cast(array, pa.float64(), safe=False)
            data = np.asarray(pc.fill_null(floats, 0).to_numpy(), np.float64)
            kind = "float"
        else:
            data = np.asarray(pc.fill_null(array.cast(pa.int64()), 0).to_numpy(), np.int64)
    elif kind == "float":
        floats = pc.cast(array, pa.float64(), safe=False)
        data = np.asarray(floats.to_numpy(zero_copy_only=False), np.float64)
        null = null | np.isnan(data)
    elif kind == "boolean":
        data = np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), bool)
    elif kind == "string":
        text = pc.fill_null(array.cast(pa.large_string()), "")
        data = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    elif kind in DATETIMES:
        tz = array.type.tz if pa.types.is_timestamp(array.type) else None
        micros = pc.cast(array, pa.timestamp("us", tz=tz), safe=False).cast(pa.int64())
        data = np.asarray(pc.fill_null(micros, 0).to_numpy(), np.int64).view("datetime64[us]")
    else:
        data = np.zeros(rows, dtype=DTYPES[kind])
        null = np.ones(rows, dtype=bool) if kind == "null" else null
    return Values(kind, data, null)


def empty_values(kind: str) -> Values:
    """No rows of ``kind``: what the type check walks the tree with."""
    return Values(kind, np.zeros(0, dtype=DTYPES[kind]), np.zeros(0, dtype=bool))


def all_missing(kind: str, rows: int) -> Values:
    """``rows`` rows of ``kind``, every one missing."""
    return Values(kind, np.zeros(rows, dtype=DTYPES[kind]), np.ones(rows, dtype=bool))
