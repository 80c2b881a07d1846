"""Background batching of metric points, so ``log_metric`` never waits on I/O.

``add`` appends to a deque (atomic in CPython) and returns. A writer thread drains the deque
in batches, grouped by run, into the backend. ``flush`` enqueues a marker and waits until the
writer has passed it, which means every point added before the call has been written.

Memory is bounded: past ``max_pending`` points, ``add`` blocks until the writer catches up
rather than dropping anything. Points that failed because the backend was unavailable are
retried with backoff; points the backend rejected (a deleted run, say) are reported by the
next ``flush`` instead of being silently lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from mlsteward.domain.entities import Metric
from mlsteward.domain.errors import MlstewardError, UnavailableError

log = logging.getLogger(__name__)

Sink = Callable[[str, Sequence[Metric]], None]


class _Marker:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class MetricBuffer:
    def __init__(
        self,
        sink: Sink,
        *,
        batch_size: int = 10_000,
        max_pending: int = 1_000_000,
        flush_interval: float = 1.0,
    ) -> None:
        self._sink = sink
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._interval = flush_interval
        self._queue: deque[tuple[str, Metric] | _Marker] = deque()
        self._wake = threading.Event()
        self._room = threading.Condition()
        self._errors: list[MlstewardError] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="mlsteward-metrics", daemon=True)
        self._thread.start()

    def add(self, run_id: str, metric: Metric) -> None:
        """Queue one point; blocks only when ``max_pending`` points are already waiting."""
        queue = self._queue
        queue.append((run_id, metric))
        size = len(queue)
        if size >= self._batch_size and not self._wake.is_set():
            self._wake.set()
        if size >= self._max_pending:
            self._wait_for_room()

    def _wait_for_room(self) -> None:
        self._wake.set()
        with self._room:
            while len(self._queue) >= self._max_pending and self._thread.is_alive():
                self._room.wait(0.1)

    def pending(self) -> int:
        return len(self._queue)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until all points added so far are written; raise what the backend rejected."""
        marker = _Marker()
        self._queue.append(marker)
        self._wake.set()
        if not marker.done.wait(timeout):
            raise UnavailableError(
                f"Metrics not yet written after {timeout} s; {len(self._queue)} points are "
                "still queued and will be retried"
            )
        if self._errors:
            errors, self._errors = self._errors, []
            first = errors[0]
            raise type(first)(
                f"{len(errors)} metric batch(es) were rejected; first: {first.message}"
            )

    def close(self, timeout: float = 60.0) -> None:
        """Flush and stop the writer thread."""
        try:
            self.flush(timeout)
        finally:
            self._closed = True
            self._wake.set()
            self._thread.join(timeout=5)

    # -- writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()
            if self._closed and not self._queue:
                return

    def _drain(self) -> None:
        queue = self._queue
        while queue:
            batch: dict[str, list[Metric]] = {}
            markers: list[_Marker] = []
            count = 0
            while queue and count < self._batch_size:
                item = queue.popleft()
                if isinstance(item, _Marker):
                    markers.append(item)
                    break  # write what precedes the marker, then release it
                batch.setdefault(item[0], []).append(item[1])
                count += 1
            for run_id, points in batch.items():
                self._write(run_id, points)
            for marker in markers:
                marker.done.set()
            with self._room:
                self._room.notify_all()

    def _write(self, run_id: str, points: list[Metric]) -> None:
        delay = 0.05
        while True:
            try:
                self._sink(run_id, points)
                return
            except UnavailableError as error:
                log.warning("Metric store unavailable (%s); retrying in %.1f s", error, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            except MlstewardError as error:
                self._errors.append(error)
                return
            except Exception as error:  # a bug or an unexpected driver error: keep it visible
                log.exception("Writing %d metric points failed", len(points))
                self._errors.append(MlstewardError(f"{type(error).__name__}: {error}"))
                return
