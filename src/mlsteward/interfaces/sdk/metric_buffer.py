"""Background batching of metric points, so ``log_metric`` never waits on I/O.

``add`` appends to a deque (atomic in CPython) and returns. A writer thread drains the deque
in batches, grouped by run, into the backend. ``flush`` enqueues a marker and waits until the
writer has passed it, which means every point added before the call has been written.

No accepted point is dropped:

* Memory is bounded: past ``max_pending`` points, ``add`` blocks until the writer catches up.
* A batch the backend could not take because it was unavailable, or because the place that
  must hold it is full or unwritable (a spool folder on a full disk, a server out of space),
  stays in memory and is retried with backoff under one idempotency key, so a retry never
  writes it twice. Meanwhile the queue fills and ``add`` blocks, as with a slow store.
* Storage that stays unwritable for ``give_up_after`` seconds makes ``add`` (once the queue
  is full) and ``flush`` raise :class:`PointsNotPersistedError`, which says how many points
  are not stored and why; the points stay queued and are still retried. ``flush`` first has
  the writer try once more, so it succeeds as soon as space is freed.
* Points the backend rejected (a deleted run, say) are reported by the next ``flush``.
* ``close`` stops the writer for good: while storage still refuses points, the writer tries
  once more, then gives them up and exits, and ``close`` raises
  :class:`PointsNotPersistedError` naming how many were not stored. It never keeps retrying
  in the background against a backend that is closing (a notebook, ``fluent.reset()``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from mlsteward.domain.entities import Metric
from mlsteward.domain.errors import (
    InsufficientStorageError,
    MlstewardError,
    UnavailableError,
    wire_int,
)

log = logging.getLogger(__name__)

#: (run_id, points, idempotency key): the key is the same on every retry of one batch.
Sink = Callable[[str, Sequence[Metric], str], None]

DEFAULT_MAX_PENDING = 1_000_000
#: How long storage may stay unwritable before ``flush`` and a blocked ``add`` raise.
DEFAULT_GIVE_UP_S = 60.0
_POLL_S = 0.1
_RETRY_FIRST_S = 0.05
_RETRY_MAX_S = 5.0
#: How long ``close`` waits for the writer to finish the write it is in.
_CLOSE_JOIN_S = 5.0


class PointsNotPersistedError(InsufficientStorageError):
    """Accepted metric points are not stored yet because their storage cannot be written.

    ``pending`` is how many; they stay in memory and the writer keeps retrying them.
    """

    def __init__(self, message: str, pending: int = 0) -> None:
        super().__init__(message)
        self.pending = pending

    def details(self) -> dict[str, Any]:
        return {"pending": self.pending}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        return cls(message, wire_int(details.get("pending")) or 0)


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
        max_pending: int | None = None,
        flush_interval: float = 1.0,
        give_up_after: float | None = None,
    ) -> None:
        self._sink = sink
        self._batch_size = batch_size
        self._max_pending = max_pending or DEFAULT_MAX_PENDING
        self._interval = flush_interval
        self._give_up_after = DEFAULT_GIVE_UP_S if give_up_after is None else give_up_after
        self._queue: deque[tuple[str, Metric] | _Marker] = deque()
        self._wake = threading.Event()
        self._room = threading.Condition()
        self._errors: list[MlstewardError] = []
        self._in_flight = 0  # points taken off the queue and not yet written
        self._stalled_since: float | None = None  # when storage started refusing writes
        self._stall: InsufficientStorageError | None = None
        self._refusals = 0  # storage failures so far: a waiter gives up only after a new one
        self._retry_now = threading.Event()  # cuts the writer's backoff short
        self._closed = False
        self._lost: PointsNotPersistedError | None = None  # points given up at close
        self._thread = threading.Thread(target=self._run, name="mlsteward-metrics", daemon=True)
        self._thread.start()

    def add(self, run_id: str, metric: Metric) -> None:
        """Queue one point; blocks only when ``max_pending`` points are already waiting.

        Raises :class:`PointsNotPersistedError` (without queueing this point) when the queue
        is full because storage has refused writes for ``give_up_after`` seconds.
        """
        queue = self._queue
        if len(queue) >= self._max_pending:
            self._wait_for_room()
        queue.append((run_id, metric))
        if len(queue) >= self._batch_size and not self._wake.is_set():
            self._wake.set()

    def _wait_for_room(self) -> None:
        self._wake.set()
        refusals = self._refusals
        with self._room:
            while len(self._queue) >= self._max_pending and self._thread.is_alive():
                self._raise_if_given_up(refusals)
                self._room.wait(_POLL_S)

    def pending(self) -> int:
        """Points accepted and not yet written (queued or being written)."""
        return self._in_flight + sum(1 for item in tuple(self._queue) if type(item) is tuple)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until all points added so far are written; raise what the backend rejected.

        Raises :class:`PointsNotPersistedError` when storage has refused writes for
        ``give_up_after`` seconds (the points stay queued and retried), and
        :class:`UnavailableError` when ``timeout`` passes first.
        """
        marker = _Marker()
        self._queue.append(marker)
        refusals = self._refusals
        self._wake.set()
        self._retry_now.set()  # space may have been freed: try again at once
        deadline = None if timeout is None else time.monotonic() + timeout
        while not marker.done.wait(_POLL_S):
            self._raise_if_given_up(refusals)
            if not self._thread.is_alive() and not marker.done.is_set():
                self._raise_if_closed_with_points()
                break  # closed, with nothing left to write
            if deadline is not None and time.monotonic() >= deadline:
                raise UnavailableError(
                    f"Metrics not yet written after {timeout} s; {self.pending()} points are "
                    "still queued and will be retried"
                )
        if self._lost is not None:
            raise self._lost
        if self._errors:
            errors, self._errors = self._errors, []
            first = errors[0]
            raise type(first)(
                f"{len(errors)} metric batch(es) were rejected; first: {first.message}"
            )

    def _raise_if_closed_with_points(self) -> None:
        """Raise when the writer has stopped with points that it will never write."""
        if self._lost is not None:
            raise self._lost
        pending = self.pending()
        if pending:
            raise PointsNotPersistedError(
                f"{pending} metric points are not stored: the metric writer is closed", pending
            )

    def _raise_if_given_up(self, refusals: int) -> None:
        """Raise when storage has refused writes for ``give_up_after`` seconds, and again
        since the caller started waiting (``refusals`` is the count it saw then)."""
        since, cause = self._stalled_since, self._stall
        if since is None or cause is None or self._refusals <= refusals:
            return
        if time.monotonic() - since < self._give_up_after:
            return
        pending = self.pending()
        raise PointsNotPersistedError(
            f"{pending} metric points are not stored yet: {cause.message}. They are kept in "
            "memory and retried while this process runs; they are lost if it exits first.",
            pending,
        )

    def close(self, timeout: float = 60.0) -> None:
        """Flush, then stop the writer thread for good.

        When storage still refuses points (``flush`` gave up or ``timeout`` passed), the
        writer tries once more, then gives up what is left and exits; ``close`` raises
        :class:`PointsNotPersistedError` saying how many points were not stored and why.
        """
        try:
            self.flush(timeout)
        except (InsufficientStorageError, UnavailableError) as error:
            self._stop()
            lost = self._lost or self._unfinished(error)
            if lost is not None:
                raise lost from error
            return  # the last attempt stored everything
        except BaseException:
            self._stop()
            raise
        self._stop()

    def _stop(self) -> None:
        """Make the writer exit: it finishes what it can and gives up at the next refusal."""
        self._closed = True
        self._wake.set()
        self._retry_now.set()
        self._thread.join(_CLOSE_JOIN_S)

    def _unfinished(self, error: MlstewardError) -> PointsNotPersistedError | None:
        """The error for points still unwritten while the writer is stuck in a write."""
        pending = self.pending()
        if not self._thread.is_alive() or not pending:
            return None
        return PointsNotPersistedError(
            f"{pending} metric points are not stored: {error.message}. The metric writer is "
            "closed; it gives them up unless the write it is in succeeds.",
            pending,
        )

    # -- writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()
            if self._lost is not None or (self._closed and not self._queue):
                return

    def _drain(self) -> None:
        queue = self._queue
        while queue and self._lost is None:
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
            self._in_flight = count
            for run_id, points in batch.items():
                failure = self._write(run_id, points)
                if failure is not None:  # closed while storage refuses: stop for good
                    self._give_up(failure, markers)
                    return
                self._in_flight -= len(points)
            for marker in markers:
                marker.done.set()
            with self._room:
                self._room.notify_all()

    def _write(self, run_id: str, points: list[Metric]) -> MlstewardError | None:
        """Write one batch, retrying while storage is away or full.

        Returns the last refusal when the buffer was closed meanwhile (the batch is not
        stored and is not retried again), else None (written, or rejected and reported).
        """
        key = uuid.uuid4().hex  # one key for every attempt: a retry cannot write twice
        delay = _RETRY_FIRST_S
        while True:
            refusal: MlstewardError
            try:
                self._sink(run_id, points, key)
            except UnavailableError as error:
                log.warning("Metric store unavailable (%s); retrying in %.1f s", error, delay)
                refusal = error
            except InsufficientStorageError as error:
                self._note_stall(error, len(points))
                refusal = error
            except MlstewardError as error:
                self._errors.append(error)
                self._end_stall()
                return None
            except Exception as error:  # a bug or an unexpected driver error: keep it visible
                log.exception("Writing %d metric points failed", len(points))
                self._errors.append(MlstewardError(f"{type(error).__name__}: {error}"))
                self._end_stall()
                return None
            else:
                self._end_stall()
                return None
            if self._closed:
                return refusal
            self._retry_now.wait(delay)
            self._retry_now.clear()
            delay = min(delay * 2, _RETRY_MAX_S)

    def _give_up(self, refusal: MlstewardError, markers: list[_Marker]) -> None:
        """Drop what is left after a refusal at close, record it as lost, wake every waiter."""
        queue = self._queue
        lost = self._in_flight
        while queue:
            item = queue.popleft()
            if isinstance(item, _Marker):
                markers.append(item)
            else:
                lost += 1
        self._in_flight = 0
        self._lost = PointsNotPersistedError(
            f"{lost} metric points were not stored: {refusal.message}. The metric writer was "
            "closed while storage refused them, so they are given up.",
            lost,
        )
        log.error("%s", self._lost.message)
        for marker in markers:
            marker.done.set()
        with self._room:
            self._room.notify_all()

    def _note_stall(self, error: InsufficientStorageError, points: int) -> None:
        self._stall = error
        self._refusals += 1
        if self._stalled_since is None:
            self._stalled_since = time.monotonic()
            log.warning(
                "Cannot store %d metric points (%s); they stay in memory and writing is "
                "retried (logging blocks once %d points wait)",
                points,
                error.message,
                self._max_pending,
            )

    def _end_stall(self) -> None:
        if self._stalled_since is not None:
            log.warning("Metric points are being stored again")
            self._stalled_since = None
            self._stall = None
