"""Several servers on one database: each due monitor runs once per schedule, not once per server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    MonitorScheduler,
    create_monitor,
    get_monitor,
    list_runs,
    profile_from,
    save_profile,
)
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store

from .conftest import Clock, frames


@pytest.fixture
def servers(store_url: str, tmp_path: Path, clock: Clock) -> Iterator[list[ServiceContext]]:
    """Two contexts, each with its own store connection, over one database and blob folder."""
    blobs = str(tmp_path / "blobs")
    stores = [open_store(store_url) for _ in range(2)]
    try:
        yield [
            ServiceContext(
                "scheduler",
                s,
                open_blob_store(blobs),
                clock,
                outbound=OutboundAccess.unrestricted(),
            )
            for s in stores
        ]
    finally:
        for s in stores:
            s.close()


def test_two_schedulers_run_a_due_monitor_once(
    servers: list[ServiceContext], tmp_path: Path, clock: Clock
) -> None:
    first = servers[0]
    data = tmp_path / "window.csv"
    frames(n=500, seed=3).to_csv(data, index=False)
    suffix = uuid.uuid4().hex[:8]  # the PostgreSQL database is shared by the session
    save_profile(first, profile_from(frames()), f"ref-{suffix}")
    name = f"replicated-{suffix}"
    create_monitor(first, name, str(data), f"ref-{suffix}", interval_s=60)
    schedulers = [MonitorScheduler(ctx, poll_s=1.0) for ctx in servers]

    def one_pass(i: int, barrier: threading.Barrier, ran: list[int]) -> None:
        barrier.wait()  # both servers look for due monitors at the same moment
        # The PostgreSQL database is shared: count this test's monitor only.
        ran[i] = sum(r.run.monitor == name for r in schedulers[i].run_due())

    for round_ in range(3):
        barrier = threading.Barrier(len(schedulers))
        ran: list[int] = [0] * len(schedulers)
        threads = [
            threading.Thread(target=one_pass, args=(i, barrier, ran))
            for i in range(len(schedulers))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(ran) == 1, f"round {round_}: runs per server {ran}"
        assert len(list_runs(first, name, limit=10)) == round_ + 1
        assert get_monitor(first, name).next_run_time == clock.now + 60_000
        clock.now += 60_000


def test_a_claimed_monitor_falls_due_again_when_its_lease_ends(
    servers: list[ServiceContext], tmp_path: Path, clock: Clock
) -> None:
    first, second = servers
    data = tmp_path / "window.csv"
    frames(n=500, seed=4).to_csv(data, index=False)
    suffix = uuid.uuid4().hex[:8]
    save_profile(first, profile_from(frames()), f"ref-{suffix}")
    name = f"abandoned-{suffix}"
    monitor = create_monitor(first, name, str(data), f"ref-{suffix}", interval_s=60)
    assert monitor.next_run_time is not None
    # A server claims the run and dies before recording it.
    assert first.stores.monitoring.claim_monitor(name, monitor.next_run_time, clock.now + 120_000)
    scheduler = MonitorScheduler(second, poll_s=1.0, lease_s=120)
    assert name not in [r.run.monitor for r in scheduler.run_due()]
    clock.now += 120_000
    assert [r.run.monitor for r in scheduler.run_due()].count(name) == 1
