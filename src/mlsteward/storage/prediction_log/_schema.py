"""The prediction log's columns, and records to and from Arrow tables.

Inputs and outputs are JSON text columns (``{"column": [value, ...]}``; a record's values
may be lists or numpy arrays, whose text is their ``tolist()``'s): requests of any shape share
one file, and a model whose signature changes never breaks a partition. The
other columns are typed, so a time range, a route or a version is filtered without parsing
JSON. :func:`rows_frame` expands the JSON into one row per request row when a typed table is
wanted (monitoring).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.storage.prediction_log._json_text import columns_texts, to_json

if TYPE_CHECKING:
    import pandas as pd

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
        pa.field("inputs", pa.string(), nullable=False),
        pa.field("outputs", pa.string(), nullable=False),
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


def predictions_table(records: Sequence[PredictionRecord]) -> pa.Table:
    """The records as a table, sorted by prediction ID (so row groups have tight ranges)."""
    ordered = sorted(records, key=lambda record: record.prediction_id)
    columns = [
        [r.prediction_id for r in ordered],
        [r.deployment for r in ordered],
        [r.model_name for r in ordered],
        [int(r.model_version) for r in ordered],
        [r.route for r in ordered],
        [int(r.time_ms) for r in ordered],
        [float(r.latency_ms) for r in ordered],
        [int(r.rows) for r in ordered],
        [int(r.status) for r in ordered],
        [r.error for r in ordered],
        columns_texts([r.inputs for r in ordered]),
        columns_texts([r.outputs for r in ordered]),
    ]
    pairs = zip(columns, PREDICTION_SCHEMA, strict=True)
    arrays = [pa.array(values, type=field.type) for values, field in pairs]
    return pa.Table.from_arrays(arrays, schema=PREDICTION_SCHEMA)


def record_of(row: dict[str, Any]) -> PredictionRecord:
    """A record from one row of a predictions table (as ``Table.to_pylist`` gives it)."""
    return PredictionRecord(
        prediction_id=row["prediction_id"],
        deployment=row["deployment"],
        model_name=row["model_name"],
        model_version=int(row["model_version"]),
        route=row["route"],
        time_ms=int(row["time_ms"]),
        latency_ms=float(row["latency_ms"]),
        rows=int(row["rows"]),
        inputs=json.loads(row["inputs"]),
        outputs=json.loads(row["outputs"]),
        status=int(row["status"]),
        error=row["error"],
    )


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
    column per name found in the JSON ``column`` (``inputs``, ``outputs`` or ``labels``).

    A request whose columns differ from the others leaves the ones it lacks empty (NaN).
    """
    import pandas as pd

    ids = table.column("prediction_id").to_pylist()
    texts = table.column(column).to_pylist()
    frames = []
    for prediction_id, text in zip(ids, texts, strict=True):
        data = json.loads(text)
        if isinstance(data, list):  # labels: a list of values, one per row
            data = {"label": data}
        frame = pd.DataFrame({name: pd.Series(values) for name, values in data.items()})
        frame.insert(0, "row", range(len(frame)))
        frame.insert(0, "prediction_id", prediction_id)
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"prediction_id": [], "row": []})
    return pd.concat(frames, ignore_index=True)
