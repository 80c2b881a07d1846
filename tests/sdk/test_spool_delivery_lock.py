"""Deliveries of one spool never overlap, across processes and threads.

Every program that uses a server delivers its spool in the background, ``mlsteward sync``
delivers it too and a closing client tries once more. Without coordination a slow delivery
could resend an older change after newer ones: a tag set, removed and set again could end up
removed. Each delivery therefore holds the spool's lock file from its first change to its
last; the changes arrive once each, in the order they were made.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward import Client, RunStatus
from mlsteward.domain.entities import Metric, RunTag
from mlsteward.interfaces.sdk import http_backend
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.spool import (
    DELETE_TAG,
    LOG_BATCH,
    UPDATE_RUN,
    Spool,
    SpoolBusyError,
    deliver_spooled,
)
from mlsteward.interfaces.sdk.spool_lock import DeliveryLock
from mlsteward.services.api import wire
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROUNDS = 12
TAG = "phase/with spaces:and-colons"  # a hostile key, as a user may name a tag
#: Bounds waits that end at once when all is well; they never decide a test by time.
LIMIT_S = 120.0
END_TIME = 4_102_444_800_000  # 2100-01-01: the run's end, fixed when it was spooled

# A deliverer that records each change as it sends it, and sends slowly: without the lock
# the other process's delivery would run beside it and send the same changes again.
DELIVERER = """
import json, os, sys, time
from pathlib import Path

from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.interfaces.sdk.spool import SYNC_WAIT_S, Spool, sender_for

url, record, go = sys.argv[1:4]
spool = Spool(url)
with ApiClient(url) as api:
    send = sender_for(api)

    def recording(operation, run_id, body):
        mark = body.get("idempotency_key") or body.get("key") or body.get("status")
        with open(record, "a") as out:  # one short append per line: lines never mix
            out.write(json.dumps([os.getpid(), operation, mark]) + "\\n")
        time.sleep(0.02)
        send(operation, run_id, body)

    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    report = spool.deliver(recording, wait=SYNC_WAIT_S)
    print(json.dumps({"delivered": report.delivered, "busy": report.busy}), flush=True)
"""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds; fail (not flake) only if it never does."""
    deadline = time.monotonic() + LIMIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerURL]:
    with running_server(tmp_path / "server" / "mlsteward.db", tmp_path / "artifacts") as url:
        yield url


def _new_run(url: str) -> str:
    client = Client(url)
    experiment_id = client.create_experiment(f"lock-{uuid.uuid4().hex[:8]}")
    return client.create_run(experiment_id).info.run_id


def _set(spool: Spool, run_id: str, value: str, step: int | None = None) -> tuple[str, str]:
    key = uuid.uuid4().hex
    body: dict[str, object] = {"idempotency_key": key, "tags": [{"key": TAG, "value": value}]}
    if step is not None:
        body["metrics"] = wire.metric_columns([Metric("loss", 1.0 / (step + 1), step, step)])
    spool.add(run_id, body, LOG_BATCH)
    return LOG_BATCH, key


def _spool_history(url: str, run_id: str) -> list[tuple[str, str]]:
    """Spool ROUNDS of "set, remove, set again", then the run's end (at END_TIME); returns
    the changes in the order they were made."""
    spool = Spool(url)
    changes = []
    for step in range(ROUNDS):
        changes.append(_set(spool, run_id, f"first-{step}", step))
        spool.add(run_id, {"key": TAG}, DELETE_TAG)
        changes.append((DELETE_TAG, TAG))
        changes.append(_set(spool, run_id, f"again-{step}"))
    spool.add(run_id, {"status": "FINISHED", "end_time": END_TIME}, UPDATE_RUN)
    changes.append((UPDATE_RUN, "FINISHED"))
    return changes


def _check_final_state(url: str, run_id: str) -> None:
    run = Client(url).get_run(run_id)
    assert run.data.tags[TAG] == f"again-{ROUNDS - 1}"  # not removed by a late resend
    assert run.info.status is RunStatus.FINISHED
    assert run.info.end_time == END_TIME
    history = Client(url).get_metric_history(run_id, "loss")
    assert [p.step for p in history] == list(range(ROUNDS))


