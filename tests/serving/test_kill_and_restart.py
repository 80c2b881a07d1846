"""A data plane killed with ``-9`` mid-traffic, then restarted on the same deployment and log.

The kill may lose only the prediction-log records not yet published (the writer's queue and
the file being written, bounded by the deployment's ``queue_size`` plus ``flush_rows``);
what was published stays whole, nothing appears that no client received, and the control
plane's records do not move. A restart serves again with later IDs, and its SIGTERM flushes
every one of them.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

import mlsteward
from mlsteward.domain.prediction_ids import is_prediction_id, prediction_id_time
from mlsteward.services.predictions import PredictionLogReader, PredictionLogWriter

from .conftest import DataPlaneProcess, Store, X

DEPLOYMENT = "clf-killed"
BODY = {
    "inputs": [{"name": "x", "shape": [4, 4], "datatype": "FP32", "data": X[:4].ravel().tolist()}]
}


class Sender:
    """One client thread on one keep-alive connection, sending requests one after another
    and keeping every prediction ID it was answered with, in order; it stops at the first
    request that gets no answer (the data plane died) or when told to."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: list[str] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="kill-test-sender")

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.post(self.url, json=BODY)
                except httpx.TransportError:
                    return
                if response.status_code != 200:
                    self.failures.append(response.text)
                    continue
                with self._lock:
                    self.ids.append(response.headers["x-prediction-id"])

    def received(self) -> list[str]:
        with self._lock:
            return list(self.ids)

    def __enter__(self) -> Sender:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(60)
        assert not self._thread.is_alive(), "the client thread never finished"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _log_folder(store: Store) -> Path:
    return Path(store.log_root) / DEPLOYMENT


def _published(store: Store) -> dict[str, str]:
    """Every file a reader can see in the deployment's log (hidden names are skipped), by
    path, with the SHA-256 of its bytes."""
    folder = _log_folder(store)
    if not folder.exists():
        return {}
    visible = (path.relative_to(folder) for path in sorted(folder.rglob("*")) if path.is_file())
    return {
        str(name): hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in visible
        if not any(part.startswith((".", "_")) for part in name.parts)
    }


def _check_whole(store: Store) -> set[str]:
    """Read every visible file of the log in full: each is a whole Parquet file whose rows
    are sorted and lie within the IDs its name gives. Returns all the IDs."""
    ids: set[str] = set()
    for name in _published(store):
        path = _log_folder(store) / name
        assert path.suffix == ".parquet", name
        rows = pq.read_table(path).column("prediction_id").to_pylist()
        first, last = path.name[len("part-") :][:36], path.name[len("part-") + 37 :][:36]
        assert rows and rows == sorted(rows), name
        assert (rows[0], rows[-1]) == (first, last), name
        assert ids.isdisjoint(rows), f"{name} repeats IDs"
        ids.update(rows)
    return ids


def _logged(store: Store) -> set[str]:
    """The deployment's IDs as the platform's reader returns them."""
    table = PredictionLogReader(store.log_root).query(
        DEPLOYMENT, 0, int(time.time() * 1000) + 60_000
    )
    return set(table.column("prediction_id").to_pylist())


def _control_plane(client: mlsteward.Client) -> tuple[Any, ...]:
    """What the control plane keeps about the deployment and the model it serves."""
    return (
        client.deployments.get(DEPLOYMENT),
        client.deployments.plan(DEPLOYMENT),
        client.deployments.history(DEPLOYMENT),
        client.get_registered_model("clf"),
        client.search_model_versions("name='clf'"),
    )


@pytest.fixture
def deployment(store: Store) -> Iterator[mlsteward.Client]:
    client = store.client()
    client.set_registered_model_alias("clf", "champion", 1)
    client.deployments.create(DEPLOYMENT, "models:/clf@champion", reason="kill test")
    yield client
    client.deployments.delete(DEPLOYMENT, reason="kill test done")


def test_kill_9_loses_at_most_the_unpublished_window_and_a_restart_serves(
    store: Store, deployment: mlsteward.Client
) -> None:
    client = deployment
    before = _control_plane(client)
    # The bound in force: the plan's queue plus one file being written, per worker process
    # (one here). The flush interval (1 s) is the writer's; the plan does not set it.
    flush_rows = inspect.signature(PredictionLogWriter).parameters["flush_rows"].default
    most_lost = client.deployments.plan(DEPLOYMENT).log.queue_size + flush_rows
    args = [DEPLOYMENT, "--tracking-uri", store.uri, "--plan-interval", "0.2"]

    plane = DataPlaneProcess(args, store.home).start()
    try:
        assert plane.process is not None
        with Sender(f"{plane.url}/v2/models/{DEPLOYMENT}/infer") as sender:
            _wait_for(lambda: len(sender.received()) >= 50 and _published(store), "a flush")
            # more answers after that flush, so the kill finds records waiting
            answered = len(sender.received())
            _wait_for(lambda: len(sender.received()) >= answered + 300, "more answers")
            os.killpg(plane.process.pid, signal.SIGKILL)
            assert plane.process.wait(30) == -signal.SIGKILL
        received = sender.received()
    finally:
        plane.stop()
    assert sender.failures == []
    assert received == sorted(received)  # one connection, one process: IDs in time order

    published = _published(store)
    in_files = _check_whole(store)
    logged = _logged(store)
    assert logged == in_files
    assert logged <= set(received), "the log holds IDs no client received"
    newest = max(logged)
    assert [i for i in received if i <= newest] == sorted(logged), "a published file is partial"
    lost = [i for i in received if i > newest]
    assert len(lost) <= most_lost
    assert _control_plane(client) == before

    restarted = DataPlaneProcess(args, store.home).start()
    try:
        with httpx.Client(timeout=30) as http:
            answers = [
                http.post(f"{restarted.url}/v2/models/{DEPLOYMENT}/infer", json=BODY)
                for _ in range(40)
            ]
        assert restarted.terminate() == 0
    finally:
        restarted.stop()
    assert [a.status_code for a in answers] == [200] * len(answers)
    assert [a.json()["model_version"] for a in answers] == ["1"] * len(answers)
    new = [a.headers["x-prediction-id"] for a in answers]
    assert all(is_prediction_id(i) for i in new)
    assert min(new) > max(received), "the restart's IDs are not later than the old ones"
    assert prediction_id_time(min(new)) >= prediction_id_time(max(received))

    after = _published(store)
    assert {name: after[name] for name in published} == published  # old files untouched
    assert _check_whole(store) == _logged(store) == logged | set(new)
    assert _control_plane(client) == before
