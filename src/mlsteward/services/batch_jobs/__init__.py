"""Scheduled batch jobs: ``predict_batch`` saved under a name and run on a schedule.

``jobs`` holds the rules (create, change, delete, run and record a run), ``operations``
declares them for every door, and ``scheduler`` runs due jobs on a server's thread as the
service principal ``scheduler``.
"""

from mlsteward.services.batch_jobs.jobs import (
    create_job,
    delete_job,
    get_job,
    list_jobs,
    list_runs,
    run_job,
    update_job,
)

__all__ = [
    "create_job",
    "delete_job",
    "get_job",
    "list_jobs",
    "list_runs",
    "run_job",
    "update_job",
]
