"""The prediction log's columns, and records to and from Arrow tables.

Inputs and outputs are lists of tensors (``input_tensors``, ``output_tensors``: name,
datatype, shape and the values' raw bytes, see :mod:`._tensors`): requests of any shape share
one file, a model whose signature changes never breaks a partition, and logging a request
costs a copy of its bytes rather than formatting each number as text. Files written before
kept them as JSON text (``inputs``, ``outputs``: ``{"column": [value, ...]}``), which new
files leave null; every reader here takes both. The other columns are typed, so a time range,
a route or a version is filtered without decoding values. :func:`rows_frame` expands the
values into one row per request row when a typed table is wanted (monitoring).
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.storage.prediction_log._json_text import to_json
from mlsteward.storage.prediction_log._tensors import (
    JSON_DATATYPE,
    TENSOR_TYPE,
    Tensor,
    as_plain,
    columns_of,
    decoded_lists,
    tensors_array,
)

if TYPE_CHECKING:
    import pandas as pd

#: The tensor column that holds the values of each JSON text column (files written before
#: the tensor columns existed have only the text).
TENSOR_COLUMNS = {"inputs": "input_tensors", "outputs": "output_tensors"}
PREDICTION_SCHEMA = pa.schema(
    [
        pa.field("prediction_id", pa.string(), nullable=False),
        pa.field("deployment", pa.string(), nullable=False),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("model_version", pa.int64(), nullable=False),
        pa.field("route", pa.string(), nullable=False),
        pa.field("time_ms", pa.int64(), nullable=False),
        pa.field("latency_ms", pa.float64(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("status", pa.int32(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("inputs", pa.string()),
        pa.field("outputs", pa.string()),
        pa.field("input_tensors", TENSOR_TYPE),
        pa.field("output_tensors", TENSOR_TYPE),
        pa.field("shadow_of", pa.string()),
    ]
)
FEEDBACK_SCHEMA = pa.schema(
    [
        pa.field("prediction_id", pa.string(), nullable=False),
        pa.field("deployment", pa.string(), nullable=False),
        pa.field("labels", pa.string(), nullable=False),
        pa.field("time_ms", pa.int64(), nullable=False),
        pa.field("received_by", pa.string(), nullable=False),
    ]
)
#: How Parquet compresses the log: zstd, but LZ4 for the tensors' bytes, which zstd shrinks
#: about 15% more at twice the cost (numbers' bytes compress less than text did).
COMPRESSION = "zstd"
TENSOR_DATA_COMPRESSION = "lz4"


def predictions_table(records: Sequence[PredictionRecord]) -> pa.Table:
    """The records as a table, sorted by prediction ID (so row groups have tight ranges)."""
    ordered = sorted(records, key=lambda record: record.prediction_id)
    count = len(ordered)
    nothing = pa.nulls(count, pa.string())
    arrays = [
        pa.array([r.prediction_id for r in ordered], pa.string()),
        pa.array([r.deployment for r in ordered], pa.string()),
        pa.array([r.model_name for r in ordered], pa.string()),
        pa.array([int(r.model_version) for r in ordered], pa.int64()),
        pa.array([r.route for r in ordered], pa.string()),
        pa.array([int(r.time_ms) for r in ordered], pa.int64()),
        pa.array([float(r.latency_ms) for r in ordered], pa.float64()),
        pa.array([int(r.rows) for r in ordered], pa.int64()),
        pa.array([int(r.status) for r in ordered], pa.int32()),
        pa.array([r.error for r in ordered], pa.string()),
        nothing,
        nothing,
        tensors_array([r.inputs for r in ordered]),
        tensors_array([r.outputs for r in ordered]),
        pa.array([r.shadow_of for r in ordered], pa.string()),
    ]
    return pa.Table.from_arrays(arrays, schema=PREDICTION_SCHEMA)


def parquet_options() -> dict[str, Any]:
    """Keyword arguments of ``pq.write_table`` for a predictions table (compression per
    column, see :data:`TENSOR_DATA_COMPRESSION`)."""
    return {"compression": dict(_compression_by_column())}


@functools.cache
def _compression_by_column() -> tuple[tuple[str, str], ...]:
    sink = io.BytesIO()
    pq.write_table(PREDICTION_SCHEMA.empty_table(), sink)
    sink.seek(0)
    data_paths = {f"{name}.list.element.data" for name in TENSOR_COLUMNS.values()}
    return tuple(
        (column.path, TENSOR_DATA_COMPRESSION if column.path in data_paths else COMPRESSION)
        for column in pq.ParquetFile(sink).schema
    )


def record_of(row: dict[str, Any]) -> PredictionRecord:
    """A record from one row of a predictions table (as ``Table.to_pylist`` gives it), of
    either layout: tensor columns, or the JSON text of files written before them."""
    return _record(row, _values_of(row, "inputs"), _values_of(row, "outputs"))


def records_of(table: pa.Table) -> list[PredictionRecord]:
    """The records of a predictions table (all its columns), as :func:`record_of` gives
    them, the values decoded column by column rather than row by row."""
    inputs = column_values(table, "inputs")
    outputs = column_values(table, "outputs")
    value_columns = [*TENSOR_COLUMNS, *TENSOR_COLUMNS.values()]
    columns = table.drop_columns([name for name in value_columns if name in table.column_names])
    plain = columns.to_pydict()  # column by column: far faster than row dicts
    return [
        _record({name: values[at] for name, values in plain.items()}, inputs[at], outputs[at])
        for at in range(table.num_rows)
    ]


def _record(
    row: dict[str, Any], inputs: dict[str, Any], outputs: dict[str, Any]
) -> PredictionRecord:
    return PredictionRecord(
        prediction_id=row["prediction_id"],
        deployment=row["deployment"],
        model_name=row["model_name"],
        model_version=int(row["model_version"]),
        route=row["route"],
        time_ms=int(row["time_ms"]),
        latency_ms=float(row["latency_ms"]),
        rows=int(row["rows"]),
        inputs=inputs,
        outputs=outputs,
        status=int(row["status"]),
        error=row["error"],
        shadow_of=row.get("shadow_of"),
    )


def _values_of(row: dict[str, Any], column: str) -> dict[str, Any]:
    tensors = row.get(TENSOR_COLUMNS[column])
    if tensors is not None:
        return columns_of(tensors)
    text = row.get(column)
    return json.loads(text) if text is not None else {}


def column_values(table: pa.Table, column: str) -> list[dict[str, Any]]:
    """Each row's ``{name: values}`` of ``inputs`` or ``outputs`` (as :func:`record_of`
    gives them), from the tensor column or the JSON text, whichever the row has."""
    count = table.num_rows
    texts = _column_list(table, column, count)
    tensor_column = TENSOR_COLUMNS[column]
    if tensor_column not in table.column_names:
        return [json.loads(text) if text is not None else {} for text in texts]
    values = []
    for tensors, text in zip(decoded_lists(table.column(tensor_column)), texts, strict=True):
        if tensors is not None:
            values.append({name: as_plain(value) for name, _, _, value in tensors})
        else:
            values.append(json.loads(text) if text is not None else {})
    return values


def feedback_table(items: Sequence[Feedback]) -> pa.Table:
    ordered = sorted(items, key=lambda item: item.prediction_id)
    return pa.Table.from_pydict(
        {
            "prediction_id": [f.prediction_id for f in ordered],
            "deployment": [f.deployment for f in ordered],
            "labels": [to_json(list(f.labels)) for f in ordered],
            "time_ms": [int(f.time_ms) for f in ordered],
            "received_by": [f.received_by for f in ordered],
        },
        schema=FEEDBACK_SCHEMA,
    )


def rows_frame(table: pa.Table, column: str = "inputs") -> pd.DataFrame:
    """One row per request row: ``prediction_id``, ``row`` (its index in the request) and a
    column per name found in ``column`` (``inputs``, ``outputs`` or the feedback's
    ``labels``); numbers as float64, int64 or bool, a tensor of two or more dimensions as one
    list per row.

    A request whose columns differ from the others leaves the ones it lacks empty (NaN).
    Consecutive requests of one shape (the usual log) are decoded from their bytes together,
    with no per-request frame; the frame is the one the JSON text of the same values gives.
    """
    import pandas as pd

    count = table.num_rows
    ids = table.column("prediction_id").to_pylist()
    texts = _column_list(table, column, count)
    tensor_column = TENSOR_COLUMNS.get(column)
    if tensor_column is not None and tensor_column in table.column_names:
        decoded = decoded_lists(table.column(tensor_column))
    else:
        decoded = [None] * count
    frames: list[pd.DataFrame] = []
    run: list[tuple[str, list[Tensor]]] = []
    run_key: tuple[Any, ...] | None = None
    for prediction_id, tensors, text in zip(ids, decoded, texts, strict=True):
        key = _run_key(tensors) if tensors is not None else None
        if run and key != run_key:
            frames.append(_run_frame(run))
            run = []
        if key is not None and tensors is not None:
            run.append((prediction_id, tensors))
            run_key = key
        elif tensors is not None:
            data = {name: as_plain(value) for name, _, _, value in tensors}
            frames.append(_request_frame(prediction_id, data))
        else:
            frames.append(_request_frame(prediction_id, json.loads(text) if text else {}))
    if run:
        frames.append(_run_frame(run))
    if not frames:
        return pd.DataFrame({"prediction_id": [], "row": []})
    return pd.concat(frames, ignore_index=True)


def _column_list(table: pa.Table, column: str, count: int) -> list[Any]:
    if column in table.column_names:
        return table.column(column).to_pylist()
    return [None] * count


def _request_frame(prediction_id: str, data: Any) -> pd.DataFrame:
    """One request's rows from its ``{name: values}`` (a list: labels, one per row)."""
    import pandas as pd

    if isinstance(data, list):  # labels: a list of values, one per row
        data = {"label": data}
    frame = pd.DataFrame({name: pd.Series(values) for name, values in data.items()})
    frame.insert(0, "row", range(len(frame)))
    frame.insert(0, "prediction_id", prediction_id)
    return frame


