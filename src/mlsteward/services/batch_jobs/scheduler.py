"""A thread that runs due batch jobs until stopped, beside the monitor scheduler.

Each pass asks the store for enabled jobs whose ``next_run_time`` has come and runs them
one at a time. Each run goes through the dispatcher as the declared ``batch_jobs.run``
operation with the time it was due, acting as the service principal ``scheduler`` (audited
under that name): the run claims the job only while it is still due then, so several
servers on one database run each scheduled run once. A run that fails is recorded as failed
and its job's schedule advanced by the operation itself; anything else going wrong is
logged and the loop goes on. ``stop()`` waits for a run in progress to end.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from mlsteward.domain.batch_jobs import BatchJobRun
from mlsteward.domain.errors import ConflictError, NotFoundError
from mlsteward.services.background_loop import BackgroundLoop
from mlsteward.services.batch_jobs.jobs import job_store
from mlsteward.services.batch_jobs.operations import RunBatchJob, run
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.scheduler import SCHEDULER
from mlsteward.services.operations.dispatcher import dispatch
from mlsteward.services.operations.policy import AllowEverything

logger = logging.getLogger("mlsteward.batch_jobs.scheduler")
DEFAULT_POLL_S = 5.0


class BatchJobScheduler(BackgroundLoop):
    """Runs due batch jobs every ``poll_s`` seconds on a daemon thread."""

    def __init__(self, ctx: ServiceContext, poll_s: float = DEFAULT_POLL_S) -> None:
        if poll_s <= 0:
            raise ValueError("poll_s must be positive")
        super().__init__("mlsteward-batch-job-scheduler", poll_s, first_wait=False, logger=logger)
        # The server running jobs its users set up (their rights were checked when the jobs
        # were made): it acts for itself, so no grant can stop it, audited under its name.
        self.ctx = replace(ctx.as_principal(SCHEDULER), policy=AllowEverything())
        self.runs = 0

    def run_due(self) -> list[BatchJobRun]:
        """One pass: run every due job now; one failing job does not stop the rest."""
        results: list[BatchJobRun] = []
        for job in job_store(self.ctx).due_jobs(self.ctx.clock()):
            if self.stopping:
                break
            try:
                request = RunBatchJob.model_construct(name=job.name, due_at=job.next_run_time)
                results.append(dispatch(self.ctx, run, request))
            except (ConflictError, NotFoundError):
                continue  # another server took it, or it was deleted meanwhile
            except Exception:  # keep the loop alive; the traceback goes to the log
                logger.exception("batch job %s could not run", job.name)
        self.runs += len(results)
        return results

    def run_pass(self) -> list[BatchJobRun]:
        return self.run_due()
