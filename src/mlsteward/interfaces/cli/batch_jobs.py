"""``mlsteward jobs ...``: scheduled batch scoring jobs and their runs.

Every rule is the batch job service's; these commands parse, call the SDK and render. A
server runs due jobs itself; ``jobs run`` runs one now (on the server for an HTTP URI).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.batch_jobs import SUCCEEDED, BatchJob, BatchJobRun, format_every
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import (
    console,
    format_duration,
    format_time,
    plain,
    print_json,
)
from mlsteward.interfaces.sdk.batch_calls import DEFAULT_CHUNK_ROWS

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.batch_job_calls import BatchJobCalls

app = typer.Typer(
    help="Scheduled batch scoring jobs: a registered model over a table, on a schedule.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="Job name.", show_default=False)]
EveryOption = Annotated[
    str | None,
    typer.Option(
        "--every",
        help="Run every N seconds, or 90s, 15m, 1h, 1d, 1w (a server runs due jobs); "
        "none: only `jobs run`.",
        show_default=False,
    ),
]


def backend(ctx: typer.Context, uri: str | None) -> BatchJobCalls:
    """The batch job operations of the command's tracking URI (a store or a server)."""
    return client(ctx, uri).batch_jobs


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArgument,
    model_uri: Annotated[
        str,
        typer.Option(
            "--model", help="models:/NAME@ALIAS or models:/NAME/VERSION.", show_default=False
        ),
    ],
    inputs: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            help="A .parquet or .csv file, a folder, a glob, an s3:// URL or dataset:NAME; "
            "repeat for several. Read anew at each run.",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="dataset:NAME (a new version each run), or a folder or .csv file whose path "
            "holds {run} or {date}.",
        ),
    ],
    every: EveryOption = None,
    paused: Annotated[bool, typer.Option("--paused", help="Create it paused.")] = False,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Rows per chunk.")] = (
        DEFAULT_CHUNK_ROWS
    ),
    runtime: Annotated[
        str, typer.Option(help="auto (ONNX when its parity held), native, onnx or onnx-int8.")
    ] = "auto",
    proba: Annotated[
        bool, typer.Option("--proba", help="Also write predict_proba (classifiers).")
    ] = False,
    keep_columns: Annotated[
        list[str] | None,
        typer.Option("--keep-column", "-k", help="An input column to copy (default: all)."),
    ] = None,
    keep_none: Annotated[
        bool, typer.Option("--keep-none", help="Copy no input column, only IDs and outputs.")
    ] = False,
    on_bad_rows: Annotated[str, typer.Option(help="fail or skip (list them apart).")] = "fail",
    log_as: Annotated[
        str | None, typer.Option(help="The prediction log's name (default: MODEL-batch).")
    ] = None,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Do not write the rows to the prediction log.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Save a batch scoring job under NAME, run --every interval (due at once)."""
    if keep_none and keep_columns:
        raise typer.BadParameter("--keep-none and --keep-column exclude each other")
    job = backend(ctx, tracking_uri).create(
        name,
        model_uri,
        inputs,
        output,
        every=every,
        enabled=not paused,
        chunk_size=chunk_size,
        runtime=runtime,
        outputs=["predict", "predict_proba"] if proba else ["predict"],
        keep_columns=[] if keep_none else (keep_columns or None),
        on_bad_rows=on_bad_rows,
        log=not no_log,
        log_as=log_as,
    )
    if as_json:
        print_json(_job_dict(job))
        return
    console().print(plain(f"Created batch job {job.name} ({_schedule(job)})"))


@app.command("list")
def list_jobs(
    ctx: typer.Context, tracking_uri: TrackingUriOption = None, as_json: JsonOption = False
) -> None:
    """Every batch job: model, output, schedule and next run."""
    jobs = backend(ctx, tracking_uri).list()
    if as_json:
        print_json([_job_dict(job) for job in jobs])
        return
    if not jobs:
        console().print("No batch jobs")
        return
    table = Table("name", "model", "output", "schedule", "next run", "last run")
    for job in jobs:
        table.add_row(
            escape(job.name),
            escape(job.model_uri),
            escape(job.output),
            _schedule(job),
            format_time(job.next_run_time),
            format_time(job.last_run_time),
        )
    console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: NameArgument,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """A job: its model, input, output, options and schedule."""
    job = backend(ctx, tracking_uri).get(name)
    if as_json:
        print_json(_job_dict(job))
        return
    out = console()
    out.print(plain(f"{job.name}: {job.model_uri}"))
    out.print(plain(f"input: {', '.join(job.inputs)}"))
    out.print(plain(f"output: {job.output}"))
    options = job.options.to_dict()
    out.print(plain("options: " + ", ".join(f"{k}={v}" for k, v in options.items())))
    out.print(plain(f"schedule: {_schedule(job)}"))
    out.print(plain(f"next run: {format_time(job.next_run_time)}"))
    out.print(plain(f"last run: {format_time(job.last_run_time)}"))
    out.print(plain(f"created by {job.created_by} at {format_time(job.creation_time)}"))


@app.command("runs")
def runs(
    ctx: typer.Context,
    name: NameArgument,
    limit: Annotated[int, typer.Option(help="Most runs shown, newest first.")] = 20,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """A job's runs, newest first: status, rows, rows/s, rejected rows and output."""
    found = backend(ctx, tracking_uri).runs(name, limit)
    if as_json:
        print_json([asdict(run) for run in found])
        return
    if not found:
        console().print(plain(f"No runs of {name} yet"))
        return
    table = Table("started", "status", "took", "rows", "rows/s", "rejected", "output / error")
    for run in found:
        table.add_row(
            format_time(run.started_ms),
            run.status,
            format_duration(run.started_ms, run.finished_ms),
            str(run.rows),
            f"{run.rows_per_s:.0f}",
            str(run.rejected),
            escape(_where(run) if run.status == SUCCEEDED else run.error or ""),
        )
    console().print(table)


