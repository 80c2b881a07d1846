"""The rules of scheduled batch jobs: creating, changing, deleting and running one.

A job is checked once, whole, when it is made: its name, schedule, options (as
``predict_batch`` checks them), its output (one of its own each run: see
:func:`mlsteward.domain.batch_jobs.check_output`), every path against the server's
``--source-root`` folders, the model URI (it must resolve now), and the creator's rights to
run the model, read the input datasets and create the output dataset's versions: the
scheduler later runs the job as ``scheduler`` with every right, so no job may reach what its
creator could not. A person who runs a job by hand needs those same rights.

A run claims the job (one run at a time, across servers too), calls ``predict_batch`` as it
is, with ``restart`` so that an output folder a failed run left is scored again rather than
resumed, and records the run, failed or not, with the schedule advanced: a job whose input
is missing is retried at its next interval, not in a tight loop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from mlsteward.domain.batch_jobs import (
    DATASET_PREFIX,
    FAILED,
    MAX_RUNS,
    SUCCEEDED,
    BatchJob,
    BatchJobOptions,
    BatchJobRun,
    check_output,
    expand_output,
    parse_every,
    validate_job_name,
)
from mlsteward.domain.datasets import validate_dataset_name
from mlsteward.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    PermissionDeniedError,
)
from mlsteward.domain.ids import new_id
from mlsteward.services.batch_inference import BatchOptions, BatchReport, predict_batch
from mlsteward.services.batch_inference.locations import check_path
from mlsteward.services.batch_inference.model_version import resolve_version
from mlsteward.services.batch_inference.wire import encode_report
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.services.operations.policy import Resource
from mlsteward.storage.batch_jobs_base import BatchJobStore

logger = logging.getLogger("mlsteward.batch_jobs")
#: How long a run holds its job: a server that dies mid-run leaves the job to others then.
RUN_LEASE_S = 6 * 3600
MAX_INPUTS = 1_000
#: A run's error message as stored (the start of a long one).
MAX_ERROR_CHARS = 2_000


def job_store(ctx: ServiceContext) -> BatchJobStore:
    """The batch job store of the context's database."""
    store = ctx.stores.batch_jobs
    if store is None:
        raise InvalidArgumentError("This store keeps no batch jobs")
    return store


def input_datasets(inputs: Sequence[object]) -> list[str]:
    """The names of the datasets among a job's input specs (``dataset:NAME@VERSION``)."""
    return [
        s[len(DATASET_PREFIX) :].split("@", 1)[0]
        for s in inputs
        if isinstance(s, str) and s.startswith(DATASET_PREFIX)
    ]


def create_job(
    ctx: ServiceContext,
    name: str,
    model_uri: str,
    inputs: Sequence[str],
    output: str,
    options: BatchJobOptions,
    every: int | str | None = None,
    enabled: bool = True,
    operation: str = "batch_jobs.create",
) -> BatchJob:
    """Check and store a job; scheduled (``every``) and enabled, it is due at once."""
    validate_job_name(name)
    interval_s = parse_every(every)
    listed = _checked_inputs(ctx, inputs)
    check_output(output)
    now = ctx.clock()
    if output.startswith(DATASET_PREFIX):
        validate_dataset_name(output[len(DATASET_PREFIX) :])
    else:
        check_path(ctx, expand_output(output, "0" * 32, now), "output")
    _batch_options(options).checked()
    if not isinstance(enabled, bool):
        raise InvalidArgumentError("enabled must be true or false")
    try:
        version = resolve_version(ctx, model_uri)
    except NotFoundError as error:
        raise InvalidArgumentError(f"The model URI does not resolve: {error.message}") from None
    job = BatchJob(
        name=name,
        model_uri=model_uri,
        inputs=tuple(listed),
        output=output,
        options=options,
        interval_s=interval_s,
        enabled=enabled,
        created_by=ctx.actor,
        creation_time=now,
        next_run_time=now if interval_s and enabled else None,
    )
    require_job_rights(ctx, job, version.name, operation)
    return job_store(ctx).create_job(job)


def get_job(ctx: ServiceContext, name: str) -> BatchJob:
    return job_store(ctx).get_job(validate_job_name(name))


def list_jobs(ctx: ServiceContext) -> list[BatchJob]:
    return job_store(ctx).list_jobs()


def update_job(
    ctx: ServiceContext,
    name: str,
    every: int | str | None = None,
    enabled: bool | None = None,
) -> BatchJob:
    """Change a job's schedule: ``every`` (``0``: manual runs only) and/or ``enabled``
    (pause, resume). A job resumed or given a new interval is due at once."""
    store = job_store(ctx)
    job = store.get_job(validate_job_name(name))
    interval_s = job.interval_s if every is None else parse_every(every)
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidArgumentError("enabled must be true or false")
    now_enabled = job.enabled if enabled is None else enabled
    if not (now_enabled and interval_s):
        next_run = None
    elif job.enabled and job.interval_s == interval_s and job.next_run_time is not None:
        next_run = job.next_run_time  # nothing about the schedule changed
    else:
        next_run = ctx.clock()
    return store.update_schedule(job.name, interval_s, now_enabled, next_run)


def delete_job(ctx: ServiceContext, name: str) -> None:
    """Delete a job and its runs (what its runs wrote stays)."""
    job_store(ctx).delete_job(validate_job_name(name))


