"""``mlsteward monitor ...``: reference profiles, monitors, runs, alerts, events, the scheduler.

Every rule is the monitoring service's; these commands parse, call the SDK and render.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.monitoring import DEFAULT_CHECKS, Alert, Monitor, MonitorRun
from mlsteward.interfaces.cli import monitor_drift as drift_cli
from mlsteward.interfaces.cli import monitor_performance as perf_cli
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client, key_values
from mlsteward.interfaces.cli.output import (
    console,
    err_console,
    format_time,
    print_error,
    print_json,
)

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.monitoring_calls import MonitoringCalls

app = typer.Typer(
    help="Monitoring: reference profiles, monitors and their runs, alerts, events.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="Monitor name.", show_default=False)]
_PERF = "Performance check"
_OPS = "Operational check (deployment:NAME targets)"

app.command("performance")(perf_cli.performance)
app.command("drift")(drift_cli.drift)


def backend(ctx: typer.Context, uri: str | None) -> MonitoringCalls:
    """The monitoring operations of the command's tracking URI (a store or a server)."""
    return client(ctx, uri).monitoring()


def _show_alert(alert: Alert) -> str:
    colour = {"critical": "red", "warning": "yellow"}.get(alert.severity, "cyan")
    return (
        f"[{colour}]{alert.severity}[/] {escape(alert.check)} on {escape(alert.column)} "
        f"({alert.status}, seen {alert.count}x, last {format_time(alert.last_seen)})"
    )


