"""``mlsteward predict MODEL --input ... --output ...``: batch scoring with a registered model.

A thin door: options become a ``predict_batch`` call on the SDK (in this process for a local
store, on the server for an HTTP tracking URI), a progress bar counts rows on a terminal,
and the report prints as a summary or, with ``--json``, as JSON.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, err_console, plain, print_json
from mlsteward.interfaces.sdk.batch_calls import DEFAULT_CHUNK_ROWS, BatchReport


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)


def predict(
    ctx: typer.Context,
    model_uri: Annotated[
        str,
        typer.Argument(help="The registered model: models:/NAME@ALIAS or models:/NAME/VERSION."),
    ],
    inputs: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            help="A .parquet or .csv file, a folder, a glob ('data/*.csv'), an s3:// URL or "
            "dataset:NAME@VERSION; repeat for several.",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="A folder (Parquet part files), a .csv file or dataset:NAME."
        ),
    ],
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", help="Rows per chunk (memory stays bounded by it).")
    ] = DEFAULT_CHUNK_ROWS,
    runtime: Annotated[
        str,
        typer.Option(help="auto (ONNX when its parity held), native, onnx or onnx-int8."),
    ] = "auto",
    proba: Annotated[
        bool, typer.Option("--proba", help="Also write predict_proba (classifiers).")
    ] = False,
    keep_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-column", "-k", help="An input column to copy to the output (default: all)."
        ),
    ] = None,
    keep_none: Annotated[
        bool, typer.Option("--keep-none", help="Copy no input column, only IDs and outputs.")
    ] = False,
    on_bad_rows: Annotated[
        str,
        typer.Option(
            help="fail: stop at the first row that does not fit the signature; skip: list "
            "such rows apart and go on."
        ),
    ] = "fail",
    log_as: Annotated[
        str | None,
        typer.Option(help="The prediction log's name for these rows (default: MODEL-batch)."),
    ] = None,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Do not write the rows to the prediction log.")
    ] = False,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Start over instead of resuming the job OUTPUT holds."),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="local: score in this process; ray: on Ray Data workers (same results; "
            "pip install 'mlsteward[ray]')."
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="With --engine ray: auto or ray://HOST:PORT joins a cluster (default: a "
            "local Ray).",
        ),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score INPUT with MODEL_URI into OUTPUT, chunk by chunk; run it again to resume."""
    if keep_none and keep_columns:
        raise typer.BadParameter("--keep-none and --keep-column exclude each other")
    options: dict[str, Any] = {
        "chunk_size": chunk_size,
        "runtime": runtime,
        "outputs": ["predict", "predict_proba"] if proba else ["predict"],
        "keep_columns": [] if keep_none else (keep_columns or None),
        "on_bad_rows": on_bad_rows,
        "log": not no_log,
        "log_as": log_as,
        "restart": restart,
        "engine": engine,
        "ray_address": ray_address,
    }
    sdk = client(ctx, tracking_uri)
    if as_json or not sys.stderr.isatty():
        report = sdk.predict_batch(model_uri, inputs, output, **options)
    else:
        columns = [
            TextColumn("[bold]scoring"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=err_console(), transient=True) as bar:
            task = bar.add_task("scoring", total=None)

            def progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            report = sdk.predict_batch(model_uri, inputs, output, progress=progress, **options)
    if as_json:
        print_json(report_dict(report))
        return
    _summary(report)


def report_dict(report: BatchReport) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(report)


def _summary(report: BatchReport) -> None:
    out = console()
    where = (report.output_version and f"dataset:{report.output_version}") or report.output
    out.print(
        plain(
            f"Scored {report.rows_scored} row(s) with {report.model_name} version "
            f"{report.model_version} ({report.runtime}"
            f"{', on Ray' if report.engine == 'ray' else ''}) into {where}"
        )
    )
    if report.chunks_resumed:
        out.print(
            plain(
                f"Resumed: {report.chunks_resumed} chunk(s), {report.rows_resumed} row(s) "
                "done before"
            )
        )
    out.print(
        plain(
            f"{report.rows} row(s) in the output, {report.chunks} chunk(s), "
            f"{report.rows_per_s:.0f} rows/s, {report.duration_s:.1f} s"
        )
    )
    if report.logged_as:
        out.print(plain(f"Logged {report.rows_logged} prediction(s) as {report.logged_as}"))
    if report.rejected:
        out.print(plain(f"Rejected {report.rejected} row(s), listed in {report.rejected_location}"))
        for row in report.rejected_sample[:5]:
            where_row = (
                f"row {row['row']}" if row.get("row") is not None else f"line {row.get('line')}"
            )
            out.print(plain(f"  {row['source']}, {where_row}: {row['reason']}"))
