"""Offline logging: the server goes away mid-run, training keeps logging, nothing is lost."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import mlsteward
from mlsteward.domain.entities import Metric, Param, RunTag
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.spool import Spool, deliver_spooled
from mlsteward.interfaces.sdk.spool_lock import LOCK_NAME
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]


def wait_for(condition: Callable[[], bool], what: str, limit_s: float = 60.0) -> None:
    """Poll until ``condition`` holds; fail (not flake) only if it never does."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerURL]:
    with running_server(tmp_path / "server" / "mlsteward.db", tmp_path / "artifacts") as url:
        yield url


def test_fluent_run_survives_an_outage_and_delivers_automatically(server: ServerURL) -> None:
    mlsteward.set_tracking_uri(server)
    mlsteward.set_experiment("offline")
    with mlsteward.start_run(log_environment=False) as run:
        run_id = run.info.run_id
        for step in range(1000):
            mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
        mlsteward.flush()

        server.stop()
        for step in range(1000, 5000):  # nothing here may raise while the server is away
            mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
        mlsteward.log_metric("odd", math.nan, step=0)
        mlsteward.log_param("phase", "offline")
        mlsteward.set_tag("note", "logged while the server was down")
        mlsteward.flush()
        backend = run.backend
        assert isinstance(backend, HttpBackend)
        assert backend.spooled_batches() > 0

        server.start()  # same port; the background thread notices on its own
        wait_for(lambda: backend.spooled_batches() == 0, "the spool to drain")

    client = mlsteward.Client(server)
    history = client.get_metric_history(run_id, "loss")
    assert [p.step for p in history] == list(range(5000))
    assert [p.value for p in history] == [1.0 / (s + 1) for s in range(5000)]
    assert math.isnan(client.get_metric_history(run_id, "odd")[0].value)
    finished = client.get_run(run_id)
    assert finished.data.params == {"phase": "offline"}
    assert finished.data.tags["note"] == "logged while the server was down"
    assert finished.info.status.value == "FINISHED"


def test_deliver_spooled_sends_what_a_closed_process_left(server: ServerURL) -> None:
    backend = HttpBackend(server)
    remote = client_over(backend)
    run_id = remote.create_run(remote.create_experiment("sync")).info.run_id
    server.stop()
    batches = [[Metric("acc", float(i), i, i) for i in range(s, s + 100)] for s in (0, 100, 200)]
    for number, points in enumerate(batches):
        # The tag is overwritten by each batch, so its final value shows delivery order.
        remote.log_batch(run_id, metrics=points, tags=[RunTag("last", str(number))])
    remote.log_batch(run_id, params=[Param("epochs", "3")])
    backend.close()  # its final delivery attempt fails: the batches stay on disk

    spool = Spool(server)
    files = spool.pending()
    assert len(files) == 4
    assert sorted(p.name for p in spool.directory.iterdir()) == sorted(
        [f.name for f in files] + ["server.json", LOCK_NAME]
    )  # no temporary files left behind (the lock file of the last delivery stays)
    entry = json.loads(files[0].read_text())
    assert entry["run_id"] == run_id
    assert entry["idempotency_key"] == entry["body"]["idempotency_key"]
    assert entry["body"]["metrics"]["steps"] == list(range(100))

    assert deliver_spooled(server) == 0 and len(spool.pending()) == 4  # still away
    server.start()
    assert deliver_spooled(server) == 4
    assert spool.pending() == []
    assert deliver_spooled() == 0  # nothing left anywhere

    check = HttpBackend(server)
    try:
        checked = client_over(check)
        assert checked.get_metric_history(run_id, "acc") == [p for b in batches for p in b]
        run = checked.get_run(run_id)
        assert run.data.params == {"epochs": "3"}
        assert run.data.tags["last"] == "2"
    finally:
        check.close()


def test_refused_batches_are_set_aside_not_dropped(server: ServerURL) -> None:
    backend = HttpBackend(server)
    remote = client_over(backend)
    run_id = remote.create_run(remote.create_experiment("refused")).info.run_id
    remote.log_batch(run_id, params=[Param("lr", "0.1")])
    server.stop()
    missing_run = uuid.uuid4().hex
    remote.log_batch(missing_run, metrics=[Metric("loss", 1.0, 1, 0)])
    remote.log_batch(run_id, params=[Param("lr", "0.5")])  # conflicts with the logged value
    remote.log_batch(run_id, metrics=[Metric("loss", 2.0, 2, 1)])
    backend.close()

    server.start()
    assert deliver_spooled() == 1  # every spooled server; only the last batch can land
    spool = Spool(server)
    assert spool.pending() == []
    rejected = [json.loads(p.read_text()) for p in spool.rejected()]
    assert sorted(r["rejected"].split(":")[0] for r in rejected) == ["CONFLICT", "NOT_FOUND"]
    assert {r["run_id"] for r in rejected} == {missing_run, run_id}

    check = HttpBackend(server)
    try:
        checked = client_over(check)
        assert [p.value for p in checked.get_metric_history(run_id, "loss")] == [2.0]
        assert checked.get_run(run_id).data.params == {"lr": "0.1"}
    finally:
        check.close()
