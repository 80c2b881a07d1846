"""``mlsteward quickstart``: track a small training on the embedded store and show the result."""

from __future__ import annotations

import shlex
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

import mlsteward
from mlsteward.interfaces.cli.options import TrackingUriOption, tracking_uri
from mlsteward.interfaces.cli.output import console, plain, redact_uri
from mlsteward.interfaces.cli.quickstart_training import (
    SELECTION_METRIC,
    QuickstartResult,
    run_quickstart,
)
from mlsteward.interfaces.sdk.tracking_uri import default_artifacts_uri

#: Metric key -> column header; short headers keep the table within 100 columns.
RESULT_COLUMNS = {
    "val_accuracy": "accuracy",
    "val_log_loss": "log loss",
    "val_roc_auc": "ROC AUC",
    "fit_seconds": "fit",
}


def _results_table(result: QuickstartResult) -> Table:
    table = Table(
        title=f"Runs recorded in experiment '{escape(result.experiment_name)}' "
        "(metrics on the validation set)",
        title_justify="left",
    )
    table.add_column("", no_wrap=True)
    table.add_column("Run", no_wrap=True)
    table.add_column("Run ID", style="cyan", no_wrap=True)
    for header in RESULT_COLUMNS.values():
        table.add_column(header, justify="right", no_wrap=True)
    for candidate in result.candidates:
        is_best = candidate.run_id == result.best.run_id
        cells = [
            f"{value:.1f}s" if key == "fit_seconds" else f"{value:.4f}"
            for key, value in ((k, candidate.metrics[k]) for k in RESULT_COLUMNS)
        ]
        table.add_row(
            "[bold yellow]★[/]" if is_best else "",
            plain(candidate.run_name, "bold" if is_best else ""),
            candidate.run_id,
            *cells,
        )
    return table


def _next_steps(result: QuickstartResult, uri: str, explicit_uri: str | None) -> str:
    suffix = f" --tracking-uri {shlex.quote(explicit_uri)}" if explicit_uri else ""
    experiment = shlex.quote(result.experiment_name)
    ids = " ".join(c.run_id for c in result.candidates)
    best = result.best.run_id
    lines = [
        "[bold]Next, look at what was recorded:[/]",
        f"  mlsteward runs list --experiment {experiment}{suffix}",
        f"  mlsteward runs show {best}{suffix}",
        f"  mlsteward runs compare {ids}{suffix}",
        f"  mlsteward artifacts download {best} --dst ./quickstart-artifacts{suffix}",
    ]
    if not uri.startswith(("http://", "https://")):
        store = f" --store-uri {shlex.quote(uri)}" if explicit_uri else ""
        lines += [
            "",
            "[bold]Or through the REST API:[/]",
            f"  mlsteward server{store}",
            "  (its first start prints an admin token, once), then open",
            "  http://127.0.0.1:5000/docs, or sign in and point any client at it:",
            "  mlsteward login --with-token --tracking-uri http://127.0.0.1:5000",
            "  MLSTEWARD_TRACKING_URI=http://127.0.0.1:5000 mlsteward runs list",
        ]
    lines += ["", "[bold]From Python:[/]"]
    if explicit_uri:
        lines.append(f"  mlsteward.set_tracking_uri({explicit_uri!r})")
    lines += [
        f"  mlsteward.search_runs(['{result.experiment_id}'], "
        "order_by=['metrics.val_log_loss ASC'])",
        f"  mlsteward.Client().get_metric_history('{best}', 'val_log_loss')",
    ]
    return "\n".join(escape(line) if line.startswith("  ") else line for line in lines)


def _where(uri: str) -> str:
    if uri.startswith(("http://", "https://")):
        return f"Recorded on the server at {escape(uri)}"
    artifacts = default_artifacts_uri(uri)
    return f"Recorded in {escape(redact_uri(uri))}\nArtifacts in {escape(redact_uri(artifacts))}"


def quickstart_command(
    ctx: typer.Context,
    tracking_uri_option: TrackingUriOption = None,
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", help="Experiment to record the runs in.")
    ] = "quickstart",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed for data and models.")] = 42,
) -> None:
    """Train a small scikit-learn model sweep, tracked, and show how to look at it."""
    explicit = tracking_uri(ctx, tracking_uri_option)
    if explicit:
        mlsteward.set_tracking_uri(explicit)
    try:
        out = console()
        uri = mlsteward.get_tracking_uri()
        out.print(
            "[bold]mlsteward quickstart[/]: a gradient-boosting classifier on generated data, "
            "one nested run per max_depth, tracked in "
            f"[cyan]{escape(redact_uri(uri))}[/]"
        )
        started = time.perf_counter()
        result = _train_with_progress(out, experiment, seed)
        elapsed = time.perf_counter() - started
    finally:
        if explicit:
            mlsteward.set_tracking_uri(None)

    out.print()
    out.print(_results_table(result))
    best = result.best
    out.print(
        f"[bold yellow]★ Best run:[/] [bold]{escape(best.run_name)}[/] ({best.run_id}), "
        f"{SELECTION_METRIC} {best.metrics[SELECTION_METRIC]:.4f}, "
        f"val_accuracy {best.metrics['val_accuracy']:.4f}"
    )
    artifacts = ", ".join(result.artifacts)
    out.print(
        f"Parent run [cyan]{result.parent_run_id}[/] holds the sweep; each child run has "
        "params, a learning curve per boosting stage (train_log_loss, val_log_loss, "
        f"val_accuracy), final metrics, the environment and artifacts: {escape(artifacts)}."
    )
    if result.skipped_figures:
        out.print(
            "[dim]Figures skipped: matplotlib is not installed "
            "(pip install 'mlsteward\\[plots]').[/dim]"
        )
    out.print(f"{_where(uri)}  [dim]({elapsed:.1f}s)[/dim]")
    out.print()
    # Soft-wrapped so a long command stays one line when copied from the terminal.
    out.print(_next_steps(result, uri, explicit), soft_wrap=True)


def _train_with_progress(out: Console, experiment: str, seed: int) -> QuickstartResult:
    with Progress(
        TextColumn("  {task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("trees"),
        console=out,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done)

        return run_quickstart(experiment, seed, on_progress)


def register(app: typer.Typer) -> None:
    app.command("quickstart")(quickstart_command)
