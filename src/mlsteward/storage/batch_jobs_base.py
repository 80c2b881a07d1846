"""The batch job storage contract, checked by :mod:`mlsteward.testing.batch_job_conformance`.

* Every method is atomic: it applies completely or raises and changes nothing.
* Job names are unique: creating a taken one raises ``AlreadyExistsError``; reading,
  changing or deleting a missing one raises ``NotFoundError``.
* A job is run by one claimant at a time: :meth:`claim_job` takes it (a compare-and-set on
  its lease) for exactly one caller, and :meth:`record_job_run` gives it back, so several
  servers on one database, or a user's "run now" beside the scheduler, never score one job
  twice at once. A claimant that dies leaves the job claimed until its lease ends.
* Finished runs are never changed; deleting a job deletes its runs.

Stores hold no business rules (what a schedule means, what a run writes): those live in
``mlsteward.services.batch_jobs``.
"""

from __future__ import annotations

import abc

from mlsteward.domain.batch_jobs import BatchJob, BatchJobRun
from mlsteward.storage.capabilities import StoreCapabilities


class BatchJobStore(abc.ABC):
    """Abstract persistence for batch jobs and their runs."""

    capabilities: StoreCapabilities

    @abc.abstractmethod
    def create_job(self, job: BatchJob) -> BatchJob: ...

    @abc.abstractmethod
    def get_job(self, name: str) -> BatchJob: ...

    @abc.abstractmethod
    def list_jobs(self) -> list[BatchJob]:
        """Every job, by name."""

    @abc.abstractmethod
    def update_schedule(
        self, name: str, interval_s: int, enabled: bool, next_run_time: int | None
    ) -> BatchJob:
        """Set a job's schedule (its lease, if claimed, stays); returns the job as stored."""

    @abc.abstractmethod
    def delete_job(self, name: str) -> None:
        """Delete a job and its runs."""

    @abc.abstractmethod
    def due_jobs(self, now: int) -> list[BatchJob]:
        """Enabled jobs with an interval whose ``next_run_time`` is at or before ``now``,
        the longest overdue first."""

    @abc.abstractmethod
    def claim_job(self, name: str, now: int, lease_until: int, due_at: int | None) -> bool:
        """Take the job for one run until ``lease_until``, unless another claimant holds an
        unexpired lease (one ending after ``now``); with ``due_at``, only while the job's
        ``next_run_time`` is still ``due_at`` (a scheduled run, taken once). True for exactly
        one claimant; ``NotFoundError`` when there is no such job."""

    @abc.abstractmethod
    def record_job_run(self, run: BatchJobRun, next_run_time: int | None) -> BatchJobRun:
        """Store a finished run, release the job's lease, set its ``last_run_time`` and,
        while it is still enabled, its ``next_run_time`` (a job paused meanwhile stays
        paused), in one transaction."""

    @abc.abstractmethod
    def list_job_runs(self, name: str, limit: int) -> list[BatchJobRun]:
        """The job's newest runs first."""

    @abc.abstractmethod
    def close(self) -> None: ...
