"""Batch and stream outputs feed the deployment monitors.

- a batch job's log (``predict_batch(..., log_as=NAME)``) monitored as ``deployment:NAME``:
  drift against the training profile, performance once labels arrive by the output's
  ``prediction_id`` through the feedback route (which takes a log name that is no
  deployment record);
- the stream consumers' bounds of the operational check: a real ``mlsteward stream``
  consumer on Redis falls behind a queue filled while it was stopped, reports its backlog,
  and a monitor bounding ``max_consumer_lag`` raises the alert with the consumers as
  evidence, while a monitor with a generous bound does not; the dead-letter rate bound;
  bounds validated at the boundary.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.domain.deployments import ReplicaReport
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.drift import build_profile
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.models import log_model
from mlsteward.testing.operation_doors import client_over

from . import slow_model
from .conftest import Clock

cloudpickle.register_pickle_by_value(slow_model)

FEATURES = ["f0", "f1", "f2", "f3"]
RNG = np.random.default_rng(5)


def _frame(rows: int, shift: float = 0.0) -> pd.DataFrame:
    values = RNG.normal(size=(rows, len(FEATURES))).astype(np.float32) + np.float32(shift)
    return pd.DataFrame(values, columns=FEATURES)


# -- batch outputs -------------------------------------------------------------------------
@pytest.fixture
def batch_client(tmp_path: Path) -> Iterator[tuple[Client, Clock]]:
    """The local SDK on a fresh store whose clock the test moves (it starts now)."""
    artifacts = tmp_path / "artifacts"
    backend = LocalBackend(f"sqlite:///{tmp_path / 'store.db'}", str(artifacts), actor="tester")
    clock = Clock(int(time.time() * 1000))
    backend.ctx = dataclasses.replace(backend.ctx, clock=clock)
    backend.transport = InProcessTransport(backend.ctx)
    client: Client = client_over(backend)
    try:
        yield client, clock
    finally:
        backend.close()


def test_a_batch_jobs_log_is_monitored_for_drift_and_performance(
    batch_client: tuple[Client, Clock], tmp_path: Path
) -> None:
    client, clock = batch_client
    train = _frame(600)
    labels = (train.f0 + train.f1 > 0).astype(int)
    model = LogisticRegression().fit(train, labels)
    mlsteward.set_tracking_uri(client.tracking_uri)
    try:
        with mlsteward.start_run():
            info = log_model(model, "model", input_example=train.head(3))
        mlsteward.register_model(info.model_uri, "clf")
    finally:
        mlsteward.set_tracking_uri(None)
    mon = client.monitoring()
    reference = train.assign(predict=model.predict(train))
    mon.save_profile(build_profile(reference), "clf-train")

    scored_input = _frame(400, shift=2.5)  # the inputs moved: drift in f0..f3 and predict
    scored_input.to_parquet(tmp_path / "in.parquet")
    report = client.predict_batch(
        "models:/clf/1",
        str(tmp_path / "in.parquet"),
        str(tmp_path / "out.csv"),
        log_as="clf-nightly",
    )
    assert report.rows == 400
    scores = pd.read_csv(tmp_path / "out.csv")

    # Labels by the output's prediction IDs; no deployment is named clf-nightly.
    truth = (scored_input.f0 + scored_input.f1 > 4.5).astype(int).tolist()
    receipt = client.predictions.feedback(
        "clf-nightly",
        [
            {"prediction_id": pid, "labels": [label]}
            for pid, label in zip(scores.prediction_id, truth, strict=True)
        ],
    )
    assert (receipt.accepted, receipt.unknown) == (400, [])
    with pytest.raises(Exception, match="No deployment"):
        client.deployments.get("clf-nightly")

    mon.create_monitor(
        "nightly",
        "deployment:clf-nightly",
        "clf-train",
        {"performance": {"task": "binary", "prediction": "predict", "bounds": {"accuracy": 0.9}}},
    )
    clock.now += 60_000  # past the log's settling time
    result = mon.run_monitor("nightly")
    run = result["run"]
    assert run.status == "ok", run.message
    assert run.n_rows == 400
    opened = {f"{a.check}:{a.column}" for a in result["opened"]}
    assert {"column_drift:f0", "column_drift:f1", "dataset_drift:*"} <= opened
    performance = run.summary["performance"]
    assert performance["n_labelled"] == 400
    accuracy = float(np.mean(scores.predict.to_numpy() == np.array(truth)))
    assert accuracy < 0.9
    assert ("performance:accuracy" in opened) is True
    assert "operational" not in run.summary  # no operational bounds on a batch log


# -- stream consumers ------------------------------------------------------------------------
def test_stream_bounds_are_checked_at_the_boundary(batch_client: tuple[Client, Clock]) -> None:
    client, _ = batch_client
    mon = client.monitoring()
    mon.save_profile(build_profile(_frame(50)), "p")
    for bad, words in [
        ({"max_consumer_lag": -1}, "0 or above"),
        ({"max_dead_letter_rate": 1.5}, "between 0 and 1"),
        ({"max_consumer_lag": "many"}, "must be a number"),
    ]:
        with pytest.raises(InvalidArgumentError, match=words):
            mon.create_monitor("m", "deployment:x", "p", {"operational": bad})
    with pytest.raises(InvalidArgumentError, match="target deployment:NAME"):
        mon.create_monitor("m", "a/*.csv", "p", {"operational": {"max_consumer_lag": 5}})
    assert mon.list_monitors() == []


def _stream_report(replica: str, **fields: object) -> ReplicaReport:
    values: dict[str, object] = {
        "deployment": "clf-live",
        "replica": replica,
        "started_ms": 1,
        "interval_s": 5.0,
        "revision": 1,
        "ready": True,
        "kind": "stream",
        "subject": "orders",
        "group": "mlsteward-clf-live",
        **fields,
    }
    return ReplicaReport(**values)  # type: ignore[arg-type]


def test_dead_letter_rate_and_lag_come_from_live_stream_reports(
    batch_client: tuple[Client, Clock],
) -> None:
    """Reports sent as consumers send them; a stale one no longer counts."""
    client, clock = batch_client
    train = _frame(200)
    model = LogisticRegression().fit(train, (train.f0 > 0).astype(int))
    mlsteward.set_tracking_uri(client.tracking_uri)
    try:
        with mlsteward.start_run():
            info = log_model(model, "model", input_example=train.head(3))
        mlsteward.register_model(info.model_uri, "clf")
    finally:
        mlsteward.set_tracking_uri(None)
    client.deployments.create("clf-live", "models:/clf/1", reason="test")
    mon = client.monitoring()
    mon.save_profile(build_profile(train), "p")
    bounds = {"max_consumer_lag": 100, "max_dead_letter_rate": 0.05}
    mon.create_monitor(
        "stream-ops", "deployment:clf-live", "p", {"checks": ["operational"], "operational": bounds}
    )

    client.deployments.report(
        "clf-live", _stream_report("a:stream:1", scored=90, dead_lettered=10, consumer_lag=40)
    )
    client.deployments.report(
        "clf-live", _stream_report("b:stream:2", scored=100, dead_lettered=0, consumer_lag=250)
    )
    result = mon.run_monitor("stream-ops")
    figures = result["run"].summary["operational"]
    assert figures["consumer_lag"] == 250  # the largest backlog, not a sum
    assert figures["dead_letter_rate"] == pytest.approx(10 / 200)
    assert figures["n_consumers"] == 2
    opened = {a.column: a for a in result["opened"]}
    assert set(opened) == {"max_consumer_lag"}
    lag_alert = opened["max_consumer_lag"]
    assert lag_alert.evidence["value"] == 250 and lag_alert.evidence["bound"] == 100
    assert lag_alert.evidence["rule"] == "consumer_lag <= 100"
    assert {c["replica"] for c in lag_alert.evidence["consumers"]} == {"a:stream:1", "b:stream:2"}

    clock.now += 60_000  # both reports go stale; a new consumer dead-letters a lot
    client.deployments.report(
        "clf-live", _stream_report("c:stream:3", scored=80, dead_lettered=20, consumer_lag=3)
    )
    result = mon.run_monitor("stream-ops")
    figures = result["run"].summary["operational"]
    assert (figures["consumer_lag"], figures["n_consumers"]) == (3, 1)
    assert figures["dead_letter_rate"] == pytest.approx(0.2)
    assert {a.column for a in result["opened"]} == {"max_dead_letter_rate"}
    assert {a.column for a in result["resolved"]} == {"max_consumer_lag"}
    [dead] = [a for a in client.monitoring().list_alerts(status="open")]
    assert dead.severity == "critical"

    clock.now += 60_000  # silence: unknown figures keep the open alert open
    result = mon.run_monitor("stream-ops")
    assert result["run"].summary["operational"]["consumer_lag"] is None
    assert result["resolved"] == []
    assert [a.column for a in mon.list_alerts(status="open")] == ["max_dead_letter_rate"]


# -- a real consumer falling behind ----------------------------------------------------------
STREAM_DEPLOYMENT = "slow-stream"
QUEUED = 600


@pytest.fixture
def slow_store(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local store with a slow model deployed as ``slow-stream``."""
    home = tmp_path / "home"
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_HOME", str(home))
        for name in ("MLSTEWARD_TRACKING_URI", "MLSTEWARD_ARTIFACTS_URI", "MLSTEWARD_USER"):
            patch.delenv(name, raising=False)
        fluent.reset()
        mlsteward.set_tracking_uri(uri)
        try:
            with mlsteward.start_run():
                info = log_model(slow_model.Slow(), "model", input_example=np.zeros((2, 3)))
            mlsteward.register_model(info.model_uri, "slow")
            Client(uri).deployments.create(STREAM_DEPLOYMENT, "models:/slow/1", reason="test")
            mlsteward.set_tracking_uri(None)
            yield uri, home
        finally:
            fluent.reset()


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _stream_replicas(client: Client) -> list[ReplicaReport]:
    health = client.deployments.health(STREAM_DEPLOYMENT)
    return [r.report for r in health.replicas if r.report.kind == "stream" and r.state == "live"]


