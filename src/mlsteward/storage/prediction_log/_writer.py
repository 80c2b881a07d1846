"""``PredictionLogWriter``: the data plane's side of the log, off the hot path.

``submit`` costs a counter and a deque append and never waits: when the bounded queue is
full the record is dropped and counted (``dropped``), when sampling leaves it out it is
counted apart (``sampled_out``); a failed prediction (status 500 and above) is never sampled
out. A background thread gathers records into Arrow tables and publishes one Parquet file per
deployment and hour each time ``flush_rows`` records are waiting or ``flush_interval_s`` has
passed since the oldest of them arrived. The thread is woken only for those (never once per
record: a wake-up per request would make it contend for the GIL with the requests it logs).
A write that fails is retried twice, then its records are counted in ``errors``, logged and
handed to ``on_error``.

What a ``kill -9`` loses is what was not yet published: the records of the last
``flush_interval_s`` seconds (plus the time a write takes), at most ``queue_size`` +
``flush_rows`` records, per writer (one per worker process).
"""

from __future__ import annotations

import atexit
import io
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlsteward.domain.prediction_ids import ID_PATTERN, is_prediction_id, prediction_id_time
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import _layout
from mlsteward.storage.prediction_log._schema import parquet_options, predictions_table

logger = logging.getLogger("mlsteward.prediction_log")

#: Rows per Parquet row group: small enough that finding one ID reads little.
ROW_GROUP_ROWS = 1_024
_RETRY_DELAYS_S = (0.2, 1.0)
COUNTS = ("submitted", "dropped", "sampled_out", "written", "errors")
ErrorHandler = Callable[[BaseException, int], None]


