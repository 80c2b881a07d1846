"""No accepted point is lost when the disk that must hold it is full.

Against a server that is down, points go to the spool folder; with that folder's disk full,
logging blocks and retries, or fails loudly (naming the folder and how many points are not
stored yet), and every point arrives once space frees and the server returns. The same holds
for the local door, a SQLite store on a full disk. A refusing disk is simulated by a hook on
the spool's low-level write, and made real with a small tmpfs when the test may mount one.
"""

from __future__ import annotations

import errno
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import mlsteward
from mlsteward import Client, RunStatus
from mlsteward.domain.errors import InsufficientStorageError
from mlsteward.interfaces.sdk import metric_buffer, spool
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.metric_buffer import PointsNotPersistedError
from mlsteward.interfaces.sdk.spool_lock import LOCK_NAME
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

POINTS = 20_000


def wait_for(condition: Callable[[], bool], what: str, limit_s: float = 120.0) -> None:
    """Poll until ``condition`` holds; fail (not flake) only if it never does."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class RefusingDisk:
    """Stands in for the spool's low-level write: raises ENOSPC while ``full``."""

    def __init__(self) -> None:
        self._write = spool._write_atomically
        self.full = True
        self.refused = 0

    def __call__(self, path: Path, data: bytes) -> None:
        if self.full:
            self.refused += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        self._write(path, data)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerURL]:
    with running_server(tmp_path / "server" / "mlsteward.db", tmp_path / "artifacts") as url:
        yield url


