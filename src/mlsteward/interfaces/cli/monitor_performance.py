"""Performance with late labels in the CLI: ``monitor create``'s ``--perf-*`` options, the
performance lines of ``monitor show``, and the one-shot ``monitor performance`` command.

Parsing and rendering only; the meaning of every setting is checked by the monitoring service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.options import key_values
from mlsteward.interfaces.cli.output import console, print_json

TASK_HELP = "binary, multiclass or regression."
PROBA_HELP = (
    "Probability column: one for binary (the positive class), CLASS=COLUMN per class for "
    "multiclass (repeatable)."
)


def parse_scores(values: list[str] | None) -> str | dict[str, str] | None:
    """``["p"]`` -> ``"p"``; ``["cat=p_cat", "dog=p_dog"]`` -> a class -> column mapping."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    return key_values(values, "--proba for several classes", "CLASS=COLUMN")


def _bounds(values: list[str] | None) -> dict[str, float]:
    out = {}
    for item in values or []:
        metric, sep, value = item.partition("=")
        try:
            out[metric] = float(value)
        except ValueError:
            raise InvalidArgumentError(
                f"--perf-bound is METRIC=NUMBER (e.g. accuracy=0.8), got {item!r}"
            ) from None
        if not sep or not metric:
            raise InvalidArgumentError(f"--perf-bound is METRIC=NUMBER, got {item!r}")
    return out


def performance_options(
    *,
    task: str | None,
    id_column: str | None,
    labels: str | None,
    label_column: str | None,
    prediction: str | None,
    proba: list[str] | None,
    classes: list[str] | None,
    reference: str | None,
    reference_label: str | None,
    bounds: list[str] | None,
    min_labels: int | None,
) -> dict[str, Any] | None:
    """The ``performance`` setting of ``create_monitor`` from ``--perf-*`` options (None if
    none was given)."""
    given = {
        "id_column": id_column,
        "labels": labels,
        "label_column": label_column,
        "prediction": prediction,
        "scores": parse_scores(proba),
        "classes": classes or None,
        "reference": reference,
        "reference_label": reference_label,
        "bounds": _bounds(bounds) or None,
        "min_labels": min_labels,
    }
    if task is None:
        if any(v is not None for v in given.values()):
            tasks = TASK_HELP.rstrip(".")
            raise InvalidArgumentError(f"The --perf-* options need --perf-task ({tasks})")
        return None
    return {"task": task, **{k: v for k, v in given.items() if v is not None}}


def performance_lines(config: dict[str, Any] | None) -> list[str]:
    """What ``monitor show`` prints about the performance check (Rich markup, escaped)."""
    if not config:
        return []
    from mlsteward.interfaces.sdk.monitoring_files import describe_bounds

    scores = config.get("scores")
    shown = ", ".join(f"{k}={v}" for k, v in scores.items()) if isinstance(scores, dict) else scores
    lines = [
        f"performance: {config['task']}, id {config['id_column']}, prediction "
        f"{config.get('prediction') or '-'}, scores {shown or '-'}",
        f"  labels {config['labels']} (column {config['label_column']}), judged with >= "
        f"{config['min_labels']} labels per chunk",
        f"  bounds: {', '.join(describe_bounds(config)) or 'none (metrics recorded only)'}",
        "  estimates: "
        + (f"CBPE, reference {config['reference']}" if config.get("reference") else "none"),
    ]
    return [escape(line) for line in lines]


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _estimate_cell(e: dict[str, Any]) -> str:
    """``0.744 [0.705, 0.787]``, red when outside the alert bounds (the alerts column says
    which, for terminals without colour)."""
    band = (
        f" [{_fmt(e['lower'])}, {_fmt(e['upper'])}]"
        if e.get("lower") is not None and e.get("upper") is not None
        else ""
    )
    text = escape(_fmt(e.get("estimate")) + band)
    return f"[red]{text}[/red]" if e.get("alert") else text


def window_table(windows: list[dict[str, Any]], metrics: list[str] | None) -> Table:
    """Per window: labelled/total, realized metrics, and the estimate [band] when there is one
    (red outside CBPE's alert bounds), and the metrics whose estimates alert."""
    names = metrics or (list(windows[0]["realized"]) if windows else [])
    estimated = any(w["estimated"] for w in windows)
    table = Table("window", "labelled / total")
    for name in names:
        table.add_column(name, justify="right")
        if estimated:
            table.add_column(escape(f"{name} est. [band]"), justify="right")
    if estimated:
        table.add_column("alerts")
    for w in windows:
        cells = [
            escape(str(w.get("start") or w["window"])),
            f"{w['n_labelled']}/{w['n_predictions']}",
        ]
        for name in names:
            cells.append(_fmt(w["realized"].get(name)))
            if estimated:
                cells.append(_estimate_cell(w["estimated"].get(name) or {}))
        if estimated:
            alerts = [n for n in names if (w["estimated"].get(n) or {}).get("alert")]
            cells.append(f"[red]{escape(', '.join(alerts))}[/red]" if alerts else "-")
        table.add_row(*cells)
    return table


