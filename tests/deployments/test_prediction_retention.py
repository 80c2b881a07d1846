"""Prediction-log retention: a prune removes whole old hours (and days of labels) only, the
server's daily pass applies each deployment's own setting, and the prune is audited."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.prediction_ids import PredictionIdGenerator
from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.predictions import prediction_log_root
from mlsteward.services.predictions.retention import PredictionRetention, apply_retention
from mlsteward.storage.prediction_log import FeedbackLog, PredictionLogWriter

from .conftest import register_version

DAY_MS = 86_400_000


def _record(ids: PredictionIdGenerator, deployment: str, time_ms: int) -> PredictionRecord:
    return PredictionRecord(
        ids.new(time_ms), deployment, "churn", 1, "stable", time_ms, 1.0, 1, {"x": [1]}, {"y": [0]}
    )


def _log(client: Client, deployment: str, ages_days: list[float]) -> list[PredictionRecord]:
    """Predictions (and a label for each) made ``ages_days`` ago, in the client's log."""
    ctx: Any = client._backend.ctx  # type: ignore[attr-defined]
    now = int(time.time() * 1000)
    ids = PredictionIdGenerator()  # its own: IDs carry the times given, oldest first
    records = [_record(ids, deployment, now - int(age * DAY_MS)) for age in sorted(ages_days)[::-1]]
    root = prediction_log_root(ctx)
    with PredictionLogWriter(root) as writer:
        for record in records:
            assert writer.submit(record)
    FeedbackLog(root).append(
        deployment,
        [Feedback(r.prediction_id, deployment, [1], r.time_ms, "alice") for r in records],
    )
    return records


def _present(client: Client, deployment: str, records: list[PredictionRecord]) -> list[bool]:
    found = []
    for record in records:
        try:
            client.predictions.get(record.prediction_id, deployment)
            found.append(True)
        except NotFoundError:
            found.append(False)
    return found


def test_prune_removes_only_what_is_older_than_the_days_given(client: Client) -> None:
    old, recent = _log(client, "churn-api", [10.0, 0.1])
    receipt = client.predictions.prune("churn-api", older_than_days=3)
    assert receipt.prediction_files == 1 and receipt.feedback_files == 1
    assert _present(client, "churn-api", [old, recent]) == [False, True]
    labels = FeedbackLog(prediction_log_root(client._backend.ctx)).read("churn-api")  # type: ignore[attr-defined]
    assert labels.column("prediction_id").to_pylist() == [recent.prediction_id]
    # Nothing older is left: a second prune removes nothing.
    assert client.predictions.prune("churn-api", older_than_days=3).prediction_files == 0


@pytest.mark.parametrize("days", [0, -1, True, 1.5, 10**6])
def test_prune_refuses_a_bad_number_of_days(client: Client, days: Any) -> None:
    (record,) = _log(client, "churn-api", [10.0])
    with pytest.raises(InvalidArgumentError, match="older_than_days"):
        client.predictions.prune("churn-api", older_than_days=days)
    assert _present(client, "churn-api", [record]) == [True]


def test_the_daily_pass_applies_each_deployments_own_retention(client: Client) -> None:
    version = register_version(client, "churn")
    client.deployments.create("short", f"models:/churn/{version}", log_retention_days=2)
    client.deployments.create("long", f"models:/churn/{version}", log_retention_days=30)
    short = _log(client, "short", [5.0, 0.1])
    long = _log(client, "long", [5.0, 0.1])
    one_off = _log(client, "churn@champion", [5.0])  # no record, no setting: kept

    ctx: Any = client._backend.ctx  # type: ignore[attr-defined]
    with PredictionRetention(ctx, interval_s=3600) as loop:  # first pass at start
        deadline = time.monotonic() + 30
        while _present(client, "short", short)[0] and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not loop.running
    assert _present(client, "short", short) == [False, True]
    assert _present(client, "long", long) == [True, True]
    assert _present(client, "churn@champion", one_off) == [True]
    assert apply_retention(ctx) == {"short": 0, "long": 0}