def test_two_processes_delivering_one_spool_send_each_change_once_in_order(
    server: ServerURL, tmp_path: Path
) -> None:
    run_id = _new_run(server)
    server.stop()  # as after an outage: everything below waits in the spool
    changes = _spool_history(server, run_id)
    server.start()
    script = tmp_path / "deliver.py"
    script.write_text(textwrap.dedent(DELIVERER))
    record, go = tmp_path / "record.jsonl", tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), server, str(record), str(go)],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        go.touch()  # both start delivering together
        outcomes = []
        for process in processes:
            out, err = process.communicate(timeout=LIMIT_S)
            assert process.returncode == 0, err
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    sent = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(operation, mark) for _, operation, mark in sent] == changes
    assert len({pid for pid, _, _ in sent}) == 1  # one delivery did it all; the other waited
    assert sorted(o["delivered"] for o in outcomes) == [0, len(changes)]
    assert not any(o["busy"] for o in outcomes)
    assert Spool(server).pending() == [] and Spool(server).rejected() == []
    _check_final_state(server, run_id)


class HoldingTransport(httpx.BaseTransport):
    """The network, except that the first request of method ``hold`` waits for ``release``:
    a delivery stuck on a slow change. Records every request it is asked to send."""

    def __init__(self, hold: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.hold: str | None = hold
        self.held = threading.Event()
        self.release = threading.Event()
        self.requests: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.method == self.hold:
            self.hold = None
            self.held.set()
            self.release.wait(LIMIT_S)
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Left open for the held request; the test closes ``inner`` at the end."""


def test_close_never_delivers_beside_its_own_slow_deliverer(
    server: ServerURL, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(http_backend, "_CLOSE_JOIN_S", 0.1)
    transport = HoldingTransport(hold="DELETE")
    backend = HttpBackend(server, transport=transport)
    remote = client_over(backend)
    try:
        rid = remote.create_run(remote.create_experiment("close")).info.run_id
        server.stop()
        remote.log_batch(rid, tags=[RunTag(TAG, "set")])
        remote.delete_tag(rid, TAG)
        remote.log_batch(rid, tags=[RunTag(TAG, "set again")])
        assert backend.spooled_batches() == 3
        server.start()
        wait_for(transport.held.is_set, "the background delivery to reach the tag removal")
        sent_before_close = len(transport.requests)

        with caplog.at_level(logging.WARNING, logger=http_backend.__name__):
            backend.close()  # its own deliverer still holds the spool: close sends nothing
        assert len(transport.requests) == sent_before_close
        assert "while another delivery" in caplog.text
        assert backend.spooled_batches() == 2  # the removal (in flight) and the last set

        transport.release.set()  # the slow removal lands now, before anything newer
        wait_for(lambda: backend.spooled_batches() == 1, "the removal to be delivered")
        assert deliver_spooled(server) == 1
    finally:
        transport.release.set()
        transport.inner.close()
    assert Client(server).get_run(rid).data.tags[TAG] == "set again"


def test_sync_waits_for_a_delivery_under_way_and_says_so_if_it_lasts(
    server: ServerURL, tmp_path: Path
) -> None:
    run_id = _new_run(server)
    server.stop()
    changes = _spool_history(server, run_id)
    server.start()
    spool = Spool(server)
    lock = DeliveryLock(spool.directory)
    assert lock.acquire()  # another delivery is under way
    try:
        with pytest.raises(SpoolBusyError) as caught:
            deliver_spooled(server, wait=0.2)
        assert str(spool.directory) in caught.value.message
        assert f"{len(changes)} change(s) wait" in caught.value.message
        assert len(spool.pending()) == len(changes)  # nothing sent beside it
    finally:
        lock.release()

    # A holder that dies (killed mid-delivery) lets the next delivery in.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from mlsteward.interfaces.sdk.spool_lock import DeliveryLock\n"
            "assert DeliveryLock(Path(sys.argv[1])).acquire()\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
            str(spool.directory),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not DeliveryLock(spool.directory).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert deliver_spooled(server) == len(changes)
    _check_final_state(server, run_id)