def test_a_consumer_that_falls_behind_raises_the_lag_alert(
    slow_store: tuple[str, Path], tmp_path: Path
) -> None:
    from streaming.brokers import RedisBroker, need

    need(6379, "Redis")
    uri, home = slow_store
    broker = RedisBroker().create()
    process: subprocess.Popen[bytes] | None = None
    log_path = tmp_path / "stream.log"
    try:
        # Queued while no consumer runs: the group starts with the whole backlog.
        body = json.dumps({"instances": [[1.0, 2.0, 3.0]]}).encode()
        broker.produce([body] * QUEUED)
        argv = [
            sys.executable, "-m", "mlsteward", "stream", STREAM_DEPLOYMENT,
            "--tracking-uri", uri, "--source", broker.url, "--subject", broker.subject,
            "--output-subject", broker.output_subject, "--batch-size", "1",
            "--commit-every", "10", "--commit-interval-ms", "200",
        ]  # fmt: skip
        env = {**os.environ, "MLSTEWARD_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        env.pop("MLSTEWARD_TRACKING_URI", None)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        client = Client(uri)

        def behind() -> bool:
            assert process is not None and process.poll() is None, log_path.read_text()
            return any((r.consumer_lag or 0) >= 200 for r in _stream_replicas(client))

        _wait_for("the consumer to report a backlog", behind)
        [report] = _stream_replicas(client)
        assert report.subject == broker.subject
        assert report.group == f"mlsteward-{STREAM_DEPLOYMENT}"
        assert report.source == broker.url and report.ready

        mon = client.monitoring()
        mon.save_profile(build_profile(pd.DataFrame({"x": [1.0, 2.0, 3.0]})), "p")
        mon.create_monitor(
            "lagging", f"deployment:{STREAM_DEPLOYMENT}", "p",
            {"checks": ["operational"], "operational": {"max_consumer_lag": 50}},
        )  # fmt: skip
        mon.create_monitor(
            "relaxed", f"deployment:{STREAM_DEPLOYMENT}", "p",
            {"checks": ["operational"], "operational": {"max_consumer_lag": 10 * QUEUED}},
        )  # fmt: skip
        lagging = mon.run_monitor("lagging")
        relaxed = mon.run_monitor("relaxed")
        [alert] = lagging["opened"]
        assert (alert.check, alert.column) == ("operational", "max_consumer_lag")
        assert alert.evidence["value"] > 50
        [consumer] = alert.evidence["consumers"]
        assert consumer["replica"] == report.replica and consumer["subject"] == broker.subject
        assert relaxed["opened"] == []
        assert relaxed["run"].summary["operational"]["consumer_lag"] > 50

        # Stopped, it reports its last figures, not ready: nobody consumes now.
        process.send_signal(signal.SIGTERM)
        assert process.wait(120) == 0, log_path.read_text()
        [last] = _stream_replicas(client)
        assert not last.ready and "stopped" in last.message
        assert last.scored > 0 and last.consumer_lag is not None
        health = client.deployments.health(STREAM_DEPLOYMENT)
        assert health.status == "down"
        assert any("pending" in reason for reason in health.reasons)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(30)
        broker.cleanup()
