"""The batch job storage contract as a pytest class: every backend runs the same suite.

Subclass :class:`BatchJobStoreConformance` in a test module and provide the ``store_harness``
fixture of :mod:`mlsteward.testing.store_conformance` (a harness whose ``open`` gives the
stores of a migrated database; this suite uses its ``batch_jobs``). Tests name their jobs
uniquely, so one database may serve a whole session::

    from mlsteward.testing.batch_job_conformance import BatchJobStoreConformance

    class TestMyBatchJobs(BatchJobStoreConformance):
        pass
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator

import pytest

from mlsteward.domain.batch_jobs import (
    FAILED,
    SUCCEEDED,
    BatchJob,
    BatchJobOptions,
    BatchJobRun,
)
from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.storage.batch_jobs_base import BatchJobStore
from mlsteward.testing.store_conformance import StoreHarness

#: A time in milliseconds beyond 32 bits, as every stored time is.
T0 = 1_700_000_000_000
HOUR_MS = 3_600_000


def unique_name(prefix: str = "job") -> str:
    """A job name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_job(name: str, **changes: object) -> BatchJob:
    """A job the way the service would build one: hourly, due at ``T0``."""
    job = BatchJob(
        name=name,
        model_uri="models:/churn@champion",
        inputs=("data/day-*.parquet", "extra/ünïcode.csv"),
        output="scores/{date}/{run}",
        options=BatchJobOptions(
            chunk_size=5000,
            runtime="onnx",
            outputs=("predict", "predict_proba"),
            keep_columns=("customer_id",),
            on_bad_rows="skip",
            log=False,
            log_as="churn-nightly",
        ),
        interval_s=3600,
        enabled=True,
        created_by="alice",
        creation_time=T0,
        next_run_time=T0,
    )
    return dataclasses.replace(job, **changes)  # type: ignore[arg-type]


def make_run(
    job: str, started_ms: int = T0, status: str = SUCCEEDED, **changes: object
) -> BatchJobRun:
    """A finished run of ``job``."""
    failed = status == FAILED
    run = BatchJobRun(
        run_id=uuid.uuid4().hex,
        job=job,
        status=status,
        started_ms=started_ms,
        finished_ms=started_ms + 1500,
        actor="scheduler",
        output=f"scores/2023-11-14/{job}",
        rows=0 if failed else 1200,
        rows_per_s=0.0 if failed else 800.5,
        chunks=0 if failed else 3,
        rejected=0 if failed else 2,
        output_version=None,
        error="No input file at 'data/day-*.parquet'" if failed else None,
        report={} if failed else {"rows": 1200, "runtime": "onnx", "rejected_sample": []},
    )
    return dataclasses.replace(run, **changes)  # type: ignore[arg-type]


