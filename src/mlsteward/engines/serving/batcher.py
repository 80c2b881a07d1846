"""Adaptive batching: requests that arrive while the model is busy share its next call.

A request that finds the model idle and the queue empty runs at once: no window, no wait
(a fixed collection window is what cuts batch-1 throughput in other servers). While a batch
runs, arrivals queue; when the model is free the next batch takes queued requests up to
``max_batch_size`` rows. A queued request waits for more company at most ``max_wait_ms``
after it arrived, and not at all once the batch is full.

The model runs in an executor (one thread per batcher by default), so the event loop keeps
reading and parsing requests meanwhile. ``run`` gets the items of one batch and returns one
result per item (an exception instance for an item that failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

RunBatch = Callable[[Sequence[T]], Sequence["R | BaseException"]]


@dataclass
class BatcherStats:
    """Counters for tests and metrics: ``waits`` counts every pause to gather company."""

    batches: int = 0
    items: int = 0
    rows: int = 0
    waits: int = 0
    sizes: list[int] = field(default_factory=list)


@dataclass
class _Entry(Generic[T]):
    item: T
    rows: int
    future: asyncio.Future[Any]
    arrived: float
    lone: bool


class AdaptiveBatcher(Generic[T, R]):
    """Per model version: gathers concurrent requests into batches for ``run``."""

    def __init__(
        self,
        run: Callable[[Sequence[T]], Sequence[Any]],
        *,
        max_batch_size: int = 32,
        max_wait_ms: float = 2.0,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.monotonic,
        keep_sizes: int = 0,
    ) -> None:
        self._run = run
        self.max_batch_size = max(1, int(max_batch_size))
        self.max_wait_s = max(0.0, float(max_wait_ms)) / 1000.0
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="mlsteward-batch")
        self._clock = clock
        self._queue: deque[_Entry[T]] = deque()
        self._queued_rows = 0
        self._busy = False
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._keep_sizes = keep_sizes
        self.stats = BatcherStats()
        self.on_batch: Callable[[int, int], None] | None = None  # (items, rows) after each run

    async def submit(self, item: T, rows: int = 1) -> R:
        """The result for ``item`` (raised if the model failed on it)."""
        loop = asyncio.get_running_loop()
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._serve())
        entry = _Entry(
            item, rows, loop.create_future(), self._clock(), not self._busy and not self._queue
        )
        self._queue.append(entry)
        self._queued_rows += rows
        self._wake.set()
        result: R = await entry.future
        return result

    async def _serve(self) -> None:
        wake = self._wake
        if wake is None:  # submit() creates it before the task
            return
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                wake.clear()
                await wake.wait()
                continue
            await self._gather(wake)
            batch = self._take()
            self._busy = True
            try:
                results = await loop.run_in_executor(
                    self._executor, self._run, [e.item for e in batch]
                )
            except BaseException as error:  # delivered to every waiting request
                if isinstance(error, asyncio.CancelledError):
                    for entry in batch:
                        if not entry.future.done():
                            entry.future.cancel()
                    raise
                results = [error] * len(batch)
            finally:
                self._busy = False
            self._deliver(batch, results)

    async def _gather(self, wake: asyncio.Event) -> None:
        """Wait for company while the head request may still wait and the batch is not full."""
        head = self._queue[0]
        if head.lone or self.max_wait_s <= 0:
            return
        deadline = head.arrived + self.max_wait_s
        while self._queued_rows < self.max_batch_size:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return
            self.stats.waits += 1
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[_Entry[T]]:
        batch = [self._queue.popleft()]
        rows = batch[0].rows
        while self._queue and rows + self._queue[0].rows <= self.max_batch_size:
            entry = self._queue.popleft()
            rows += entry.rows
            batch.append(entry)
        self._queued_rows -= rows
        stats = self.stats
        stats.batches += 1
        stats.items += len(batch)
        stats.rows += rows
        if self._keep_sizes and len(stats.sizes) < self._keep_sizes:
            stats.sizes.append(len(batch))
        if self.on_batch is not None:
            self.on_batch(len(batch), rows)
        return batch

    @staticmethod
    def _deliver(batch: Sequence[_Entry[T]], results: Sequence[Any]) -> None:
        for entry, result in zip(batch, results, strict=True):
            if entry.future.done():
                continue
            if isinstance(result, BaseException):
                entry.future.set_exception(result)
            else:
                entry.future.set_result(result)

    async def close(self) -> None:
        """Stop the batching task (after the queue is empty) and the executor it owns."""
        while self._queue or self._busy:
            await asyncio.sleep(0.005)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._own_executor:
            self._executor.shutdown(wait=False)
