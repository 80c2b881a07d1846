"""Where a data plane's prediction records go: the prediction log's writer, or nowhere.

The writer queues records and writes them from a thread of its own, so ``submit`` never
blocks a request; a full queue drops the record and counts it (``stats()["dropped"]``).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol, cast

from mlsteward.domain.deployments import LogSettings
from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.domain.predictions import PredictionRecord

if TYPE_CHECKING:
    from mlsteward.interfaces.serving.versions import ServedVersion


class PredictionSink(Protocol):
    """The prediction log as the data plane uses it."""

    def submit(self, record: PredictionRecord) -> bool: ...

    def close(self, timeout: float = 10.0) -> bool: ...

    def stats(self) -> dict[str, int]: ...


class NoLog:
    """The sink of a deployment whose prediction log is off: counts, keeps nothing."""

    def __init__(self) -> None:
        self._submitted = 0

    def submit(self, record: PredictionRecord) -> bool:
        self._submitted += 1
        return False

    def close(self, timeout: float = 10.0) -> bool:
        return True

    def stats(self) -> dict[str, int]:
        return {"submitted": self._submitted, "sampled_out": self._submitted}


def open_sink(root: str, settings: LogSettings) -> PredictionSink:
    """The started writer for ``root`` with the plan's queue bound and sample rate."""
    if not settings.enabled or not root:
        return NoLog()
    from mlsteward.services.predictions import PredictionLogWriter

    writer = PredictionLogWriter(
        root, queue_size=settings.queue_size, sample_rate=settings.sample_rate
    )
    return writer.start()


class ShadowingSink:
    """The data plane's sink: records go to ``inner``; while the plan has shadow versions,
    each answered record's inputs are also run by them, on a thread of this sink's own (off
    the request path, after the answer was sent), and their answers are logged with route
    ``shadow`` under a prediction ID of their own (``shadow_of`` names the answered one),
    never returned. A full queue skips the copy and counts it
    (``stats()["shadow_dropped"]``)."""

    def __init__(self, inner: PredictionSink, queue_size: int = 1_000) -> None:
        self.inner = inner
        self.shadows: tuple[ServedVersion, ...] = ()
        self._queue: queue.Queue[PredictionRecord | None] = queue.Queue(queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.shadow_runs = 0
        self.shadow_dropped = 0

    def submit(self, record: PredictionRecord) -> bool:
        accepted = self.inner.submit(record)
        if self.shadows and record.status < 500 and record.route != "shadow":
            self._start()
            try:
                self._queue.put_nowait(record)
            except queue.Full:
                self.shadow_dropped += 1
        return accepted

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="mlsteward-shadow", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            record = self._queue.get()
            if record is None:
                return
            for served in self.shadows:
                self.inner.submit(shadow_record(served, record))
                self.shadow_runs += 1

    def close(self, timeout: float = 10.0) -> bool:
        """Finish the queued copies, then close the log."""
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)
            self._thread = None
        return self.inner.close(timeout)

    def stats(self) -> dict[str, int]:
        return {
            **self.inner.stats(),
            "shadow_runs": self.shadow_runs,
            "shadow_dropped": self.shadow_dropped,
        }


def shadow_record(served: ServedVersion, record: PredictionRecord) -> PredictionRecord:
    """``served``'s answer to the request ``record`` logged, as a record of route shadow
    whose ``shadow_of`` is ``record``'s prediction ID."""
    started = time.perf_counter()
    runner = served.runner
    status, error, outputs = 200, None, {}
    try:
        layout = runner.layout
        batch = {
            name: layout.values(layout.slot_named(name), values)
            for name, values in record.inputs.items()
        }
        answer = runner.predict(batch, record.rows, runner.default_outputs)
        outputs = cast(dict[str, list[Any]], dict(answer))  # the log keeps arrays' bytes
    except Exception as failure:  # the candidate's failure is evidence, not an outage
        status = 500
        error = f"The model failed on this request: {type(failure).__name__}: {failure}"
    return PredictionRecord(
        prediction_id=new_prediction_id(),
        deployment=served.deployment,
        model_name=served.model_name,
        model_version=served.version,
        route="shadow",
        time_ms=int(time.time() * 1000),
        latency_ms=(time.perf_counter() - started) * 1000.0,
        rows=record.rows,
        inputs=record.inputs,
        outputs=outputs,
        status=status,
        error=error,
        shadow_of=record.prediction_id,
    )
