"""Closing the metric buffer while storage refuses points stops its writer thread for good.

The writer tries once more, gives up what is left and exits; ``close`` raises
:class:`PointsNotPersistedError` naming how many points were not stored and why. It never
keeps retrying in the background against a backend that is closing (a notebook that resets
the SDK, a test suite). Shown on the buffer itself and through the fluent API, against a
server whose spool folder refuses writes and against a local store that refuses them.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import mlsteward
from mlsteward.domain.entities import Metric
from mlsteward.domain.errors import InsufficientStorageError, UnavailableError
from mlsteward.interfaces.sdk import fluent, metric_buffer, spool
from mlsteward.interfaces.sdk.metric_buffer import MetricBuffer, PointsNotPersistedError
from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.services.tracking import operations_runs as run_ops
from mlsteward.testing.server_process import ServerURL, running_server

WRITER = "mlsteward-metrics"
#: Bounds a wait that the fix makes immediate; without it the writer never ends.
JOIN_S = 30.0


class RefusingSink:
    """A store that refuses every write with ``error``; counts the attempts."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0

    def __call__(self, run_id: str, points: Sequence[Metric], key: str) -> None:
        self.attempts += 1
        raise self.error


def _writers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == WRITER}


def _assert_ended(threads: set[threading.Thread]) -> None:
    for thread in threads:
        thread.join(JOIN_S)
    assert not [t for t in threads if t.is_alive()], "a metric writer thread kept running"


@pytest.mark.parametrize(
    "refusal",
    [
        InsufficientStorageError("No space left on device: /data/spool (hostile ../ path)"),
        UnavailableError("Cannot reach the metric store"),
    ],
)
def test_close_while_refusing_ends_the_writer_and_names_the_points(refusal: Exception) -> None:
    sink = RefusingSink(refusal)
    buffer = MetricBuffer(sink, flush_interval=0.01, give_up_after=0.0)
    writer = buffer._thread
    for step in range(25):
        buffer.add("run-1", Metric("loss", float("nan") if step == 3 else 1.0, 0, step))
    buffer.add("run-2", Metric("acc", float("inf"), 0, 0))

    with pytest.raises(PointsNotPersistedError) as caught:
        buffer.close(timeout=0.5)
    _assert_ended({writer})
    assert caught.value.pending == 26
    assert "26 metric points were not stored" in caught.value.message
    assert str(refusal) in caught.value.message
    attempts = sink.attempts
    assert buffer.pending() == 0  # given up, not queued forever
    with pytest.raises(PointsNotPersistedError, match="26 metric points were not stored"):
        buffer.flush()  # a later flush says so too, instead of waiting for a dead thread
    assert sink.attempts == attempts


def test_close_after_storage_returns_loses_nothing() -> None:
    written: list[Metric] = []
    refusing = [True]

    def sink(run_id: str, points: Sequence[Metric], key: str) -> None:
        if refusing[0]:
            refusing[0] = False  # refuses once, then takes everything
            raise InsufficientStorageError("full for a moment")
        written.extend(points)

    buffer = MetricBuffer(sink, flush_interval=0.01)
    writer = buffer._thread
    for step in range(10):
        buffer.add("run", Metric("loss", 1.0, 0, step))
    buffer.close()
    _assert_ended({writer})
    assert [p.step for p in written] == list(range(10))


class RefusingDisk:
    """Stands in for the spool's low-level write: the disk is always full."""

    def __call__(self, path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerURL]:
    with running_server(tmp_path / "server" / "mlsteward.db", tmp_path / "artifacts") as url:
        yield url


def _log_then_reset(
    uri: str, capsys: pytest.CaptureFixture[str], refuse: Callable[[], None]
) -> str:
    """Log points, make storage refuse them, reset the SDK; returns what it printed."""
    before = _writers()
    mlsteward.set_tracking_uri(uri)
    mlsteward.set_experiment("closing-while-full")
    mlsteward.start_run(log_environment=False)
    refuse()
    for step in range(50):
        mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
    started = _writers() - before
    assert started
    fluent.reset()  # a notebook's "start over": the backend closes under the writer
    _assert_ended(started)
    return capsys.readouterr().err


@pytest.mark.server
def test_reset_while_the_spool_refuses_stops_the_writer(
    server: ServerURL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(metric_buffer, "DEFAULT_GIVE_UP_S", 0.0)

    def refuse() -> None:
        server.stop()
        monkeypatch.setattr(spool, "_write_atomically", RefusingDisk())

    printed = _log_then_reset(server, capsys, refuse)
    assert "50 metric points were not stored" in printed
    assert str(spool.Spool(server).directory) in printed


def test_reset_while_the_local_store_refuses_stops_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(metric_buffer, "DEFAULT_GIVE_UP_S", 0.0)
    call = InProcessTransport.call

    def refusing_call(self: InProcessTransport, operation: Any, request: Any) -> Any:
        if operation is run_ops.log_batch and request.body.metrics:
            raise InsufficientStorageError("The disk holding the database is full")
        return call(self, operation, request)

    def refuse() -> None:
        monkeypatch.setattr(InProcessTransport, "call", refusing_call)

    printed = _log_then_reset(str(tmp_path / "store"), capsys, refuse)
    assert "50 metric points were not stored" in printed
    assert "The disk holding the database is full" in printed
