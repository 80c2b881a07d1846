"""The adaptive batcher in-process: no wait for a lone request, company while the model is
busy, batch-size bounds, and each request getting its own answer back."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from mlsteward.engines.serving.batcher import AdaptiveBatcher


class GatedModel:
    """Answers ``item * 10``; the first call blocks until ``release()`` (a busy model)."""

    def __init__(self, block_first: bool = True) -> None:
        self.calls: list[list[int]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        if not block_first:
            self.gate.set()

    def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.calls.append(list(items))
        if len(self.calls) == 1:
            self.entered.set()
            self.gate.wait(10)
        return [ValueError(f"bad {i}") if i < 0 else i * 10 for i in items]


async def _until(event: threading.Event) -> None:
    await asyncio.to_thread(event.wait, 10)


def test_a_lone_request_runs_at_once_without_waiting() -> None:
    model = GatedModel(block_first=False)

    async def main() -> int:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=32, max_wait_ms=1000
        )
        try:
            return await batcher.submit(4)
        finally:
            await batcher.close()
            assert batcher.stats.waits == 0
            assert batcher.stats.batches == 1

    assert asyncio.run(main()) == 40


def test_sequential_requests_never_wait() -> None:
    model = GatedModel(block_first=False)

    async def main() -> AdaptiveBatcher[int, int]:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=32, max_wait_ms=1000
        )
        for i in range(20):
            assert await batcher.submit(i) == i * 10
        await batcher.close()
        return batcher

    batcher = asyncio.run(main())
    assert batcher.stats.waits == 0
    assert batcher.stats.batches == 20


def test_requests_arriving_while_busy_share_the_next_batch() -> None:
    model = GatedModel()

    async def main() -> list[int]:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=32, max_wait_ms=0
        )
        first = asyncio.create_task(batcher.submit(1))
        await _until(model.entered)
        rest = [asyncio.create_task(batcher.submit(i)) for i in range(2, 7)]
        await asyncio.sleep(0)  # let them queue
        model.gate.set()
        results = await asyncio.gather(first, *rest)
        await batcher.close()
        return results

    assert asyncio.run(main()) == [10, 20, 30, 40, 50, 60]
    assert model.calls == [[1], [2, 3, 4, 5, 6]]


def test_batches_hold_at_most_max_batch_size_rows() -> None:
    model = GatedModel()

    async def main() -> None:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(model, max_batch_size=4, max_wait_ms=0)
        first = asyncio.create_task(batcher.submit(0))
        await _until(model.entered)
        rest = [asyncio.create_task(batcher.submit(i, rows=2)) for i in range(1, 6)]
        await asyncio.sleep(0)
        model.gate.set()
        await asyncio.gather(first, *rest)
        await batcher.close()

    asyncio.run(main())
    assert model.calls == [[0], [1, 2], [3, 4], [5]]


def test_a_failure_reaches_only_its_request() -> None:
    model = GatedModel()

    async def main() -> list[object]:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=32, max_wait_ms=0
        )
        first = asyncio.create_task(batcher.submit(1))
        await _until(model.entered)
        rest = [asyncio.create_task(batcher.submit(i)) for i in (2, -3, 4)]
        await asyncio.sleep(0)
        model.gate.set()
        out: list[object] = list(await asyncio.gather(first, *rest, return_exceptions=True))
        await batcher.close()
        return out

    results = asyncio.run(main())
    assert results[:2] == [10, 20] and results[3] == 40
    assert isinstance(results[2], ValueError)


def test_queued_requests_wait_for_company_only_until_max_wait() -> None:
    """A request queued behind a busy model may wait for more; the wait ends at its deadline
    (a fake clock jumps past it), not at a fixed window."""
    model = GatedModel()
    now = [0.0]

    async def main() -> AdaptiveBatcher[int, int]:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=32, max_wait_ms=5, clock=lambda: now[0]
        )
        first = asyncio.create_task(batcher.submit(1))
        await _until(model.entered)
        second = asyncio.create_task(batcher.submit(2))
        await asyncio.sleep(0)
        now[0] = 1.0  # the queued request's 5 ms are long gone when the model frees up
        model.gate.set()
        assert await asyncio.gather(first, second) == [10, 20]
        await batcher.close()
        return batcher

    batcher = asyncio.run(main())
    assert batcher.stats.waits == 0
    assert model.calls == [[1], [2]]


@pytest.mark.parametrize("size", [1, 3])
def test_a_full_batch_does_not_wait(size: int) -> None:
    model = GatedModel()

    async def main() -> AdaptiveBatcher[int, int]:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=size, max_wait_ms=10_000
        )
        first = asyncio.create_task(batcher.submit(1))
        await _until(model.entered)
        rest = [asyncio.create_task(batcher.submit(i)) for i in range(2, 2 + size)]
        await asyncio.sleep(0)
        model.gate.set()
        await asyncio.gather(first, *rest)
        await batcher.close()
        return batcher

    batcher = asyncio.run(main())
    assert batcher.stats.waits == 0
    assert model.calls[1] == list(range(2, 2 + size))


def test_a_request_queued_behind_a_busy_model_waits_for_company() -> None:
    model = GatedModel()

    async def main() -> AdaptiveBatcher[int, int]:
        batcher: AdaptiveBatcher[int, int] = AdaptiveBatcher(
            model, max_batch_size=32, max_wait_ms=50, clock=lambda: 0.0
        )
        first = asyncio.create_task(batcher.submit(1))
        await _until(model.entered)
        second = asyncio.create_task(batcher.submit(2))
        await asyncio.sleep(0)
        model.gate.set()
        await asyncio.sleep(0.01)  # inside the second request's window
        third = asyncio.create_task(batcher.submit(3))
        assert await asyncio.gather(first, second, third) == [10, 20, 30]
        await batcher.close()
        return batcher

    batcher = asyncio.run(main())
    assert batcher.stats.waits >= 1
    assert model.calls == [[1], [2, 3]]