@app.command("run")
def run(
    ctx: typer.Context,
    name: NameArgument,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a job now into a new output; exits 1 when the run failed."""
    done = backend(ctx, tracking_uri).run(name)
    if as_json:
        print_json(asdict(done))
    elif done.status == SUCCEEDED:
        console().print(
            plain(
                f"Run {done.run_id} of {done.job} succeeded: {done.rows} row(s), "
                f"{done.rows_per_s:.0f} rows/s, {done.chunks} chunk(s), {done.rejected} "
                f"rejected, into {_where(done)}"
            )
        )
    else:
        console().print(plain(f"Run {done.run_id} of {done.job} failed: {done.error}"))
    if done.status != SUCCEEDED:
        raise typer.Exit(1)


@app.command("pause")
def pause(ctx: typer.Context, name: NameArgument, tracking_uri: TrackingUriOption = None) -> None:
    """Stop scheduling a job (a run under way finishes; `jobs run` still works)."""
    job = backend(ctx, tracking_uri).pause(name)
    console().print(plain(f"Paused batch job {job.name}"))


@app.command("resume")
def resume(
    ctx: typer.Context,
    name: NameArgument,
    every: EveryOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Schedule a paused job again (due at once), optionally at a new --every interval."""
    job = backend(ctx, tracking_uri).update(name, every=every, enabled=True)
    console().print(plain(f"Resumed batch job {job.name} ({_schedule(job)})"))


@app.command("delete")
def delete(ctx: typer.Context, name: NameArgument, tracking_uri: TrackingUriOption = None) -> None:
    """Delete a job and its runs' records (what the runs wrote stays)."""
    backend(ctx, tracking_uri).delete(name)
    console().print(plain(f"Deleted batch job {name}"))


def _schedule(job: BatchJob) -> str:
    every = format_every(job.interval_s)
    if job.interval_s and not job.enabled:
        return f"every {every}, paused"
    if not job.interval_s:
        return "manual" if job.enabled else "manual, paused"
    return f"every {every}"


def _where(run: BatchJobRun) -> str:
    return f"dataset:{run.output_version}" if run.output_version else run.output


def _job_dict(job: BatchJob) -> dict[str, Any]:
    return asdict(job)
