"""Files as the prediction log wrote them before the tensor columns: inputs and outputs as
JSON text only, twelve columns, no ``shadow_of``. Kept to test that old and new files read
alike (logs outlive upgrades)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.domain.prediction_ids import prediction_id_time
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import _layout
from mlsteward.storage.prediction_log._json_text import columns_texts

OLD_SCHEMA = pa.schema(
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


def old_table(records: Sequence[PredictionRecord]) -> pa.Table:
    """The records as the old writer's table (sorted by ID, values as JSON text)."""
    ordered = sorted(records, key=lambda record: record.prediction_id)
    columns = [
        [r.prediction_id for r in ordered],
        [r.deployment for r in ordered],
        [r.model_name for r in ordered],
        [r.model_version for r in ordered],
        [r.route for r in ordered],
        [r.time_ms for r in ordered],
        [r.latency_ms for r in ordered],
        [r.rows for r in ordered],
        [r.status for r in ordered],
        [r.error for r in ordered],
        columns_texts([r.inputs for r in ordered]),
        columns_texts([r.outputs for r in ordered]),
    ]
    arrays = [pa.array(c, type=f.type) for c, f in zip(columns, OLD_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=OLD_SCHEMA)


def write_part(root: Path, table: pa.Table) -> Path:
    """Publish ``table`` (one deployment, one hour) as a part file the reader finds."""
    ids = table.column("prediction_id").to_pylist()
    date, hour = _layout.partition_of(prediction_id_time(ids[0]))
    deployment = table.column("deployment")[0].as_py()
    folder = Path(_layout.hour_folder(str(root), deployment, date, hour))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _layout.part_name(ids[0], ids[-1])
    pq.write_table(table, path, compression="zstd", row_group_size=1_024)
    return path