#: What each numeric kind reads as from JSON text (unsigned 64-bit ints may not fit int64:
#: those requests take the per-request path).
_FRAME_DTYPES = {"f": np.float64, "i": np.int64, "u": np.int64, "b": np.bool_}


def _run_key(tensors: list[Tensor]) -> tuple[Any, ...] | None:
    """What requests decoded together share (names, datatypes, shapes past the rows), or
    None when this one needs a frame of its own: no columns, JSON values, columns of
    different lengths, no rows, scalars, unsigned 64-bit values or a reserved name."""
    if not tensors:
        return None
    rows = tensors[0][2][0] if tensors[0][2] else 0
    key = []
    for name, datatype, shape, values in tensors:
        if (
            datatype in (JSON_DATATYPE, "UINT64")
            or not shape
            or shape[0] != rows
            or name in ("prediction_id", "row")
            or values.dtype.kind not in _FRAME_DTYPES
        ):
            return None
        key.append((name, datatype, shape[1:]))
    if rows == 0 or len({name for name, *_ in key}) != len(key):
        return None
    return tuple(key)


def _run_frame(run: list[tuple[str, list[Tensor]]]) -> pd.DataFrame:
    """The rows of requests alike (see :func:`_run_key`), their arrays joined per column."""
    import pandas as pd

    counts = np.fromiter((tensors[0][2][0] for _, tensors in run), np.int64, len(run))
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    columns: dict[str, Any] = {
        "prediction_id": np.repeat(np.array([pid for pid, _ in run], dtype=object), counts),
        "row": np.arange(total, dtype=np.int64) - starts,
    }
    for position, (name, _, shape, first) in enumerate(run[0][1]):
        joined = np.concatenate([tensors[position][3] for _, tensors in run])
        joined = joined.astype(_FRAME_DTYPES[first.dtype.kind], copy=False)
        columns[name] = joined if len(shape) == 1 else pd.Series(joined.tolist(), dtype=object)
    return pd.DataFrame(columns)
