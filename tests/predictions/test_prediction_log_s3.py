"""The log on an S3 API (moto's server): write, find by ID, query, feedback, prune."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsteward.domain.predictions import Feedback
from mlsteward.storage.prediction_log import FeedbackLog, PredictionLogReader, PredictionLogWriter
from mlsteward.testing.s3_api import moto_s3

from .records import HOUR_MS, T0, MakeRecord

pytestmark = pytest.mark.s3


@pytest.fixture
def s3_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with moto_s3("logs") as s3:
        for name, value in s3.env.items():
            monkeypatch.setenv(name, value)
        yield "s3://logs/platform/predictions"


def test_the_log_on_s3(s3_root: str, make_record: MakeRecord) -> None:
    records = [make_record(T0 + i * 120_000) for i in range(60)]  # two hours
    with PredictionLogWriter(s3_root, flush_rows=25) as writer:
        assert all(writer.submit(r) for r in records)
    assert writer.stats()["written"] == 60
    reader = PredictionLogReader(s3_root)
    assert reader.get(records[41].prediction_id) == records[41]
    assert reader.find_ids("churn", [r.prediction_id for r in records[:5]]) == {
        r.prediction_id for r in records[:5]
    }
    assert reader.query("churn", T0 + HOUR_MS, T0 + 2 * HOUR_MS).num_rows == 30
    labels = FeedbackLog(s3_root)
    labels.append("churn", [Feedback(records[0].prediction_id, "churn", [1], T0, "ann")])
    assert labels.read("churn").num_rows == 1
    assert reader.prune("churn", T0 + HOUR_MS) >= 1
    assert reader.get(records[0].prediction_id) is None
    assert reader.get(records[41].prediction_id) == records[41]
