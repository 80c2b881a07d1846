"""Many one-row predictions as one predictions table, built from whole columns.

A batch job (or a stream's micro-batch) logs each scored row as a record of its own, so a
label sent later for that row's prediction ID joins it. Building a
:class:`~mlsteward.domain.predictions.PredictionRecord` per row costs microseconds of Python
each, which caps a job near the log's speed rather than the model's. Here the table is made
from the chunk's arrays in a handful of Arrow calls: each column's rows are sliced out of its
one buffer without a copy, and the per-record tensor lists are interleaved by ``take``. The
result is the table :func:`predictions_table` makes for the same records, row for row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.storage.prediction_log._schema import PREDICTION_SCHEMA
from mlsteward.storage.prediction_log._tensors import DTYPES, TENSOR_TYPE

_DATATYPE_OF = {dtype: name for name, dtype in DTYPES.items()}
#: Offsets of Arrow's ``binary`` are 32-bit: one column's bytes must stay below this.
_MAX_COLUMN_BYTES = 2**31 - 1


def fits_row_table(columns: Mapping[str, np.ndarray]) -> bool:
    """Whether :func:`row_records_table` takes ``columns``: numeric or bool numpy arrays of
    one length, at least one dimension, under 2 GiB together (else log records one by one)."""
    lengths = set()
    for name, values in columns.items():
        if not (
            isinstance(name, str)
            and isinstance(values, np.ndarray)
            and values.ndim >= 1
            and values.dtype.kind in "fiub"
            and values.dtype.newbyteorder("<") in _DATATYPE_OF
            and (values.ndim == 1 or int(np.prod(values.shape[1:])) > 0)
        ):
            return False
        lengths.add(len(values))
    total = sum(values.nbytes for values in columns.values())
    return len(lengths) <= 1 and total < _MAX_COLUMN_BYTES


def row_records_table(
    prediction_ids: Sequence[str] | pa.Array,
    *,
    deployment: str,
    model_name: str,
    model_version: int,
    route: str,
    time_ms: int,
    latency_ms: float,
    inputs: Mapping[str, np.ndarray],
    outputs: Mapping[str, np.ndarray],
) -> pa.Table:
    """One record per row: row ``i`` of every input and output array, as a tensor of shape
    ``(1, *rest)``, under ``prediction_ids[i]``; sorted by prediction ID like every file.

    Raises ``ValueError`` when a column does not fit (see :func:`fits_row_table`) or its
    length differs from the IDs'.
    """
    ids = prediction_ids if isinstance(prediction_ids, pa.Array) else pa.array(prediction_ids)
    count = len(ids)
    for columns in (inputs, outputs):
        if not fits_row_table(columns) or any(len(v) != count for v in columns.values()):
            raise ValueError("every input and output must be a numeric array of one row per ID")

    def repeated(value: object, kind: pa.DataType) -> pa.Array:
        return pa.repeat(pa.scalar(value, kind), count)

    arrays = [
        ids.cast(pa.string()),
        repeated(deployment, pa.string()),
        repeated(model_name, pa.string()),
        repeated(int(model_version), pa.int64()),
        repeated(route, pa.string()),
        repeated(int(time_ms), pa.int64()),
        repeated(float(latency_ms), pa.float64()),
        repeated(1, pa.int64()),
        repeated(200, pa.int32()),
        pa.nulls(count, pa.string()),
        pa.nulls(count, pa.string()),
        pa.nulls(count, pa.string()),
        _row_tensors(inputs, count),
        _row_tensors(outputs, count),
        pa.nulls(count, pa.string()),
    ]
    table = pa.Table.from_arrays(arrays, schema=PREDICTION_SCHEMA)
    if count > 1 and not pc.all(pc.less(ids[:-1], ids[1:])).as_py():
        table = table.sort_by("prediction_id")
    return table


def _row_tensors(columns: Mapping[str, np.ndarray], count: int) -> pa.Array:
    """Per row, the list of its tensors (one per column, in the columns' order)."""
    width = len(columns)
    names: list[str] = []
    datatypes: list[str] = []
    shapes: list[list[int]] = []
    datas: list[pa.Array] = []
    for name, values in columns.items():
        array = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
        row_bytes = array.itemsize * int(np.prod(array.shape[1:], dtype=np.int64))
        offsets = np.arange(0, (count + 1) * row_bytes, row_bytes, dtype=np.int32)[: count + 1]
        datas.append(
            pa.Array.from_buffers(
                pa.binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(array)]
            )
        )
        names.append(name)
        datatypes.append(_DATATYPE_OF[array.dtype])
        shapes.append([1, *array.shape[1:]])
    if width == 0:
        empty = pa.array([], TENSOR_TYPE.value_type)
        return pa.ListArray.from_arrays(pa.array(np.zeros(count + 1, np.int32)), empty)
    # Element (row i, column c) sits at c * count + i in the columns' concatenation.
    order = (np.arange(count)[:, None] + np.arange(width)[None, :] * count).ravel()
    which = np.tile(np.arange(width), count)
    lengths = np.array([len(shape) for shape in shapes], dtype=np.int32)
    shape_offsets = np.concatenate([[0], np.cumsum(np.tile(lengths, count))]).astype(np.int32)
    shape_values = np.tile(np.concatenate([np.asarray(s, np.int64) for s in shapes]), count)
    elements = pa.StructArray.from_arrays(
        [
            pa.array(names, pa.string()).take(which),
            pa.array(datatypes, pa.string()).take(which),
            pa.ListArray.from_arrays(pa.array(shape_offsets), pa.array(shape_values)),
            pa.concat_arrays(datas).take(order),
        ],
        fields=list(TENSOR_TYPE.value_type),
    )
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)[: count + 1]
    return pa.ListArray.from_arrays(pa.array(offsets), elements, type=TENSOR_TYPE)