@app.command("profile")
def profile(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Profile name.", show_default=False)],
    source: Annotated[
        str,
        typer.Argument(
            help="Reference data: a .csv or .parquet file, or a stored dataset version "
            "dataset:NAME@VERSION (profiled where the data is, tied to that version).",
            show_default=False,
        ),
    ],
    chunk_size: Annotated[
        int | None, typer.Option(help="Also keep per-chunk summaries (learned thresholds).")
    ] = None,
    sample_size: Annotated[
        int | None,
        typer.Option(
            help="Reference rows kept as a seeded sample for multivariate checks "
            "(default 5000; 0 keeps none).",
            show_default=False,
        ),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option(help="Also log it as an artifact of this run.")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Tie it to this dataset (with --dataset-version).")
    ] = None,
    dataset_version: Annotated[
        int | None, typer.Option(help="The version of --dataset it describes.")
    ] = None,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Profile reference data once and store it for reports and monitors."""
    from mlsteward.interfaces.sdk.monitoring_files import DATASET_PREFIX, profile_table, read_table

    sdk = backend(ctx, tracking_uri_option)
    if source.startswith(DATASET_PREFIX):
        if dataset is not None or dataset_version is not None:
            raise typer.BadParameter(
                "a profile built from a dataset is tied to that dataset", param_hint="--dataset"
            )
        record = sdk.profile_dataset(
            source, name, chunk_size=chunk_size, sample_size=sample_size, run_id=run_id
        )
        sampled = sdk.load_profile(record.name).sample_rows
    else:
        built = profile_table(read_table(source), chunk_size, sample_size)
        record = sdk.save_profile(
            built, name, run_id=run_id, dataset_name=dataset, dataset_version=dataset_version
        )
        sampled = built.sample_rows
    tied = ""
    if record.dataset_name is not None:
        tied = f" (dataset {escape(record.dataset_name)}@{record.dataset_version})"
    chunks = f", chunks of {chunk_size} rows kept" if chunk_size else ""
    sample = f", a sample of {sampled} rows" if sampled else ", no sample"
    console().print(
        f"Stored profile [bold]{escape(record.name)}[/]: {record.n_rows} rows, "
        f"{len(record.columns)} columns{chunks}{sample}{tied}"
    )


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArgument,
    target: Annotated[
        str,
        typer.Option(
            help="File, glob of new files, dataset:REF, or deployment:NAME (its prediction "
            "log since the last run; labels from its feedback)."
        ),
    ],
    profile_name: Annotated[str, typer.Option("--profile", help="Stored reference profile.")],
    check: Annotated[
        list[str] | None,
        typer.Option(
            help="column_drift, dataset_drift, missing_share, column_missing, performance or "
            "operational (repeatable; default column_drift, dataset_drift, column_missing)."
        ),
    ] = None,
    column: Annotated[list[str] | None, typer.Option(help="Only these columns.")] = None,
    test: Annotated[list[str] | None, typer.Option(help="COLUMN=TEST override.")] = None,
    threshold: Annotated[list[str] | None, typer.Option(help="TEST=VALUE threshold.")] = None,
    drift_share: Annotated[float, typer.Option(help="Share of drifted columns.")] = 0.5,
    chunk_size: Annotated[int | None, typer.Option(help="Chunk by rows.")] = None,
    period: Annotated[str | None, typer.Option(help="Chunk by hour/day/week/month.")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="Column for --period.")] = None,
    learn_thresholds: Annotated[
        bool,
        typer.Option(
            "--learn-thresholds",
            help="Learn thresholds from the profile's chunks (needs chunking and a profile "
            "built with --chunk-size).",
        ),
    ] = False,
    interval: Annotated[int, typer.Option(help="Run every N seconds (0: manual).")] = 0,
    webhook: Annotated[list[str] | None, typer.Option(help="POST alerts here.")] = None,
    multivariate: Annotated[
        list[str] | None,
        typer.Option(
            help="pca_reconstruction or domain_classifier, run against the profile's row "
            "sample (repeatable; adds the multivariate_drift check).",
        ),
    ] = None,
    id_column: Annotated[
        list[str] | None, typer.Option(help="A column never tested: an id (repeatable).")
    ] = None,
    prediction_column: Annotated[
        list[str] | None,
        typer.Option(help="A model output column, tested as a prediction (repeatable)."),
    ] = None,
    lookback: Annotated[
        str | None,
        typer.Option(
            help="How long a prediction file of a glob stays in the performance check after "
            "its first read: 30d, 12h, 90m, seconds, or none (default 30d).",
            show_default=False,
        ),
    ] = None,
    max_p50_ms: Annotated[
        float | None,
        typer.Option(help="Deployment: p50 latency bound (ms).", rich_help_panel=_OPS),
    ] = None,
    max_p99_ms: Annotated[
        float | None,
        typer.Option(help="Deployment: p99 latency bound (ms).", rich_help_panel=_OPS),
    ] = None,
    max_error_rate: Annotated[
        float | None,
        typer.Option(
            help="Deployment: share of failed requests (0-1) at most.", rich_help_panel=_OPS
        ),
    ] = None,
    min_throughput_rps: Annotated[
        float | None,
        typer.Option(help="Deployment: requests per second at least.", rich_help_panel=_OPS),
    ] = None,
    max_consumer_lag: Annotated[
        int | None,
        typer.Option(
            help="Deployment: messages a live stream consumer may have waiting at most.",
            rich_help_panel=_OPS,
        ),
    ] = None,
    max_dead_letter_rate: Annotated[
        float | None,
        typer.Option(
            help="Deployment: share of streamed messages dead-lettered (0-1) at most.",
            rich_help_panel=_OPS,
        ),
    ] = None,
    perf_task: Annotated[
        str | None, typer.Option(help=perf_cli.TASK_HELP, rich_help_panel=_PERF)
    ] = None,
    perf_id_column: Annotated[
        str | None, typer.Option(help="Id joining labels to predictions.", rich_help_panel=_PERF)
    ] = None,
    perf_labels: Annotated[
        str | None,
        typer.Option(
            help="Labels: file, glob or dataset:REF of (id, label).", rich_help_panel=_PERF
        ),
    ] = None,
    perf_label_column: Annotated[
        str | None, typer.Option(help="Label column (default label).", rich_help_panel=_PERF)
    ] = None,
    perf_prediction: Annotated[
        str | None, typer.Option(help="Predicted label/value column.", rich_help_panel=_PERF)
    ] = None,
    perf_proba: Annotated[
        list[str] | None, typer.Option(help=perf_cli.PROBA_HELP, rich_help_panel=_PERF)
    ] = None,
    perf_class: Annotated[
        list[str] | None, typer.Option(help="Class labels in order.", rich_help_panel=_PERF)
    ] = None,
    perf_reference: Annotated[
        str | None,
        typer.Option(help="Labelled reference (CBPE estimates).", rich_help_panel=_PERF),
    ] = None,
    perf_reference_label: Annotated[
        str | None, typer.Option(help="Label column of the reference.", rich_help_panel=_PERF)
    ] = None,
    perf_bound: Annotated[
        list[str] | None,
        typer.Option(
            help="METRIC=VALUE: a minimum (accuracy, f1, roc_auc, r2...) or a maximum "
            "(mae, rmse...).",
            rich_help_panel=_PERF,
        ),
    ] = None,
    perf_min_labels: Annotated[
        int | None,
        typer.Option(help="Labels a chunk needs to be judged (50).", rich_help_panel=_PERF),
    ] = None,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Create a monitor of a target against a stored reference profile."""
    performance = perf_cli.performance_options(
        task=perf_task,
        id_column=perf_id_column,
        labels=perf_labels,
        label_column=perf_label_column,
        prediction=perf_prediction,
        proba=perf_proba,
        classes=perf_class,
        reference=perf_reference,
        reference_label=perf_reference_label,
        bounds=perf_bound,
        min_labels=perf_min_labels,
    )
    thresholds = {k: float(v) for k, v in key_values(threshold, "--threshold").items()}
    chunking = {"size": chunk_size, "period": period, "timestamp_column": timestamp_column}
    options = {
        "checks": check or list(DEFAULT_CHECKS),
        "columns": column,
        "tests": {k: [v] for k, v in key_values(test, "--test").items()},
        "thresholds": thresholds,
        "drift_share": drift_share,
        "chunking": {k: v for k, v in chunking.items() if v is not None},
        "learn_thresholds": learn_thresholds,
        "interval_s": interval,
        "webhooks": webhook or [],
        "performance": performance,
        "multivariate": multivariate or [],
        "identifier_columns": id_column or [],
        "prediction_columns": prediction_column or [],
    }
    if lookback is not None:
        options["lookback_s"] = lookback_seconds(lookback)
    bounds = {
        "p50_latency_ms": max_p50_ms,
        "p99_latency_ms": max_p99_ms,
        "error_rate": max_error_rate,
        "min_throughput_rps": min_throughput_rps,
        "max_consumer_lag": max_consumer_lag,
        "max_dead_letter_rate": max_dead_letter_rate,
    }
    if any(v is not None for v in bounds.values()):
        options["operational"] = {k: v for k, v in bounds.items() if v is not None}
    monitor = backend(ctx, tracking_uri_option).create_monitor(name, target, profile_name, options)
    if json_output:
        print_json(dataclasses.asdict(monitor))
        return
    console().print(f"Created monitor [bold]{escape(monitor.name)}[/] on {escape(target)}")


#: Seconds per unit of a ``--lookback`` value.
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def lookback_seconds(text: str) -> int | None:
    """``30d``, ``12h``, ``90m``, ``45s``, ``3600`` (seconds) or ``none`` (no limit)."""
    value = text.strip().lower()
    if value == "none":
        return None
    unit = _UNITS.get(value[-1:], 0)
    digits = value[:-1] if unit else value
    if not digits.isdigit() or int(digits) <= 0:
        raise typer.BadParameter(
            f"{text!r}: give a duration such as 30d, 12h, 90m or 3600 (seconds), or none",
            param_hint="--lookback",
        )
    return int(digits) * (unit or 1)


@app.command("run")
def run(
    ctx: typer.Context,
    name: NameArgument,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Run a monitor now: check the data, store the report, raise or resolve alerts.

    A run whose target or profile could not be read is recorded with status ``error``; the
    command then exits with 1, so a cron job or CI step notices instead of reading "0 rows".
    """
    result = backend(ctx, tracking_uri_option).run_monitor(name)
    monitor_run = result["run"]
    if json_output:
        print_json(
            {
                "run": dataclasses.asdict(monitor_run),
                "opened": [dataclasses.asdict(a) for a in result["opened"]],
                "resolved": [dataclasses.asdict(a) for a in result["resolved"]],
                "deliveries": result["deliveries"],
            }
        )
        _fail_on_error(monitor_run)
        return
    out = console()
    verdict = "[red]drift[/]" if monitor_run.drifted else "[green]no dataset drift[/]"
    out.print(
        f"Run [bold]{monitor_run.run_id}[/] of {escape(name)}: {monitor_run.status}, "
        f"{monitor_run.n_rows} rows, {verdict}"
    )
    if monitor_run.message:
        out.print(f"  {escape(monitor_run.message)}")
    for alert in result["opened"]:
        out.print("  new alert: " + _show_alert(alert))
    for alert in result["resolved"]:
        out.print("  resolved: " + _show_alert(alert))
    _fail_on_error(monitor_run)


def _fail_on_error(monitor_run: MonitorRun) -> None:
    """Exit with 1 after a run that could not check anything (its status is ``error``)."""
    if monitor_run.status != "error":
        return
    print_error(
        f"monitor {monitor_run.monitor} could not run its checks: "
        f"{monitor_run.message or 'no reason recorded'} "
        f"(recorded as run {monitor_run.run_id}, status error)"
    )
    raise typer.Exit(1)


def _monitor_row(m: Monitor) -> list[str]:
    schedule = f"every {m.interval_s}s" if m.interval_s else "manual"
    return [m.name, m.target, m.profile, schedule, format_time(m.last_run_time)]


def _schedule_line(m: Monitor) -> str:
    """``schedule: manual`` or ``schedule: every 60s, next <time>``."""
    if not m.interval_s:
        return "schedule: manual"
    line = f"schedule: every {m.interval_s}s"
    if not m.enabled:
        return line + " (disabled)"
    return line + (f", next {format_time(m.next_run_time)}" if m.next_run_time else "")


def _thresholds_line(m: Monitor) -> str:
    chunking = ", ".join(f"{k}={v}" for k, v in m.chunking.items()) or "none"
    source = "learned from the profile's chunks" if m.learn_thresholds else "fixed"
    return escape(f"chunking: {chunking}  thresholds: {source}")


def _settings_lines(m: Monitor) -> list[str]:
    """The multivariate methods, column roles and performance lookback, where set."""
    lines = []
    if m.multivariate:
        lines.append(f"multivariate: {', '.join(m.multivariate)} (on the profile's row sample)")
    if m.identifier_columns:
        lines.append(f"identifier columns (not tested): {', '.join(m.identifier_columns)}")
    if m.operational:
        bounds = ", ".join(f"{k}={v:g}" for k, v in m.operational.items())
        lines.append(f"operational bounds: {bounds}")
    if m.prediction_columns:
        lines.append(f"prediction columns: {', '.join(m.prediction_columns)}")
    if m.performance is not None:
        days = "no limit" if m.lookback_s is None else f"{m.lookback_s / 86400:g} day(s)"
        lines.append(f"performance lookback: {days}")
    return [escape(line) for line in lines]


@app.command("list")
def list_command(
    ctx: typer.Context,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """List monitors."""
    monitors = backend(ctx, tracking_uri_option).list_monitors()
    if json_output:
        print_json([dataclasses.asdict(m) for m in monitors])
        return
    if not monitors:
        console().print("No monitors.")
        return
    table = Table("name", "target", "profile", "schedule", "last run")
    for m in monitors:
        table.add_row(*(escape(x) for x in _monitor_row(m)))
    console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: NameArgument,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """A monitor's settings, recent runs and open alerts."""
    sdk = backend(ctx, tracking_uri_option)
    monitor = sdk.get_monitor(name)
    runs = sdk.list_monitor_runs(name, 10)
    alerts = sdk.list_alerts(name, "open")
    if json_output:
        print_json(
            {
                "monitor": dataclasses.asdict(monitor),
                "runs": [dataclasses.asdict(r) for r in runs],
                "open_alerts": [dataclasses.asdict(a) for a in alerts],
            }
        )
        return
    out = console()
    out.print(f"[bold]{escape(monitor.name)}[/]  target {escape(monitor.target)}")
    out.print(f"  profile {escape(monitor.profile)}  checks {', '.join(monitor.checks)}")
    out.print(f"  {_schedule_line(monitor)}")
    out.print(f"  {_thresholds_line(monitor)}")
    for line in _settings_lines(monitor):
        out.print(f"  {line}")
    for line in perf_cli.performance_lines(monitor.performance):
        out.print(f"  {line}")
    for r in runs:
        out.print(
            f"  run {r.run_id} {format_time(r.start_time)} {r.status} rows={r.n_rows} "
            f"drifted={r.drifted}" + (f" - {escape(r.message)}" if r.message else "")
        )
    for alert in alerts:
        out.print("  alert: " + _show_alert(alert))


@app.command("delete")
def delete(
    ctx: typer.Context, name: NameArgument, tracking_uri_option: TrackingUriOption = None
) -> None:
    """Delete a monitor with its runs and alerts."""
    backend(ctx, tracking_uri_option).delete_monitor(name)
    console().print(f"Deleted monitor {escape(name)}")


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    monitor: Annotated[str | None, typer.Option(help="Only this monitor.")] = None,
    status: Annotated[str | None, typer.Option(help="open or resolved.")] = None,
    json_output: JsonOption = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """List alerts, newest first."""
    found = backend(ctx, tracking_uri_option).list_alerts(monitor, status)
    if json_output:
        print_json([dataclasses.asdict(a) for a in found])
        return
    for alert in found:
        console().print(f"{escape(alert.monitor)}: " + _show_alert(alert))
    if not found:
        console().print("No alerts.")


@app.command("events")
def events(
    ctx: typer.Context,
    since: Annotated[int, typer.Option(help="Only events after this sequence number.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Print events as JSON (a retraining pipeline polls with --since)."""
    found = backend(ctx, tracking_uri_option).list_events(since, limit)
    print_json([dataclasses.asdict(e) for e in found])


@app.command("report")
def report(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Monitor run id.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the HTML.")],
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Save a monitor run's HTML report."""
    html = backend(ctx, tracking_uri_option).monitor_report_html(run_id)
    output.write_text(html, encoding="utf-8")
    console().print(f"Wrote {escape(str(output))}")


@app.command("scheduler")
def scheduler(
    ctx: typer.Context,
    poll: Annotated[float, typer.Option(help="Seconds between passes.", min=0.1)] = 5.0,
    once: Annotated[bool, typer.Option(help="Run due monitors once and exit.")] = False,
    tracking_uri_option: TrackingUriOption = None,
) -> None:
    """Run due monitors on their schedule until interrupted (beside a local store)."""
    loop = client(ctx, tracking_uri_option).monitor_scheduler(poll)
    if once:
        results = loop.run_due()
        console().print(f"Ran {len(results)} due monitor(s).")
        return
    err_console().print(f"Monitor scheduler running (every {poll}s); Ctrl-C stops it.")
    loop.start()
    try:
        while loop.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
    err_console().print("Scheduler stopped.")
