"""Many one-row records built from whole columns: the same table the record path makes, the
same files, and malformed IDs refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlsteward.domain.prediction_ids import PredictionIdGenerator
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import (
    PredictionLogReader,
    PredictionLogWriter,
    rows_frame,
)
from mlsteward.storage.prediction_log._row_tables import fits_row_table, row_records_table
from mlsteward.storage.prediction_log._schema import predictions_table

from .records import T0


def _chunk(count: int, seed: int = 0) -> tuple[list[str], dict, dict]:
    rng = np.random.default_rng(seed)
    generator = PredictionIdGenerator()
    ids = [generator.new(T0) for _ in range(count)]
    inputs = {
        "input-0": rng.standard_normal((count, 5)).astype(np.float32),
        "age": rng.integers(0, 90, count),
        "member": rng.random(count) > 0.5,
    }
    outputs = {"label": rng.integers(0, 2, count), "proba": rng.random((count, 2))}
    return ids, inputs, outputs


def _table(ids: list[str], inputs: dict, outputs: dict):  # type: ignore[no-untyped-def]
    return row_records_table(
        ids,
        deployment="churn-batch",
        model_name="churn",
        model_version=3,
        route="stable",
        time_ms=T0,
        latency_ms=0.25,
        inputs=inputs,
        outputs=outputs,
    )


def _records(ids: list[str], inputs: dict, outputs: dict) -> list[PredictionRecord]:
    return [
        PredictionRecord(
            prediction_id=pid,
            deployment="churn-batch",
            model_name="churn",
            model_version=3,
            route="stable",
            time_ms=T0,
            latency_ms=0.25,
            rows=1,
            inputs={name: values[i : i + 1] for name, values in inputs.items()},
            outputs={name: values[i : i + 1] for name, values in outputs.items()},
        )
        for i, pid in enumerate(ids)
    ]


@pytest.mark.parametrize("count", [0, 1, 7, 3000])
def test_the_table_is_the_one_the_record_path_makes(count: int) -> None:
    ids, inputs, outputs = _chunk(count)
    assert _table(ids, inputs, outputs).equals(predictions_table(_records(ids, inputs, outputs)))


def test_ids_out_of_order_are_sorted_like_every_file() -> None:
    ids, inputs, outputs = _chunk(50, seed=1)
    order = np.random.default_rng(2).permutation(50)
    shuffled_ids = [ids[i] for i in order]
    table = _table(
        shuffled_ids,
        {k: v[order] for k, v in inputs.items()},
        {k: v[order] for k, v in outputs.items()},
    )
    assert table.column("prediction_id").to_pylist() == ids
    assert table.equals(predictions_table(_records(ids, inputs, outputs)))


def test_published_rows_read_back_by_id_range_and_frame(tmp_path: Path) -> None:
    ids, inputs, outputs = _chunk(2000, seed=3)
    writer = PredictionLogWriter(str(tmp_path))
    assert writer.publish_table(_table(ids, inputs, outputs)) == 2000
    assert writer.stats()["written"] == 2000
    reader = PredictionLogReader(str(tmp_path))
    found = reader.get(ids[1234], "churn-batch")
    assert found is not None
    assert found.inputs["input-0"] == inputs["input-0"][1234:1235].tolist()
    assert found.outputs["proba"] == outputs["proba"][1234:1235].tolist()
    table = reader.query("churn-batch", T0 - 1, T0 + 1)
    frame = rows_frame(table, "inputs")
    assert frame["prediction_id"].tolist() == ids
    assert np.array_equal(frame["age"].to_numpy(), inputs["age"])


@pytest.mark.parametrize(
    "bad_id",
    ["not-an-id", "01a24994-30b5-72d8-bf3d-c9fb52fa70d5'; DROP TABLE x", "../../etc/passwd"],
)
def test_a_malformed_id_writes_nothing(tmp_path: Path, bad_id: str) -> None:
    ids, inputs, outputs = _chunk(3, seed=4)
    ids[1] = bad_id
    writer = PredictionLogWriter(str(tmp_path))
    with pytest.raises(ValueError, match="malformed prediction ID"):
        writer.publish_table(_table(ids, inputs, outputs))
    assert not list(tmp_path.rglob("*.parquet"))


def test_what_the_columns_path_does_not_take() -> None:
    count = 4
    assert fits_row_table({"x": np.zeros((count, 2), np.float32), "y": np.arange(count)})
    assert not fits_row_table({"x": np.array(["a", "b", "c", "d"])})  # text
    assert not fits_row_table({"x": np.zeros(count), "y": np.zeros(count + 1)})  # lengths
    assert not fits_row_table({"x": np.zeros((count, 0))})  # no values per row
    assert not fits_row_table({"x": [1.0, 2.0, 3.0, 4.0]})  # not an array
    ids, inputs, outputs = _chunk(count)
    with pytest.raises(ValueError, match="one row per ID"):
        _table(ids[:-1], inputs, outputs)
