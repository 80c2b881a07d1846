"""``mlsteward predictions ...``: read the prediction log and send labels for it.

``show`` finds one prediction by the ID a response carried, ``query`` lists a deployment's
predictions over a time range (a table, JSON, or a Parquet file), ``feedback`` sends
delayed labels from a CSV file with ``prediction_id`` and ``label`` columns (several rows
with one ID are the labels of a multi-row request, in order).
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.interfaces.cli.audit import parse_when
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, format_time, plain, print_json
from mlsteward.interfaces.sdk.prediction_calls import (
    DEFAULT_QUERY_ROWS,
    PredictionCalls,
    prediction_row,
)

app = typer.Typer(
    help="The prediction log: show one prediction, query a time range, send feedback.",
    no_args_is_help=True,
)
_WHEN = "a date or time (2024-05-01T13:00) or an age (90m, 12h, 7d)"
#: Labels per feedback request: a large file goes in several requests.
FEEDBACK_CHUNK = 5_000


def _calls(ctx: typer.Context, uri: str | None) -> PredictionCalls:
    return client(ctx, uri).predictions


@app.command("show")
def show(
    ctx: typer.Context,
    prediction_id: Annotated[str, typer.Argument(help="The prediction ID a response carried.")],
    deployment: Annotated[
        str | None,
        typer.Option("--deployment", "-d", help="The deployment (faster).", show_default=False),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """One logged prediction: inputs, outputs, model version, route, latency, status (and
    for a shadow copy, the prediction it copied)."""
    record = _calls(ctx, tracking_uri).get(prediction_id, deployment)
    data = prediction_row(record)
    if as_json:
        print_json(data)
        return
    table = Table(title=f"Prediction {record.prediction_id}", title_justify="left")
    table.add_column("Field", no_wrap=True)
    table.add_column("Value")
    for key, value in data.items():
        if key == "shadow_of" and value is None:
            continue  # not a shadow copy
        if key == "time_ms":
            shown = f"{format_time(value)} ({value})"
        elif isinstance(value, dict):
            shown = json.dumps(value)
        else:
            shown = "" if value is None else str(value)
        table.add_row(key, plain(shown))
    console().print(table)


@app.command("query")
def query(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="The deployment's name.")],
    since: Annotated[
        str | None, typer.Option("--since", help=f"From {_WHEN}.", show_default=False)
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help=f"From {_WHEN}.", show_default=False)
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--end", help=f"Up to (not including) {_WHEN}; default now.", show_default=False
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many predictions.", min=1)
    ] = DEFAULT_QUERY_ROWS,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write a Parquet file instead.", show_default=False),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """A deployment's predictions over a time range, oldest first."""
    if since is not None and start is not None:
        raise InvalidArgumentError("Give --since or --start, not both")
    start_ms = parse_when(since, "--since") if since is not None else parse_when(start, "--start")
    if start_ms is None:
        raise InvalidArgumentError("Give where the range starts: --since 1h or --start TIME")
    end_ms = parse_when(end, "--end") or int(time.time() * 1000) + 1
    calls = _calls(ctx, tracking_uri)
    page = calls.page(deployment, start_ms, end_ms, limit)
    rows = [prediction_row(record) for record in page.predictions]
    if output is not None:
        _write_parquet(rows, output)
        console().print(f"Wrote {len(rows)} predictions to [bold]{escape(str(output))}[/].")
    elif as_json:
        print_json({"predictions": rows, "truncated": page.truncated})
    else:
        _print_table(deployment, rows)
    if page.truncated and not as_json:
        console().print(f"[yellow]Showing the first {limit}[/]: raise --limit or narrow the range.")


def _print_table(deployment: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console().print(f"No predictions of {escape(deployment)} in that range.")
        return
    table = Table(title=f"Predictions of {deployment}", title_justify="left")
    for column in ("Prediction ID", "Time", "Version", "Route", "Status", "Latency ms", "Rows"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            row["prediction_id"],
            format_time(row["time_ms"]),
            str(row["model_version"]),
            row["route"],
            str(row["status"]),
            f"{row['latency_ms']:.2f}",
            str(row["rows"]),
        )
    console().print(table)


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    """The rows as Parquet, inputs and outputs as JSON text (as the log stores them)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(PredictionRecord.__dataclass_fields__))
    for column in ("inputs", "outputs"):
        frame[column] = [json.dumps(value) for value in frame[column]]
    frame.to_parquet(path, index=False)


@app.command("feedback")
def feedback(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="The deployment's name.")],
    file: Annotated[
        Path,
        typer.Option(
            "--file", "-f", help="A CSV file with prediction_id and label columns.", exists=True
        ),
    ],
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send delayed labels by prediction ID. Malformed IDs refuse the file; IDs the log
    does not hold yet are stored and listed as unknown."""
    labels = _read_labels(file)
    calls = _calls(ctx, tracking_uri)
    items = [{"prediction_id": pid, "labels": values} for pid, values in labels.items()]
    accepted, unknown = 0, []
    for at in range(0, len(items), FEEDBACK_CHUNK):
        receipt = calls.feedback(deployment, items[at : at + FEEDBACK_CHUNK])
        accepted += receipt.accepted
        unknown.extend(receipt.unknown)
    if as_json:
        print_json({"accepted": accepted, "unknown": unknown})
        return
    console().print(f"Stored labels for {accepted} predictions of {escape(deployment)}.")
    if unknown:
        shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        console().print(f"[yellow]{len(unknown)} not in the log (yet)[/]: {escape(shown)}")


def _read_labels(path: Path) -> dict[str, list[Any]]:
    """``prediction_id -> labels`` from the CSV; numbers stay numbers, empty cells null."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"prediction_id", "label"} <= set(reader.fieldnames):
            raise InvalidArgumentError(f"{path} needs prediction_id and label columns")
        labels: dict[str, list[Any]] = {}
        for row in reader:
            labels.setdefault(row["prediction_id"].strip(), []).append(_value(row["label"]))
    if not labels:
        raise InvalidArgumentError(f"{path} has no labels")
    return labels


def _value(text: str | None) -> Any:
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


@app.command("prune")
def prune(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(help="The deployment's name.")],
    older_than_days: Annotated[
        int,
        typer.Option(
            "--older-than-days", min=1, help="Remove predictions and labels older than this."
        ),
    ],
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a deployment's logged predictions (whole hours) and labels (whole days) older
    than the given number of days; a server does this daily by each deployment's retention."""
    receipt = _calls(ctx, tracking_uri).prune(deployment, older_than_days)
    if as_json:
        print_json(
            {"prediction_files": receipt.prediction_files, "feedback_files": receipt.feedback_files}
        )
        return
    console().print(
        f"Removed {receipt.prediction_files} prediction file(s) and {receipt.feedback_files} "
        f"label file(s) of {escape(deployment)} older than {older_than_days} day(s)."
    )