@pytest.fixture
def small_disk(mount_tmpfs: Callable[[str], Path]) -> Path:
    """A 4 MiB tmpfs mounted for this test (skipped where mounting is not allowed)."""
    return mount_tmpfs("4m")


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; returns the file to delete to free it again."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as handle:
        while chunk:
            try:
                handle.write(chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC
                chunk = chunk[: len(chunk) // 2]
    return filler


def assert_no_half_files(folder: Path) -> None:
    """Every file in the spool is a whole change: nothing half-written by the full disk."""
    for path in folder.rglob("*"):
        if path.is_file() and path.name != LOCK_NAME:  # the delivery lock is empty
            assert not path.name.endswith(".part"), path
            json.loads(path.read_bytes())


def test_unwritable_spool_blocks_logging_and_loses_nothing(
    server: ServerURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    max_pending = 2_000
    monkeypatch.setattr(metric_buffer, "DEFAULT_MAX_PENDING", max_pending)
    monkeypatch.setattr(metric_buffer, "DEFAULT_GIVE_UP_S", 3600.0)  # block, never give up
    mlsteward.set_tracking_uri(server)
    mlsteward.set_experiment("spool-full")
    with mlsteward.start_run(log_environment=False) as run:
        run_id = run.info.run_id
        server.stop()
        disk = RefusingDisk()
        monkeypatch.setattr(spool, "_write_atomically", disk)

        logged = 0
        failure: list[BaseException] = []

        def train() -> None:
            nonlocal logged
            try:
                for step in range(POINTS):
                    mlsteward.log_metric("loss", 1.0 / (step + 1), step=step, run_id=run_id)
                    logged += 1
            except BaseException as error:  # reported by the main thread
                failure.append(error)

        trainer = threading.Thread(target=train)
        trainer.start()
        wait_for(
            lambda: disk.refused >= 3 and run.buffer.pending() >= max_pending,
            "log_metric to block on the full spool",
        )
        # Blocked rather than dropping: the loop cannot finish while nothing can be stored.
        assert trainer.is_alive() and logged < POINTS
        assert run.buffer.pending() <= 2 * max_pending  # memory stays bounded
        disk.full = False  # space frees
        trainer.join(timeout=300)
        assert not trainer.is_alive() and not failure, failure
        assert logged == POINTS
        mlsteward.flush()  # written to the spool now
        server.start()
    backend = run.backend
    assert isinstance(backend, HttpBackend)
    wait_for(lambda: backend.spooled_batches() == 0, "the spool to drain")

    client = Client(server)
    stored = client.get_run(run_id)
    assert stored.info.status is RunStatus.FINISHED
    history = client.get_metric_history(run_id, "loss")
    assert [p.step for p in history] == list(range(POINTS))


def test_spool_unwritable_past_the_deadline_fails_loudly_and_keeps_the_points(
    server: ServerURL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metric_buffer, "DEFAULT_MAX_PENDING", 1_000)
    monkeypatch.setattr(metric_buffer, "DEFAULT_GIVE_UP_S", 0.5)
    mlsteward.set_tracking_uri(server)
    mlsteward.set_experiment("spool-full-loud")
    run = mlsteward.start_run(log_environment=False)
    run_id = run.info.run_id
    server.stop()
    disk = RefusingDisk()
    monkeypatch.setattr(spool, "_write_atomically", disk)
    folder = spool.Spool(server).directory

    accepted = 0
    with pytest.raises(PointsNotPersistedError) as at_log:
        for step in range(5_000):
            mlsteward.log_metric("loss", float(step), step=step)
            accepted += 1
    assert 0 < accepted < 5_000
    assert at_log.value.pending == accepted
    assert f"{accepted} metric points are not stored yet" in at_log.value.message
    assert str(folder) in at_log.value.message
    assert isinstance(at_log.value, InsufficientStorageError)  # HTTP 507, an MlstewardError

    with pytest.raises(PointsNotPersistedError, match="metric points are not stored yet"):
        mlsteward.flush()
    with pytest.raises(PointsNotPersistedError) as at_end:
        mlsteward.end_run()  # the run is not marked ended while its points are missing
    assert str(folder) in at_end.value.message
    # A synchronous change that cannot be spooled fails at the call, naming the folder.
    with pytest.raises(spool.SpoolUnwritableError, match=str(folder)):
        mlsteward.log_param("lr", "0.1", run_id=run_id)

    disk.full = False
    server.start()
    mlsteward.flush()  # the writer kept retrying: nothing was dropped
    backend = run.backend
    assert isinstance(backend, HttpBackend)
    wait_for(lambda: backend.spooled_batches() == 0, "the spool to drain")
    client = Client(server)
    assert [p.step for p in client.get_metric_history(run_id, "loss")] == list(range(accepted))
    assert client.get_run(run_id).info.status is RunStatus.RUNNING


def test_full_spool_disk_then_space_and_server_return(
    server: ServerURL, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSTEWARD_HOME", str(small_disk / "home"))
    monkeypatch.setattr(metric_buffer, "DEFAULT_GIVE_UP_S", 0.5)
    mlsteward.set_tracking_uri(server)
    mlsteward.set_experiment("real-full-disk")
    with mlsteward.start_run(log_environment=False) as run:
        run_id = run.info.run_id
        server.stop()
        filler = fill(small_disk)
        for step in range(POINTS):
            mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
        folder = spool.Spool(server).directory
        with pytest.raises(PointsNotPersistedError) as caught:
            mlsteward.flush()
        assert f"{POINTS} metric points are not stored yet" in caught.value.message
        assert str(folder) in caught.value.message
        assert_no_half_files(small_disk / "home")

        filler.unlink()  # space frees
        mlsteward.flush()
        assert_no_half_files(small_disk / "home")
        server.start()
    backend = run.backend
    assert isinstance(backend, HttpBackend)
    wait_for(lambda: backend.spooled_batches() == 0, "the spool to drain")
    client = Client(server)
    assert client.get_run(run_id).info.status is RunStatus.FINISHED
    assert [p.step for p in client.get_metric_history(run_id, "loss")] == list(range(POINTS))


def test_full_disk_under_a_local_store_blocks_then_loses_nothing(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metric_buffer, "DEFAULT_GIVE_UP_S", 0.5)
    store = small_disk / "store"
    mlsteward.set_tracking_uri(str(store))
    mlsteward.set_experiment(f"local-full-{uuid.uuid4().hex[:6]}")
    with mlsteward.start_run(log_environment=False) as run:
        run_id = run.info.run_id
        mlsteward.log_metric("loss", 1.0, step=0)
        mlsteward.flush()
        filler = fill(small_disk)
        for step in range(1, POINTS):
            mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
        with pytest.raises(PointsNotPersistedError) as caught:
            mlsteward.flush()
        assert "metric points are not stored yet" in caught.value.message
        assert "full" in caught.value.message
        filler.unlink()
        mlsteward.flush()
    client = Client(str(store))
    assert client.get_run(run_id).info.status is RunStatus.FINISHED
    assert [p.step for p in client.get_metric_history(run_id, "loss")] == list(range(POINTS))
