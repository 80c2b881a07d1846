"""Monitors over a deployment: drift on its logged inputs and outputs, performance from
labels joined by prediction ID, and operational bounds — through the local SDK (a clock
moved by hand, so each run reads the window since the last) and a real server."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.prediction_ids import PredictionIdGenerator
from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.engines.drift import build_profile
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.monitoring_calls import MonitoringCalls
from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.storage.prediction_log import FeedbackLog, PredictionLogWriter
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import running_server

from .conftest import Cli, Clock

OPERATIONAL = {"p99_latency_ms": 50, "error_rate": 0.01, "min_throughput_rps": 0.05}
PERFORMANCE = {
    "task": "binary",
    "prediction": "predict",
    "scores": "predict_proba_1",
    "classes": [0, 1],
    "bounds": {"accuracy": 0.8},
    "min_labels": 50,
}
N = 400


def _training(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-2 * x))
    return pd.DataFrame(
        {"x": x, "y": rng.normal(size=n), "predict": (x > 0).astype(int), "predict_proba_1": p}
    )


def _traffic(
    deployment: str, start_ms: int, *, sick: bool, seed: int
) -> tuple[list[PredictionRecord], list[Feedback]]:
    """N one-row requests a second apart; a sick window has shifted inputs, a slow tail
    (3% at 200 ms), 5% failures and labels that disagree with the model."""
    rng = np.random.default_rng(seed)
    ids = PredictionIdGenerator()
    records, labels = [], []
    for i in range(N):
        t = start_ms + i * 1000
        x = float(rng.normal() + (2.0 if sick else 0.0))
        y = float(rng.normal())
        p = float(1 / (1 + np.exp(-2 * x)))
        predicted = int(x > 0)
        failed = sick and i % 20 == 0
        slow = sick and i % 33 == 1
        record = PredictionRecord(
            prediction_id=ids.new(t),
            deployment=deployment,
            model_name="churn",
            model_version=1,
            route="stable",
            time_ms=t,
            latency_ms=200.0 if slow else 2.0 + rng.random(),
            rows=1,
            inputs={"x": [x], "y": [y]},
            outputs={} if failed else {"predict": [predicted], "predict_proba": [[1 - p, p]]},
            status=500 if failed else 200,
            error="boom" if failed else None,
        )
        records.append(record)
        # a shadow copy is logged too and never counts
        records.append(dataclasses.replace(record, prediction_id=ids.new(t), route="shadow"))
        if not failed:
            truth = 1 - predicted if sick and rng.random() < 0.7 else predicted
            labels.append(Feedback(record.prediction_id, deployment, [truth], t + 500, "tester"))
    return records, labels


def _log(root: str, deployment: str, start_ms: int, *, sick: bool, seed: int) -> None:
    records, labels = _traffic(deployment, start_ms, sick=sick, seed=seed)
    with PredictionLogWriter(root) as writer:
        for record in records:
            assert writer.submit(record)
    FeedbackLog(root).append(deployment, labels)


def _opened(result: dict) -> set[str]:
    return {f"{a.check}:{a.column}" for a in result["opened"]}


SICK = {
    "operational:p99_latency_ms",
    "operational:error_rate",
    "column_drift:x",
    "column_drift:predict",  # the predictions drift with their inputs
    "column_drift:predict_proba_1",
    "dataset_drift:*",
    "performance:accuracy",
}


@pytest.fixture
def local(tmp_path: Path) -> Iterator[tuple[MonitoringCalls, Clock, str]]:
    """The local SDK over a fresh store whose clock the test moves; the log's root."""
    artifacts = tmp_path / "artifacts"
    backend = LocalBackend(f"sqlite:///{tmp_path / 'store.db'}", str(artifacts), actor="tester")
    clock = Clock(int(time.time() * 1000) - 24 * 3_600_000)
    backend.ctx = dataclasses.replace(backend.ctx, clock=clock)
    backend.transport = InProcessTransport(backend.ctx)
    client: Client = client_over(backend)
    try:
        yield client.monitoring(), clock, os.path.abspath(artifacts / "predictions")
    finally:
        backend.close()