class BatchJobStoreConformance:
    """``BatchJobStore`` primitives; needs a ``store_harness`` fixture."""

    @pytest.fixture
    def store(self, store_harness: StoreHarness) -> Iterator[BatchJobStore]:
        opened = store_harness.open()
        try:
            assert opened.batch_jobs is not None, "the backend keeps no batch jobs"
            yield opened.batch_jobs
        finally:
            opened.close()

    def test_round_trip(self, store: BatchJobStore) -> None:
        job = make_job(unique_name())
        assert store.create_job(job) == job
        assert store.get_job(job.name) == job
        assert job in store.list_jobs()
        manual = make_job(unique_name(), interval_s=0, next_run_time=None)
        manual = dataclasses.replace(
            manual, options=BatchJobOptions(chunk_size=10), output="dataset:scores"
        )
        store.create_job(manual)
        assert store.get_job(manual.name) == manual

    def test_names_are_unique(self, store: BatchJobStore) -> None:
        job = make_job(unique_name())
        store.create_job(job)
        with pytest.raises(AlreadyExistsError):
            store.create_job(make_job(job.name, model_uri="models:/other/1"))
        assert store.get_job(job.name).model_uri == "models:/churn@champion"

    def test_unknown_job(self, store: BatchJobStore) -> None:
        name = unique_name()
        with pytest.raises(NotFoundError):
            store.get_job(name)
        with pytest.raises(NotFoundError):
            store.update_schedule(name, 60, True, T0)
        with pytest.raises(NotFoundError):
            store.delete_job(name)
        with pytest.raises(NotFoundError):
            store.claim_job(name, T0, T0 + HOUR_MS, None)
        with pytest.raises(NotFoundError):
            store.record_job_run(make_run(name), None)
        assert store.list_job_runs(name, 10) == []

    def test_list_is_by_name(self, store: BatchJobStore) -> None:
        prefix = unique_name("list")
        for suffix in ("b", "a", "c"):
            store.create_job(make_job(f"{prefix}-{suffix}"))
        mine = [j.name for j in store.list_jobs() if j.name.startswith(prefix)]
        assert mine == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]

    def test_update_schedule(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        paused = store.update_schedule(job.name, 600, False, None)
        assert (paused.interval_s, paused.enabled, paused.next_run_time) == (600, False, None)
        assert store.get_job(job.name) == paused
        assert dataclasses.replace(paused, interval_s=3600, enabled=True, next_run_time=T0) == job

    def test_due_jobs_are_enabled_scheduled_and_due(self, store: BatchJobStore) -> None:
        far = T0 + 1000 * HOUR_MS  # beyond every other test's jobs
        due = store.create_job(make_job(unique_name("due"), next_run_time=far - 5))
        earlier = store.create_job(make_job(unique_name("due"), next_run_time=far - 9))
        store.create_job(make_job(unique_name("later"), next_run_time=far + 1))
        store.create_job(make_job(unique_name("paused"), enabled=False, next_run_time=far - 7))
        store.create_job(make_job(unique_name("manual"), interval_s=0, next_run_time=far - 7))
        found = [j.name for j in store.due_jobs(far) if j.next_run_time and j.next_run_time > T0]
        assert found[-2:] == [earlier.name, due.name]
        assert not any(n.startswith(("later", "paused", "manual")) for n in found)

    def test_one_claimant_at_a_time(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        assert store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=T0)
        # the lease is held: neither a second scheduler nor a manual run gets it
        assert not store.claim_job(job.name, T0 + 1, T0 + HOUR_MS, due_at=T0)
        assert not store.claim_job(job.name, T0 + 1, T0 + HOUR_MS, due_at=None)
        # once the lease has ended, the job can be taken again (its claimant died)
        assert store.claim_job(job.name, T0 + HOUR_MS, T0 + 2 * HOUR_MS, due_at=None)

    def test_a_scheduled_claim_needs_the_job_still_due_then(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        assert not store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=T0 - 1)
        store.update_schedule(job.name, 3600, False, None)
        assert not store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=T0)
        # a manual run of a paused job is allowed
        assert store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=None)

    def test_concurrent_claims_have_one_winner(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        results: list[bool] = []
        lock = threading.Lock()

        def claim() -> None:
            won = store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=T0)
            with lock:
                results.append(won)

        threads = [threading.Thread(target=claim) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 5 + [True]

    def test_recording_a_run_releases_and_advances(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        assert store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=T0)
        run = make_run(job.name)
        assert store.record_job_run(run, T0 + HOUR_MS) == run
        stored = store.get_job(job.name)
        assert (stored.last_run_time, stored.next_run_time) == (T0, T0 + HOUR_MS)
        assert store.list_job_runs(job.name, 10) == [run]
        # released: the next run can claim it at once
        assert store.claim_job(job.name, T0 + 2, T0 + HOUR_MS, due_at=None)

    def test_a_job_paused_during_a_run_stays_paused(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        assert store.claim_job(job.name, T0, T0 + HOUR_MS, due_at=T0)
        store.update_schedule(job.name, 3600, False, None)
        store.record_job_run(make_run(job.name), T0 + HOUR_MS)
        stored = store.get_job(job.name)
        assert (stored.enabled, stored.next_run_time, stored.last_run_time) == (False, None, T0)

    def test_runs_newest_first_and_failures_kept(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        first = store.record_job_run(make_run(job.name, T0), T0 + HOUR_MS)
        failed = store.record_job_run(make_run(job.name, T0 + HOUR_MS, FAILED), T0 + 2 * HOUR_MS)
        third = store.record_job_run(
            make_run(job.name, T0 + 2 * HOUR_MS, output_version="scores@3"), None
        )
        assert store.list_job_runs(job.name, 10) == [third, failed, first]
        assert store.list_job_runs(job.name, 2) == [third, failed]
        assert failed.error is not None and failed.report == {}
        assert store.get_job(job.name).next_run_time is None

    def test_delete_removes_the_job_and_its_runs(self, store: BatchJobStore) -> None:
        job = store.create_job(make_job(unique_name()))
        store.record_job_run(make_run(job.name), None)
        store.delete_job(job.name)
        with pytest.raises(NotFoundError):
            store.get_job(job.name)
        assert store.list_job_runs(job.name, 10) == []
        # the name is free again, with no runs from before
        store.create_job(job)
        assert store.list_job_runs(job.name, 10) == []


__all__ = ["BatchJobStoreConformance", "make_job", "make_run", "unique_name"]
