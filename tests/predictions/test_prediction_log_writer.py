"""The writer: never blocks, counts drops and sampling apart, keeps failures, reports errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mlsteward.storage.prediction_log import PredictionLogReader, PredictionLogWriter

from .records import HOUR_MS, T0, MakeRecord


def test_a_full_queue_drops_and_counts_without_blocking(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    writer = PredictionLogWriter(str(tmp_path), queue_size=3)  # not started: nothing drains
    results = [writer.submit(make_record()) for _ in range(10)]
    assert results == [True] * 3 + [False] * 7
    stats = writer.stats()
    assert (stats["submitted"], stats["dropped"], stats["queued"]) == (10, 7, 3)
    writer.start()
    assert writer.flush(timeout=30)
    assert writer.close()
    assert writer.stats()["written"] == 3


def test_every_accepted_id_is_found_after_close(tmp_path: Path, make_record: MakeRecord) -> None:
    writer = PredictionLogWriter(str(tmp_path), flush_rows=250, flush_interval_s=0.05).start()
    records = [
        make_record(T0 + i * 997, deployment="churn" if i % 3 else "fraud@champion")
        for i in range(4_000)
    ]  # a bit over an hour: two hour partitions per deployment
    assert all(writer.submit(record) for record in records)
    assert writer.close(timeout=60)
    assert writer.stats()["written"] == 4_000 and writer.stats()["errors"] == 0
    reader = PredictionLogReader(str(tmp_path))
    for name in ("churn", "fraud@champion"):
        ids = [r.prediction_id for r in records if r.deployment == name]
        assert reader.find_ids(name, ids) == set(ids)
    for record in records[::500]:
        assert reader.get(record.prediction_id) == record
        assert reader.get(record.prediction_id, record.deployment) == record
    hours = sorted(p.name for p in (tmp_path / "churn").glob("date=*/hour=*"))
    assert hours == ["hour=10", "hour=11"]


def test_flush_publishes_what_was_accepted(tmp_path: Path, make_record: MakeRecord) -> None:
    with PredictionLogWriter(str(tmp_path), flush_interval_s=3600) as writer:
        record = make_record()
        writer.submit(record)
        assert writer.flush(timeout=30)
        assert PredictionLogReader(str(tmp_path)).get(record.prediction_id) == record


def test_sampling_counts_apart_and_never_leaves_out_failures(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    with PredictionLogWriter(str(tmp_path), sample_rate=0.25) as writer:
        kept = [writer.submit(make_record()) for _ in range(2_000)]
        failed = [writer.submit(make_record(status=500)) for _ in range(200)]
        assert writer.flush(timeout=30)
        stats = writer.stats()
    assert all(failed)
    assert 300 < sum(kept) < 700  # a quarter of 2,000, give or take
    assert stats["sampled_out"] == 2_000 - sum(kept)
    assert stats["dropped"] == 0
    assert stats["written"] == sum(kept) + 200


def test_sampling_is_decided_by_the_id(tmp_path: Path, make_record: MakeRecord) -> None:
    records = [make_record() for _ in range(500)]
    first = PredictionLogWriter(str(tmp_path / "a"), sample_rate=0.5)
    second = PredictionLogWriter(str(tmp_path / "b"), sample_rate=0.5, queue_size=1_000)
    assert [first.submit(r) for r in records[:100]] == [second.submit(r) for r in records[:100]]


def test_a_failing_write_is_counted_logged_and_reported(
    tmp_path: Path, make_record: MakeRecord, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the log's folder should be")
    seen: list[int] = []
    writer = PredictionLogWriter(str(blocked), on_error=lambda error, count: seen.append(count))
    with caplog.at_level(logging.ERROR, logger="mlsteward.prediction_log"), writer:
        writer.submit(make_record())
        writer.submit(make_record())
        assert writer.flush(timeout=30)
    assert writer.stats()["errors"] == 2 and writer.stats()["written"] == 0
    assert seen == [2]
    assert "2 record(s) not written" in caplog.text


def test_records_the_log_cannot_place_are_errors(tmp_path: Path, make_record: MakeRecord) -> None:
    with PredictionLogWriter(str(tmp_path)) as writer:
        writer.submit(make_record(deployment="../escape"))
        writer.submit(make_record())
        assert writer.flush(timeout=30)
        assert (writer.stats()["errors"], writer.stats()["written"]) == (1, 1)
    assert not (tmp_path.parent / "escape").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["churn"]


def test_after_close_records_are_dropped(tmp_path: Path, make_record: MakeRecord) -> None:
    writer = PredictionLogWriter(str(tmp_path)).start()
    assert writer.close()
    assert writer.submit(make_record()) is False
    assert writer.stats()["dropped"] == 1


@pytest.mark.parametrize(
    "options",
    [{"queue_size": 0}, {"flush_rows": 0}, {"flush_interval_s": 0}, {"sample_rate": 1.5}],
)
def test_settings_out_of_range_are_refused(tmp_path: Path, options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PredictionLogWriter(str(tmp_path), **options)  # type: ignore[arg-type]


def test_hours_are_utc_hours_of_the_id(tmp_path: Path, make_record: MakeRecord) -> None:
    with PredictionLogWriter(str(tmp_path)) as writer:
        writer.submit(make_record(T0 + 2 * HOUR_MS - 1))
        writer.submit(make_record(T0 + 2 * HOUR_MS))
    assert sorted(
        p.relative_to(tmp_path).parent.as_posix() for p in tmp_path.rglob("*.parquet")
    ) == [
        "churn/date=2024-05-01/hour=11",
        "churn/date=2024-05-01/hour=12",
    ]
