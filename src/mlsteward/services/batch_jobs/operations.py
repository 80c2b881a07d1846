"""The batch job operations a client can call: create, list, read, change the schedule of,
delete and run a scheduled batch scoring job, and list its runs.

They are about the job (resource kind ``batch_job``): making, changing and deleting one
needs a contributor, running one ``execute``. Making or running a job also needs the rights
``batch.predict`` asks for the same scoring (run the model, read the input datasets, create
the output dataset's versions), checked by the service, since the scheduler later runs it
with every right. Running is long: it is not wrapped in one store transaction (see
``Operation.long_running``) and answers when the run has ended, with its record.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mlsteward.domain.batch_jobs import MAX_RUNS, BatchJob, BatchJobOptions, BatchJobRun
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.batch_inference import DEFAULT_CHUNK_ROWS
from mlsteward.services.batch_inference.operations import JOB_TIMEOUT_S
from mlsteward.services.batch_jobs import jobs
from mlsteward.services.batch_jobs import wire as w
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import Action, ResourceKind

P = w.BATCH_JOBS_PATH
NOT_FOUND = {404: {"model": ErrorResponse, "description": "NOT_FOUND: no such batch job"}}

declare = Declarations("batch_jobs", ResourceKind.BATCH_JOB, tag="batch jobs")
ONE = Codec(w.encode_job, w.decode_job, w.BatchJobOut)
RUN = Codec(w.encode_run, w.decode_run, w.BatchJobRunOut)


class CreateBatchJobIn(BaseModel):
    """A job: ``predict_batch``'s model, input, output and options under a name, run
    ``every`` (whole seconds or ``90s``, ``15m``, ``1h``, ``1d``, ``1w``; none: only when
    asked). A folder or file output holds ``{run}`` or ``{date}``; ``dataset:NAME`` gets a
    new version each run."""

    name: str
    model_uri: str
    input: list[str] = Field(min_length=1, max_length=jobs.MAX_INPUTS)
    output: str
    every: int | str | None = None
    enabled: bool = True
    chunk_size: int = DEFAULT_CHUNK_ROWS
    runtime: str = "auto"
    outputs: list[str] = Field(default_factory=lambda: ["predict"])
    keep_columns: list[str] | None = None
    on_bad_rows: str = "fail"
    log: bool = True
    log_as: str | None = None


class UpdateBatchJobIn(BaseModel):
    """The schedule to change: ``every`` (``0``: only when asked) and/or ``enabled``."""

    every: int | str | None = None
    enabled: bool | None = None


class CreateBatchJob(OperationRequest):
    body: CreateBatchJobIn


class ListBatchJobs(OperationRequest):
    pass


class BatchJobName(OperationRequest):
    name: str


class UpdateBatchJob(OperationRequest):
    name: str
    body: UpdateBatchJobIn


class RunBatchJob(OperationRequest):
    name: str
    #: A scheduler's: run only while the job is still due at this time (milliseconds).
    due_at: int | None = None


class ListBatchJobRuns(OperationRequest):
    name: str
    limit: int = Field(default=100, ge=1, le=MAX_RUNS)


def _input_reads(r: CreateBatchJob) -> list[tuple[ResourceKind, str | None]]:
    return [(ResourceKind.DATASET, name) for name in jobs.input_datasets(r.body.input)]


@declare.post(
    P,
    returns=ONE,
    status=201,
    resource_name=lambda r: r.body.name,
    reads=_input_reads,
)
def create(ctx: ServiceContext, r: CreateBatchJob) -> BatchJob:
    """Create a job; scheduled and enabled, it is due at once. 400 for a bad name,
    schedule, option or output (one without ``{run}``/``{date}`` that is not a dataset),
    or a model URI that does not resolve; 403 for a path outside the server's
    ``--source-root`` folders, or a model or dataset the caller may not use; 409 when the
    name is taken."""
    body = r.body
    options = BatchJobOptions(
        chunk_size=body.chunk_size,
        runtime=body.runtime,
        outputs=tuple(body.outputs),
        keep_columns=tuple(body.keep_columns) if body.keep_columns is not None else None,
        on_bad_rows=body.on_bad_rows,
        log=body.log,
        log_as=body.log_as,
    )
    return jobs.create_job(
        ctx,
        body.name,
        body.model_uri,
        list(body.input),
        body.output,
        options,
        every=body.every,
        enabled=body.enabled,
        operation=create.name,
    )


@declare.get(
    P,
    returns=Codec(listed("jobs", w.encode_job), unlisted("jobs", w.decode_job), w.BatchJobListOut),
)
def _list(ctx: ServiceContext, r: ListBatchJobs) -> list[BatchJob]:
    """Every batch job, by name."""
    return jobs.list_jobs(ctx)


#: ``batch_jobs.list`` (its function is not named ``list``, which would hide the builtin).
list_all = _list


@declare.get(f"{P}/{{name}}", returns=ONE, responses=NOT_FOUND)
def get(ctx: ServiceContext, r: BatchJobName) -> BatchJob:
    """A job: its model, input, output, options and schedule."""
    return jobs.get_job(ctx, r.name)


@declare.patch(f"{P}/{{name}}", returns=ONE, responses=NOT_FOUND)
def update(ctx: ServiceContext, r: UpdateBatchJob) -> BatchJob:
    """Change a job's schedule (``every``) or pause and resume it (``enabled``); a job
    resumed or given a new interval is due at once."""
    return jobs.update_job(ctx, r.name, every=r.body.every, enabled=r.body.enabled)


@declare.delete(f"{P}/{{name}}", status=204, responses=NOT_FOUND)
def delete(ctx: ServiceContext, r: BatchJobName) -> None:
    """Delete a job and its runs' records (what the runs wrote stays)."""
    jobs.delete_job(ctx, r.name)


@declare.post(
    f"{P}/{{name}}/runs",
    returns=RUN,
    action=Action.EXECUTE,
    timeout_s=JOB_TIMEOUT_S,
    long_running=True,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorResponse, "description": "CONFLICT: the job is running already"},
    },
)
def run(ctx: ServiceContext, r: RunBatchJob) -> BatchJobRun:
    """Run a job now into a new output, and answer its run when it has ended: ``succeeded``
    with the report (rows, rows/s, chunks, rejected rows, the output), or ``failed`` with
    the error. The schedule moves on either way. 409 when a run of the job is under way."""
    return jobs.run_job(ctx, r.name, due_at=r.due_at, operation=run.name)


@declare.get(
    f"{P}/{{name}}/runs",
    returns=Codec(
        listed("runs", w.encode_run), unlisted("runs", w.decode_run), w.BatchJobRunListOut
    ),
    responses=NOT_FOUND,
)
def list_runs(ctx: ServiceContext, r: ListBatchJobRuns) -> list[BatchJobRun]:
    """A job's runs, newest first."""
    return jobs.list_runs(ctx, r.name, r.limit)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
