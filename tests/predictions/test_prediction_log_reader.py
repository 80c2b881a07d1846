"""Reading the log: one ID, a time range, retention, labels; hostile names stay inside."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.storage.prediction_log import (
    FeedbackLog,
    PredictionLogReader,
    PredictionLogWriter,
    rows_frame,
)

from .records import HOUR_MS, T0, MakeRecord


def _logged(root: Path, records: list[PredictionRecord], flush_rows: int = 1_000) -> None:
    with PredictionLogWriter(str(root), flush_rows=flush_rows) as writer:
        for record in records:
            assert writer.submit(record)


def test_get_finds_an_id_among_files_of_several_writers(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    first = [make_record(T0 + i) for i in range(0, 3_000, 2)]
    second = [make_record(T0 + i) for i in range(1, 3_000, 2)]  # interleaved in time
    _logged(tmp_path, first, flush_rows=200)
    _logged(tmp_path, second, flush_rows=300)
    reader = PredictionLogReader(str(tmp_path))
    for record in first[::97] + second[::89]:
        assert reader.get(record.prediction_id, "churn") == record
    assert reader.get(new_prediction_id()) is None
    assert reader.get(first[0].prediction_id, "fraud") is None


def test_query_reads_a_range_oldest_first(tmp_path: Path, make_record: MakeRecord) -> None:
    records = [make_record(T0 + i * 60_000) for i in range(180)]  # one a minute for 3 hours
    _logged(tmp_path, records)
    reader = PredictionLogReader(str(tmp_path))
    hour = reader.query("churn", T0 + HOUR_MS, T0 + 2 * HOUR_MS)
    assert hour.num_rows == 60
    assert hour.column("time_ms").to_pylist() == [r.time_ms for r in records[60:120]]
    edge = reader.query("churn", records[10].time_ms, records[12].time_ms)
    assert edge.column("prediction_id").to_pylist() == [r.prediction_id for r in records[10:12]]
    few = reader.query("churn", T0, T0 + 3 * HOUR_MS, limit=5, columns=["latency_ms"])
    assert few.column_names == ["latency_ms"] and few.num_rows == 5
    assert reader.query("churn", T0 + 10 * HOUR_MS, T0 + 11 * HOUR_MS).num_rows == 0
    assert reader.query("nobody", T0, T0 + HOUR_MS).num_rows == 0
    with pytest.raises(ValueError):
        reader.query("churn", T0, T0 + HOUR_MS, columns=["secret"])


def test_mixed_request_shapes_share_a_file(tmp_path: Path, make_record: MakeRecord) -> None:
    records = [
        make_record(inputs={"x": [1, 2]}),
        make_record(inputs={"city": ["Oslo"], "x": ["not a number"]}),
        make_record(inputs={}),
    ]
    _logged(tmp_path, records)
    reader = PredictionLogReader(str(tmp_path))
    assert [reader.get(r.prediction_id) for r in records] == records
    frame = rows_frame(reader.query("churn", T0, T0 + HOUR_MS))
    assert len(frame) == 3 and list(frame.columns[:2]) == ["prediction_id", "row"]


def test_prune_removes_whole_hours_before_the_cutoff(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    _logged(tmp_path, [make_record(T0 + i * 30 * 60_000) for i in range(6)])  # 3 hours
    reader = PredictionLogReader(str(tmp_path))
    assert reader.prune("churn", T0 + HOUR_MS + 1) == 1  # only the first hour has ended
    assert reader.query("churn", 0, 2**47).num_rows == 4
    assert reader.prune("churn", T0 + 30 * HOUR_MS) == 2
    assert reader.query("churn", 0, 2**47).num_rows == 0


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "", "*", ".hidden", "x" * 300])
def test_hostile_deployment_names_reach_no_path(tmp_path: Path, name: str) -> None:
    reader = PredictionLogReader(str(tmp_path / "log"))
    with pytest.raises(ValueError):
        reader.get(new_prediction_id(), name)
    with pytest.raises(ValueError):
        reader.query(name, 0, 1)
    with pytest.raises(ValueError):
        reader.prune(name, 2**47)
    with pytest.raises(ValueError):
        FeedbackLog(str(tmp_path / "log")).read(name)


@pytest.mark.parametrize("value", ["../x", "0" * 36, "018F2E4A-1B2C-7D3E-8F40-123456789ABC", ""])
def test_malformed_ids_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError):
        PredictionLogReader(str(tmp_path)).get(value)


def test_feedback_is_appended_read_and_pruned(tmp_path: Path, make_record: MakeRecord) -> None:
    log = FeedbackLog(str(tmp_path))
    ids = [make_record().prediction_id for _ in range(3)]
    log.append("churn", [Feedback(ids[0], "churn", [1], T0, "ann")])
    log.append(
        "churn",
        [
            Feedback(ids[1], "churn", ["yes", None], T0 + 1, "bob"),
            Feedback(ids[2], "churn", [0.5], T0 + 25 * HOUR_MS, "bob"),
        ],
    )
    table = log.read("churn")
    assert table.column("prediction_id").to_pylist() == ids
    assert log.read("churn", T0 + 1, T0 + 2).column("labels").to_pylist() == ['["yes",null]']
    assert rows_frame(log.read("churn"), "labels")["label"].tolist()[:1] == [1]
    assert log.prune("churn", T0 + 24 * HOUR_MS) == 2
    assert log.read("churn").num_rows == 1
    with pytest.raises(ValueError):
        log.append("churn", [Feedback(ids[0], "fraud", [1], T0, "ann")])


def test_the_log_is_a_plain_parquet_dataset(tmp_path: Path, make_record: MakeRecord) -> None:
    """Other tools read it as hive-partitioned Parquet without knowing mlsteward."""
    _logged(tmp_path, [make_record(T0 + i * 1000) for i in range(100)])
    dataset = ds.dataset(tmp_path / "churn", format="parquet", partitioning="hive")
    table = dataset.to_table(filter=ds.field("hour") == 10)
    assert table.num_rows == 100 and "date" in table.column_names