def list_runs(ctx: ServiceContext, name: str, limit: int = 100) -> list[BatchJobRun]:
    """A job's runs, newest first (``NotFoundError`` for an unknown job)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RUNS:
        raise InvalidArgumentError(f"limit must be from 1 to {MAX_RUNS}")
    store = job_store(ctx)
    job = store.get_job(validate_job_name(name))
    return store.list_job_runs(job.name, limit)


def run_job(
    ctx: ServiceContext,
    name: str,
    due_at: int | None = None,
    operation: str = "batch_jobs.run",
) -> BatchJobRun:
    """Run a job now and record the run, succeeded or failed (returned, not raised).

    With ``due_at`` (a scheduler's), the job runs only while it is still due then, so
    several servers run each scheduled run once; a job another run holds, or no longer due,
    is refused with ``ConflictError`` and nothing runs.
    """
    store = job_store(ctx)
    job = store.get_job(validate_job_name(name))
    if due_at is not None and (isinstance(due_at, bool) or not isinstance(due_at, int)):
        raise InvalidArgumentError("due_at must be a time in milliseconds")
    require_job_rights(ctx, job, _model_name(job.model_uri), operation)
    started = ctx.clock()
    if not store.claim_job(job.name, started, started + RUN_LEASE_S * 1000, due_at):
        raise ConflictError(
            f"Batch job {job.name!r} is running already"
            if due_at is None
            else f"Batch job {job.name!r} is not due at {due_at} any more"
        )
    run_id = new_id()
    output = expand_output(job.output, run_id, started)
    report: BatchReport | None = None
    error: str | None = None
    try:
        options = replace(_batch_options(job.options), restart=True)
        report = predict_batch(ctx, job.model_uri, list(job.inputs), output, options)
    except MlstewardError as failure:
        error = failure.message
    except Exception as failure:  # a run must be recorded whatever went wrong
        logger.exception("batch job %s failed", job.name)
        error = f"{type(failure).__name__}: {failure}"
    finished = ctx.clock()
    run = _run(job, run_id, ctx.actor, started, finished, output, report, error)
    next_run = finished + job.interval_s * 1000 if job.interval_s else None
    return store.record_job_run(run, next_run)


def require_job_rights(ctx: ServiceContext, job: BatchJob, model: str, operation: str) -> None:
    """The caller may run the job's model, read its input datasets and create versions of
    its output dataset (what ``batch.predict`` asks of the same job)."""
    needed = [(Action.EXECUTE, Resource(ResourceKind.REGISTERED_MODEL, model))]
    needed += [(Action.READ, Resource(ResourceKind.DATASET, n)) for n in input_datasets(job.inputs)]
    if job.output.startswith(DATASET_PREFIX):
        output = job.output[len(DATASET_PREFIX) :]
        needed.append((Action.CREATE, Resource(ResourceKind.DATASET, output)))
    for action, resource in needed:
        decision = ctx.policy.decide(ctx.acting, action, resource, operation)
        if not decision.allowed:
            raise PermissionDeniedError(
                decision.reason or f"{ctx.actor} may not {action.value} {resource} ({operation})"
            )


def _checked_inputs(ctx: ServiceContext, inputs: Sequence[str]) -> list[str]:
    """The input specs, each a non-empty path, glob or ``dataset:``; paths checked against
    the server's ``--source-root`` folders. They need not exist yet (tomorrow's file)."""
    if isinstance(inputs, str) or not inputs or len(inputs) > MAX_INPUTS:
        raise InvalidArgumentError(
            f"input must be a list of 1 to {MAX_INPUTS} paths, globs or dataset:NAME@VERSION"
        )
    listed = list(inputs)
    if any(not isinstance(s, str) or not s.strip() or "\x00" in s for s in listed):
        raise InvalidArgumentError("every input must be a non-empty path, glob or dataset:NAME")
    datasets = [s for s in listed if s.startswith(DATASET_PREFIX)]
    if datasets and len(listed) != 1:
        raise InvalidArgumentError("A dataset input is read alone: give one dataset:NAME@VERSION")
    for spec in datasets:
        validate_dataset_name(spec[len(DATASET_PREFIX) :].split("@", 1)[0])
    for spec in listed:
        if not spec.startswith(DATASET_PREFIX):
            check_path(ctx, spec, "input")
    return listed


def _batch_options(options: BatchJobOptions) -> BatchOptions:
    if not isinstance(options, BatchJobOptions):
        raise InvalidArgumentError("options must be batch options")
    return BatchOptions(
        chunk_size=options.chunk_size,
        runtime=options.runtime,
        outputs=tuple(options.outputs),
        keep_columns=options.keep_columns,
        on_bad_rows=options.on_bad_rows,
        log=options.log,
        log_as=options.log_as,
    )


def _model_name(model_uri: str) -> str:
    rest = model_uri[len("models:/") :] if model_uri.startswith("models:/") else model_uri
    return rest.split("@", 1)[0].split("/", 1)[0]


def _run(
    job: BatchJob,
    run_id: str,
    actor: str,
    started: int,
    finished: int,
    output: str,
    report: BatchReport | None,
    error: str | None,
) -> BatchJobRun:
    if report is None:
        return BatchJobRun(
            run_id=run_id,
            job=job.name,
            status=FAILED,
            started_ms=started,
            finished_ms=finished,
            actor=actor,
            output=output,
            error=(error or "failed")[:MAX_ERROR_CHARS],
        )
    return BatchJobRun(
        run_id=run_id,
        job=job.name,
        status=SUCCEEDED,
        started_ms=started,
        finished_ms=finished,
        actor=actor,
        output=report.output,
        rows=report.rows,
        rows_per_s=report.rows_per_s,
        chunks=report.chunks,
        rejected=report.rejected,
        output_version=report.output_version,
        report=encode_report(report),
    )