def alert_bounds_table(windows: list[dict[str, Any]], metrics: list[str] | None) -> Table | None:
    """Per metric: CBPE's alert bounds (from the reference's chunks) and how many windows'
    estimates fell outside them; None without estimates."""
    if not any(w["estimated"] for w in windows):
        return None
    names = metrics or list(windows[0]["estimated"])
    table = Table("metric")
    for column in ("alert lower", "alert upper", "windows alerting"):
        table.add_column(column, justify="right")
    for name in names:
        cells = [w["estimated"].get(name) or {} for w in windows]
        lower = next((c["alert_lower"] for c in cells if c.get("alert_lower") is not None), None)
        upper = next((c["alert_upper"] for c in cells if c.get("alert_upper") is not None), None)
        alerting = sum(bool(c.get("alert")) for c in cells)
        shown = f"{alerting} of {len(cells)}"
        table.add_row(
            escape(name),
            _fmt(lower),
            _fmt(upper),
            f"[red]{shown}[/red]" if alerting else shown,
        )
    return table


def _estimates(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [cell for w in windows for cell in w["estimated"].values()]


def read_table(path: Path, what: str) -> Any:
    """A table from a .csv/.parquet file; a file that does not parse is an ``Error:`` line."""
    from mlsteward.interfaces.sdk.monitoring_files import read_table as read_file

    try:
        return read_file(path)
    except ValueError as error:  # pandas' EmptyDataError, ParserError, Arrow's errors
        raise InvalidArgumentError(f"Cannot read the {what} {str(path)!r}: {error}") from None


def performance(
    predictions: Annotated[Path, typer.Argument(help="Predictions: a .csv or .parquet file.")],
    labels: Annotated[Path, typer.Argument(help="Labels (id, label): a .csv or .parquet file.")],
    id_column: Annotated[str, typer.Option(help="Id column joining labels to predictions.")],
    task: Annotated[str, typer.Option(help=TASK_HELP)],
    prediction: Annotated[str | None, typer.Option(help="Predicted label/value column.")] = None,
    proba: Annotated[list[str] | None, typer.Option(help=PROBA_HELP)] = None,
    class_: Annotated[
        list[str] | None, typer.Option("--class", help="Class labels in order (repeatable).")
    ] = None,
    label_column: Annotated[str, typer.Option(help="Label column of LABELS.")] = "label",
    reference: Annotated[
        Path | None, typer.Option(help="Labelled reference data: adds CBPE estimates.")
    ] = None,
    reference_label: Annotated[
        str | None, typer.Option(help="Label column of --reference (default: --label-column).")
    ] = None,
    chunk_size: Annotated[int | None, typer.Option(help="Chunk by rows.")] = None,
    period: Annotated[str | None, typer.Option(help="Chunk by hour/day/week/month.")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="Column for --period.")] = None,
    metric: Annotated[
        list[str] | None, typer.Option(help="Only these metrics in the table (repeatable).")
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Also write an HTML report here.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Join late labels to predictions by id: realized metrics per chunk, with coverage."""
    import mlsteward.monitoring as mon

    if chunk_size is not None and period is not None:
        raise InvalidArgumentError("Give --chunk-size or --period, not both")
    chunk_by: int | str | None = chunk_size if chunk_size is not None else period
    perf = mon.late_label_performance(
        read_table(predictions, "predictions"),
        read_table(labels, "labels"),
        id_column=id_column,
        task=task,
        prediction=prediction,
        label_column=label_column,
        scores=parse_scores(proba),
        classes=class_ or None,
        reference=read_table(reference, "reference") if reference is not None else None,
        reference_label=reference_label,
        chunk_by=chunk_by,
        timestamp_column=timestamp_column,
    )
    windows = perf.windows()
    known = list(windows[0]["realized"]) if windows else []
    unknown = [m for m in metric or [] if m not in known]
    if unknown:
        raise InvalidArgumentError(
            f"Unknown --metric {', '.join(unknown)} for a {perf.task} task; known: "
            + ", ".join(known)
        )
    if html is not None:
        perf.save_html(html)
    if json_output:
        print_json({**perf.to_dict(), "windows": windows})
        return
    out = console()
    whole = perf.coverage[0]
    out.print(
        f"{whole.n_labelled} of {whole.n_predictions} predictions labelled ({whole.share:.0%}); "
        f"task {escape(perf.task)}"
    )
    out.print(window_table(windows, metric))
    bounds = alert_bounds_table(windows, metric)
    if bounds is not None:
        if any(cell.get("alert_lower") is not None for cell in _estimates(windows)):
            out.print("Estimate alert bounds (mean +/- 3 sd of the reference's chunks):")
        else:
            out.print("Estimate alert bounds: none (they come from a chunked reference)")
        out.print(bounds)
    for w in windows:
        for note in w.get("notes", ()):
            out.print(f"  {escape(str(w.get('start') or w['window']))}: {escape(note)}")
    for message in perf.messages:
        out.print(f"  {escape(message)}")
    if html is not None:
        out.print(f"Wrote {escape(str(html))}")