class PredictionLogWriter:
    """Writes prediction records to ``root`` in the background (see the module docstring).

    Thread-safe: any number of threads may ``submit``. Call :meth:`start` once (or use it as
    a context manager) and :meth:`close` before exiting, which publishes what is queued.
    """

    def __init__(
        self,
        root: str,
        *,
        storage_options: dict[str, Any] | None = None,
        queue_size: int = 10_000,
        flush_rows: int = 5_000,
        flush_interval_s: float = 1.0,
        sample_rate: float = 1.0,
        on_error: ErrorHandler | None = None,
    ) -> None:
        if queue_size < 1 or flush_rows < 1:
            raise ValueError("queue_size and flush_rows must be at least 1")
        if not flush_interval_s > 0:
            raise ValueError("flush_interval_s must be above 0")
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError("sample_rate must be between 0 and 1")
        self.root = root
        self._fs, self._base = _layout.open_filesystem(root, storage_options)
        self._records: deque[PredictionRecord] = deque()
        self.queue_size = queue_size
        self._first_at = 0.0  # when the oldest waiting record arrived (monotonic)
        self._wakeup = threading.Event()
        # Wake the thread once this many wait: a full file's worth, or half the queue's bound
        # when that is smaller, so a small queue is drained before it overflows.
        self._wake_at = min(flush_rows, max(1, queue_size // 2))
        self.flush_rows = flush_rows
        self.flush_interval_s = flush_interval_s
        self.sample_rate = sample_rate
        self._threshold = int(sample_rate * 2**32)
        self._on_error = on_error
        self._lock = threading.Lock()
        self._done_changed = threading.Condition(self._lock)
        self._counts = dict.fromkeys(COUNTS, 0)
        self._accepted = 0
        self._pending = 0  # taken from the queue, not yet written
        self._flush_asked = 0
        self._flush_served = 0  # the background thread's own
        self._closed = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # the caller's side -------------------------------------------------------------------
    def start(self) -> PredictionLogWriter:
        """Start the background thread (once); records submitted before wait in the queue."""
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="prediction-log-writer", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)
        return self

    def submit(self, record: PredictionRecord) -> bool:
        """Queue ``record`` for the log without waiting; False when it was sampled out or
        dropped (queue full, or the writer closed), each counted."""
        with self._lock:
            self._counts["submitted"] += 1
            if self._closed:
                self._counts["dropped"] += 1
                return False
            if record.status < 500 and not self._sampled_in(record.prediction_id):
                self._counts["sampled_out"] += 1
                return False
            waiting = len(self._records)
            if waiting >= self.queue_size:
                self._counts["dropped"] += 1
                return False
            if not waiting:
                self._first_at = time.monotonic()
            self._records.append(record)
            self._accepted += 1
        if waiting + 1 == self._wake_at:
            self._wakeup.set()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Publish every record accepted so far; True when done within ``timeout`` seconds."""
        with self._lock:
            target = self._accepted
            self._flush_asked += 1
        self._wake()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done_changed:
            while self._done() < target:
                if self._thread is None or not self._thread.is_alive():
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._done_changed.wait(0.1 if left is None else min(left, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Stop taking records, publish what is queued and stop the thread; True when all of
        it was written within ``timeout`` seconds. Records submitted later are dropped."""
        with self._lock:
            if self._closed and self._thread is None:
                return True
            self._closed = True
            thread = self._thread
        atexit.unregister(self.close)
        if thread is None:
            with self._lock:
                left = len(self._records)
                self._records.clear()
                self._counts["dropped"] += left
            return left == 0
        self._stopping.set()
        self._wake()
        thread.join(timeout)
        finished = not thread.is_alive()
        if finished:
            with self._lock:
                self._thread = None
        return finished and not self._records

    def stats(self) -> dict[str, int]:
        """``submitted``, ``written``, ``dropped``, ``sampled_out``, ``queued`` (waiting or
        being written) and ``errors`` (records a failed write lost)."""
        with self._lock:
            counts = dict(self._counts)
            counts["queued"] = len(self._records) + self._pending
        return counts

    def __enter__(self) -> PredictionLogWriter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sampled_in(self, prediction_id: str) -> bool:
        """Deterministic by ID (its last random bits), so replicas and reruns agree."""
        if self._threshold >= 2**32:
            return True
        try:
            return int(prediction_id[-8:], 16) < self._threshold
        except (TypeError, ValueError):
            return True  # not an ID: the write counts it as an error, visibly

    def _done(self) -> int:
        return self._counts["written"] + self._counts["errors"]

    def _wake(self) -> None:
        self._wakeup.set()

    # the background thread -------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                waiting = len(self._records)
                due_at = self._first_at + self.flush_interval_s if waiting else None
            if waiting < self._wake_at:
                timeout = self.flush_interval_s if due_at is None else due_at - time.monotonic()
                if timeout > 0:
                    self._wakeup.wait(timeout)
            self._wakeup.clear()
            with self._lock:
                asked = self._flush_asked
                flush_wanted = asked > self._flush_served
                waiting = len(self._records)
                due = waiting > 0 and time.monotonic() >= self._first_at + self.flush_interval_s
            stopping = self._stopping.is_set()
            if waiting and (waiting >= self._wake_at or due or flush_wanted or stopping):
                self._drain()
            with self._lock:
                idle = not self._records
            if idle:
                self._flush_served = asked
                if stopping:
                    return

    def _drain(self) -> None:
        """Write what waits, ``flush_rows`` records per file at most."""
        while True:
            with self._lock:
                take = min(len(self._records), self.flush_rows)
                batch = [self._records.popleft() for _ in range(take)]
                self._pending = take
                if self._records:
                    self._first_at = time.monotonic()
            if not batch:
                return
            try:
                self._write(batch)
            except Exception as error:  # a bug must not stop the thread: count, go on
                with self._lock:
                    self._pending = 0
                self._failed(error, len(batch))
            if take < self.flush_rows:
                return

    def _write(self, batch: list[PredictionRecord]) -> None:
        groups: dict[tuple[str, str, int], list[PredictionRecord]] = defaultdict(list)
        hours: dict[int, tuple[str, int]] = {}  # hour number -> partition, formatted once
        invalid = 0
        for record in batch:
            if not (
                is_prediction_id(record.prediction_id)
                and _layout.is_deployment_name(record.deployment)
            ):
                invalid += 1
                continue
            time_ms = prediction_id_time(record.prediction_id)
            partition = hours.get(time_ms // _layout.HOUR_MS)
            if partition is None:
                partition = hours[time_ms // _layout.HOUR_MS] = _layout.partition_of(time_ms)
            date, hour = partition
            groups[(record.deployment, date, hour)].append(record)
        if invalid:
            error = ValueError(f"{invalid} record(s) with a malformed prediction ID or deployment")
            self._failed(error, invalid)
        for (deployment, date, hour), records in groups.items():
            try:
                self._publish(deployment, date, hour, records)
            except Exception as error:  # counted, logged and reported; the thread goes on
                self._failed(error, len(records))
            else:
                self._count("written", len(records))
        with self._lock:
            self._pending = 0

    def publish_table(self, table: pa.Table) -> int:
        """Publish a predictions table now, in the caller's thread, one file per deployment
        and hour (a batch job's chunk, made by ``row_records_table``: it must know its rows
        are written before it moves on); the rows written. Raises ``ValueError`` for a
        malformed prediction ID or deployment name (nothing is written), and what the
        storage raised after the retries (counted in ``errors``)."""
        if table.num_rows == 0:
            return 0
        ids = table.column("prediction_id")
        if not pc.all(pc.match_substring_regex(ids, ID_PATTERN)).as_py():
            raise ValueError("a row with a malformed prediction ID")
        names = pc.unique(table.column("deployment")).to_pylist()
        if not all(_layout.is_deployment_name(name) for name in names):
            raise ValueError("a row with a malformed deployment name")
        first, last = prediction_id_time(ids[0].as_py()), prediction_id_time(ids[-1].as_py())
        if len(names) == 1 and first // _layout.HOUR_MS == last // _layout.HOUR_MS:
            parts = [(names[0], first, table)]
        else:  # rare: split by the hour each ID names
            keys = [
                (name, prediction_id_time(pid) // _layout.HOUR_MS)
                for name, pid in zip(
                    table.column("deployment").to_pylist(), ids.to_pylist(), strict=True
                )
            ]
            rows: dict[tuple[str, int], list[int]] = defaultdict(list)
            for index, key in enumerate(keys):
                rows[key].append(index)
            parts = [
                (name, hour * _layout.HOUR_MS, table.take(pa.array(found)))
                for (name, hour), found in rows.items()
            ]
        for name, time_ms, part in parts:
            date, hour = _layout.partition_of(time_ms)
            try:
                self._publish_table(name, date, hour, part)
            except Exception:
                self._count("errors", part.num_rows)
                raise
            self._count("written", part.num_rows)
        return table.num_rows

    def _publish(
        self, deployment: str, date: str, hour: int, records: list[PredictionRecord]
    ) -> None:
        self._publish_table(deployment, date, hour, predictions_table(records))

    def _publish_table(self, deployment: str, date: str, hour: int, table: pa.Table) -> None:
        sink = io.BytesIO()
        pq.write_table(table, sink, row_group_size=ROW_GROUP_ROWS, **parquet_options())
        ids = table.column("prediction_id")
        name = _layout.part_name(ids[0].as_py(), ids[-1].as_py())
        path = f"{_layout.hour_folder(self._base, deployment, date, hour)}/{name}"
        for delay in (*_RETRY_DELAYS_S, None):
            try:
                _layout.publish(self._fs, path, sink.getvalue())
                return
            except Exception:
                if delay is None:
                    raise
                logger.warning("Writing %s failed; retrying in %.1f s", path, delay, exc_info=True)
                time.sleep(delay)

    def _failed(self, error: BaseException, count: int) -> None:
        logger.error(
            "Prediction log: %d record(s) not written to %s", count, self.root, exc_info=error
        )
        self._count("errors", count)
        if self._on_error is not None:
            try:
                self._on_error(error, count)
            except Exception:
                logger.exception("The prediction log's error handler failed")

    def _count(self, key: str, count: int) -> None:
        with self._done_changed:
            self._counts[key] += count
            self._done_changed.notify_all()
