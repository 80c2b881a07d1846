"""MLflow's scoring formats on ``/invocations``, so MLflow clients switch without code changes.

JSON bodies carry exactly one of ``dataframe_split`` (``columns`` + ``data`` rows),
``dataframe_records`` (one object per row), ``instances`` (rows, or one object per row) or
``inputs`` (rows, or an object of columns), optionally with ``params``; ``text/csv`` bodies
have a header row. Answers are ``{"predictions": [...]}``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.serving.input_layout import Batch, InputLayout, as_columns

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_TRUE = frozenset({"true", "True", "TRUE", "1"})
_FALSE = frozenset({"false", "False", "FALSE", "0"})


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message)


def decode_json(body: Any, layout: InputLayout) -> Batch:
    """A parsed JSON scoring request as the model's input rows."""
    if not isinstance(body, dict):
        raise _bad(f"the request body must be a JSON object with one of {list(FORMATS)}")
    found = [key for key in FORMATS if key in body]
    unknown = [key for key in body if key not in FORMATS and key != "params"]
    if len(found) != 1 or unknown:
        raise _bad(
            f"the request body must have exactly one of {list(FORMATS)} (and optionally "
            f"'params'); got keys {sorted(body)}"
        )
    key = found[0]
    value = body[key]
    if key == "dataframe_split":
        return _split(value, layout)
    if key == "dataframe_records":
        if not isinstance(value, list):
            raise _bad("'dataframe_records' must be a list of objects, one per row")
        return _columns(as_columns(value, layout.names), layout)
    if isinstance(value, Mapping):
        if key == "instances":
            raise _bad("'instances' must be a list (rows, or one object per row)")
        return _columns(dict(value), layout)
    if not isinstance(value, list):
        raise _bad(f"'{key}' must be a list of rows or an object of columns")
    if value and isinstance(value[0], Mapping):
        return _columns(as_columns(value, layout.names), layout)
    return _rows(value, layout, key)


def _split(value: Any, layout: InputLayout) -> Batch:
    if not isinstance(value, Mapping) or "data" not in value:
        raise _bad("'dataframe_split' must be an object with 'columns' and 'data'")
    data = value["data"]
    columns = value.get("columns")
    if not isinstance(data, list):
        raise _bad("'dataframe_split.data' must be a list of rows")
    if columns is None:
        return _rows(data, layout, "dataframe_split")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _bad("'dataframe_split.columns' must be a list of column names")
    if len(set(columns)) != len(columns):
        raise _bad("'dataframe_split.columns' names a column twice")
    width = len(columns)
    out: dict[str, list[Any]] = {c: [] for c in columns}
    for index, row in enumerate(data):
        if not isinstance(row, list) or len(row) != width:
            raise _bad(f"dataframe_split row {index} must be a list of {width} values")
        for name, item in zip(columns, row, strict=True):
            out[name].append(item)
    if layout.kind != "columns" and not set(columns) & set(layout.slots):
        return _rows(data, layout, "dataframe_split")
    return _columns(out, layout)


def _columns(columns: Mapping[str, Any], layout: InputLayout) -> Batch:
    """Named columns (or named tensors) matched to the model's inputs; for a model of one
    tensor, several columns are its features in the order given (as a DataFrame would be)."""
    if layout.kind == "tensor" and len(columns) > 1 and not set(columns) & set(layout.slots):
        slot = layout.slots[layout.names[0]]
        try:
            matrix = np.column_stack([np.asarray(v) for v in columns.values()])
        except ValueError as error:
            raise _bad(f"the columns do not form a table ({error})") from None
        return {slot.name: layout.values(slot, matrix)}
    layout.check_names(list(columns))
    batch: Batch = {}
    for name, values in columns.items():
        slot = layout.slot_named(name)
        batch[slot.name] = layout.values(slot, values)
    layout.rows(batch)
    return batch


def _rows(rows: list[Any], layout: InputLayout, key: str) -> Batch:
    """Unnamed rows: one tensor, or values in the signature's column order."""
    if layout.kind == "tensors":
        raise _bad(f"this model takes several named inputs {layout.names}: name them in '{key}'")
    if layout.kind == "tensor":
        slot = layout.slots[layout.names[0]]
        return {slot.name: layout.values(slot, rows)}
    if not rows:
        return {slot.name: layout.values(slot, []) for slot in layout.slots.values()}
    width = len(layout.names)
    matrix = np.asarray(rows, dtype=object)
    if matrix.ndim == 1 and width == 1:
        matrix = matrix.reshape(-1, 1)
    if matrix.ndim != 2 or matrix.shape[1] != width:
        raise _bad(
            f"'{key}' rows must each have {width} values, for the model's columns {layout.names}"
        )
    return {
        slot.name: layout.values(slot, matrix[:, index].tolist())
        for index, slot in enumerate(layout.slots.values())
    }


def decode_csv(text: str, layout: InputLayout) -> Batch:
    """A CSV body with a header row; values are read by each column's signature dtype."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise _bad("the CSV body is empty: it needs a header row") from None
    except csv.Error as error:
        raise _bad(f"the CSV body is malformed: {error}") from None
    if len(set(header)) != len(header):
        raise _bad("the CSV header names a column twice")
    columns: dict[str, list[str]] = {name: [] for name in header}
    try:
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise _bad(f"CSV line {line} has {len(row)} values; the header has {len(header)}")
            for name, item in zip(header, row, strict=True):
                columns[name].append(item)
    except csv.Error as error:
        raise _bad(f"the CSV body is malformed: {error}") from None
    if layout.kind == "tensor" and not set(header) & set(layout.slots):
        slot = layout.slots[layout.names[0]]
        matrix = [_parse(slot.dtype, columns[name], name) for name in header]
        return {slot.name: layout.values(slot, np.stack(matrix, axis=1) if matrix else [])}
    layout.check_names(header)
    batch: Batch = {}
    for name, texts in columns.items():
        slot = layout.slot_named(name)
        batch[slot.name] = layout.values(slot, _parse(slot.dtype, texts, name))
    layout.rows(batch)
    return batch


def _parse(dtype: np.dtype, texts: Sequence[str], name: str) -> np.ndarray:
    """CSV text as values of ``dtype`` (empty cells are NaN in float columns)."""
    try:
        if dtype.kind == "f":
            return np.array([float(t) if t != "" else np.nan for t in texts], dtype=dtype)
        if dtype.kind in "iu":
            return np.array([int(t) for t in texts], dtype=np.int64)
        if dtype.kind == "b":
            return np.array([_boolean(t) for t in texts], dtype=bool)
    except (ValueError, OverflowError):
        raise _bad(f"CSV column {name!r} holds a value that is not a {dtype.name}") from None
    return np.array(texts, dtype=object)


def _boolean(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


def encode_predictions(outputs: Mapping[str, np.ndarray], prediction_id: str) -> dict[str, Any]:
    """``{"predictions": ...}``: the one output as a list, several as an object of lists."""
    if len(outputs) == 1:
        predictions: Any = next(iter(outputs.values())).tolist()
    else:
        predictions = {name: array.tolist() for name, array in outputs.items()}
    return {"predictions": predictions, "prediction_id": prediction_id}