def test_local_monitor_reads_each_window_once_and_raises_the_expected_alerts(
    local: tuple[MonitoringCalls, Clock, str],
) -> None:
    mon, clock, root = local
    mon.save_profile(build_profile(_training()), "train")
    t0 = clock.now
    _log(root, "churn", t0, sick=False, seed=1)
    clock.now = t0 + 3_600_000
    monitor = mon.create_monitor(
        "churn-live",
        "deployment:churn",
        "train",
        {"operational": OPERATIONAL, "performance": PERFORMANCE},
    )
    assert monitor.operational == {k: float(v) for k, v in OPERATIONAL.items()}
    assert {"operational", "performance"} <= set(monitor.checks)

    healthy = mon.run_monitor("churn-live")
    assert healthy["run"].status == "ok", healthy["run"].message
    assert _opened(healthy) == set()
    figures = healthy["run"].summary["operational"]
    assert figures["n_requests"] == N  # shadow copies left out
    assert figures["n_errors"] == 0 and figures["p99_latency_ms"] < 50
    assert healthy["run"].n_rows == N
    assert healthy["run"].summary["performance"]["n_labelled"] == N

    # the next window: drifted inputs, a slow tail, failures and wrong labels
    _log(root, "churn", t0 + 3_600_000, sick=True, seed=2)
    clock.now = t0 + 3_600_000 + N * 1000 + 60_000
    sick = mon.run_monitor("churn-live")
    assert _opened(sick) == SICK, sick["run"].summary
    figures = sick["run"].summary["operational"]
    assert figures["n_requests"] == N and figures["n_errors"] == N // 20
    assert figures["error_rate"] == pytest.approx(0.05)
    assert figures["p99_latency_ms"] == pytest.approx(200.0)
    assert sick["run"].n_rows == N - N // 20  # the failed requests have no answer
    evidence = {a.column: a.evidence for a in sick["opened"] if a.check == "operational"}
    assert evidence["error_rate"]["rule"] == "error_rate <= 0.01"

    # nothing new: the window is empty, operational figures cannot be judged but
    # throughput can (zero), and the open alerts stay open
    clock.now += 600_000
    quiet = mon.run_monitor("churn-live")
    assert quiet["run"].status == "empty"
    assert _opened(quiet) == {"operational:min_throughput_rps"}
    assert quiet["resolved"] == []

    # a healthy window again resolves the drift and operational alerts
    _log(root, "churn", clock.now - 10_000 + 1, sick=False, seed=3)  # after the cursor
    clock.now += N * 1000 + 60_000
    back = mon.run_monitor("churn-live")
    resolved = {f"{a.check}:{a.column}" for a in back["resolved"]}
    assert {"operational:p99_latency_ms", "operational:error_rate", "column_drift:x"} <= resolved


def test_bad_deployment_monitors_are_refused(local: tuple[MonitoringCalls, Clock, str]) -> None:
    mon, _, _ = local
    mon.save_profile(build_profile(_training(200)), "train")
    bad = [
        ("deployment:../x", {}),
        ("deployment:churn", {"operational": {"p95_latency_ms": 5}}),
        ("deployment:churn", {"operational": {"error_rate": 2}}),
        ("deployment:churn", {"operational": {"p99_latency_ms": -1}}),
        ("deployment:churn", {"checks": ["operational"]}),
        ("deployment:churn", {"performance": {**PERFORMANCE, "id_column": "request_id"}}),
        ("deployment:churn", {"performance": {**PERFORMANCE, "labels": "deployment:churn"}}),
    ]
    for target, options in bad:
        with pytest.raises(InvalidArgumentError):
            mon.create_monitor("m", target, "train", options)
    with pytest.raises(InvalidArgumentError, match="deployment"):
        mon.create_monitor("m", "data.csv", "train", {"operational": {"error_rate": 0.1}})
    with pytest.raises(InvalidArgumentError, match="deployment"):
        mon.create_monitor(
            "m",
            "data.csv",
            "train",
            {"performance": {**PERFORMANCE, "id_column": "id", "labels": "feedback:churn"}},
        )
    assert mon.list_monitors() == []


def test_server_monitors_of_a_healthy_and_a_sick_deployment(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    root = os.path.abspath(artifacts / "predictions")
    start = int(time.time() * 1000) - N * 1000 - 60_000
    _log(root, "good", start, sick=False, seed=1)
    _log(root, "bad", start, sick=True, seed=2)
    with running_server(tmp_path / "s.db", artifacts) as url:
        client = Client(str(url))
        mon = client.monitoring()
        mon.save_profile(build_profile(_training()), "train")
        for name in ("good", "bad"):
            options = {"operational": OPERATIONAL, "performance": PERFORMANCE}
            mon.create_monitor(f"{name}-live", f"deployment:{name}", "train", options)
        assert mon.get_monitor("bad-live").operational["p99_latency_ms"] == 50.0
        good = mon.run_monitor("good-live")
        assert good["run"].status == "ok", good["run"].message
        assert _opened(good) == set()
        bad = mon.run_monitor("bad-live")
        assert _opened(bad) == SICK
        assert {a.monitor for a in mon.list_alerts(status="open")} == {"bad-live"}
        with pytest.raises(InvalidArgumentError):
            mon.create_monitor("x", "deployment:bad", "train", {"operational": {"nope": 1}})


def test_cli_sets_operational_bounds_and_runs_the_monitor(cli: Cli, tmp_path: Path) -> None:
    root = os.path.abspath(tmp_path / "artifacts" / "predictions")
    _log(root, "churn", int(time.time() * 1000) - N * 1000 - 60_000, sick=True, seed=4)
    _training().to_csv(tmp_path / "train.csv", index=False)
    assert cli("monitor", "profile", "train", str(tmp_path / "train.csv")).exit_code == 0
    created = cli(
        "monitor", "create", "ops", "--target", "deployment:churn", "--profile", "train",
        "--max-p99-ms", "50", "--max-error-rate", "0.01", "--json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["operational"] == {
        "p99_latency_ms": 50.0,
        "error_rate": 0.01,
    }
    shown = cli("monitor", "show", "ops")
    assert "p99_latency_ms=50" in shown.output
    ran = cli("monitor", "run", "ops")
    assert ran.exit_code == 0, ran.output
    assert "p99_latency_ms" in ran.output and "error_rate" in ran.output
    refused = cli(
        "monitor", "create", "x", "--target", "data.csv", "--profile", "train",
        "--max-error-rate", "0.1",
    )  # fmt: skip
    assert refused.exit_code != 0 and "deployment" in refused.output
