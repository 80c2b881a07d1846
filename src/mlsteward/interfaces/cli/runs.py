"""``mlsteward runs list|show|compare|delete|restore``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from mlsteward.domain.entities import Experiment, LifecycleStage, Run
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli import compare
from mlsteward.interfaces.cli.artifacts import walk_artifacts
from mlsteward.interfaces.cli.options import (
    JsonOption,
    TrackingUriOption,
    client,
    resolve_experiment,
)
from mlsteward.interfaces.cli.output import (
    console,
    err_console,
    format_duration,
    format_number,
    format_size,
    format_time,
    plain,
    print_error,
    print_json,
    styled_status,
)
from mlsteward.interfaces.cli.run_table import runs_table
from mlsteward.interfaces.sdk.client import Client

app = typer.Typer(help="List, inspect, compare, delete and restore runs.", no_args_is_help=True)
compare.register(app)

SYSTEM_TAG_PREFIX = "mlsteward."
NOTE_TAG = "mlsteward.note"  # what start_run(description=...) records


class View(StrEnum):
    active = "active"
    deleted = "deleted"
    all = "all"


_VIEW_TYPES = {View.active: "active_only", View.deleted: "deleted_only", View.all: "all"}


def _point_at_filter_error(message: str, filter_string: str | None) -> None:
    """Under a filter error, show the filter with a caret at the reported position."""
    match = re.search(r"filter: .* at position (\d+)", message)
    if not filter_string or match is None:
        return
    position = min(int(match.group(1)), len(filter_string))
    print_error(message)
    err_console().print(f"  {escape(filter_string)}\n  {' ' * position}[bold red]^[/]")
    raise typer.Exit(1)


@app.command("list")
def list_runs(
    ctx: typer.Context,
    experiment: Annotated[
        list[str] | None,
        typer.Option(
            "--experiment",
            "-e",
            help="Experiment name or id; repeat for several (default: all).",
            show_default=False,
        ),
    ] = None,
    filter_string: Annotated[
        str | None,
        typer.Option(
            "--filter",
            "-f",
            help="e.g. \"metrics.val_accuracy > 0.9 AND params.max_depth = '3'\"",
            show_default=False,
        ),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option(
            "--order-by",
            "-o",
            help="e.g. 'metrics.val_accuracy DESC'; repeat for ties (default: newest first).",
            show_default=False,
        ),
    ] = None,
    max_results: Annotated[
        int, typer.Option("--max-results", "-n", min=1, help="Show at most this many runs.")
    ] = 100,
    view: Annotated[
        View, typer.Option("--view", help="Which runs: active, deleted or all.")
    ] = View.active,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", "-m", help="Metric column to show; repeat for more."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Param column to show; repeat for more."),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """List runs matching a filter, newest first, with their key params and metrics."""
    sdk = client(ctx, tracking_uri)
    experiment_ids = [resolve_experiment(sdk, ref).experiment_id for ref in experiment or []]
    try:
        page = sdk.search_runs(
            experiment_ids or None,
            filter_string,
            run_view_type=_VIEW_TYPES[view],
            max_results=max_results,
            order_by=order_by,
        )
    except InvalidArgumentError as error:
        _point_at_filter_error(error.message, filter_string)
        raise
    if as_json:
        print_json([run.to_dict() for run in page])
        return
    out = console()
    if not page:
        out.print("No runs match.")
        return
    names = {e.experiment_id: e.name for e in sdk.search_experiments(include_deleted=True)}
    table, hidden = runs_table(page, names, out.width, param, metric)
    out.print(table)
    if hidden:
        err_console().print(
            f"[dim]{len(hidden)} more column(s) do not fit: {escape(', '.join(hidden))}. "
            "Pick columns with --param/--metric, or use --json.[/dim]"
        )
    if page.token is not None:
        err_console().print(
            f"[dim]More runs match: raise --max-results (now {max_results}) to see them.[/dim]"
        )


def _overview(run: Run, experiment: Experiment | None, children: Sequence[Run]) -> Table:
    info = run.info
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Run ID", plain(info.run_id, "cyan"))
    grid.add_row("Name", plain(info.run_name))
    if NOTE_TAG in run.data.tags:
        grid.add_row("Description", plain(run.data.tags[NOTE_TAG]))
    experiment_label = (
        f"{experiment.name} ({experiment.experiment_id})" if experiment else info.experiment_id
    )
    grid.add_row("Experiment", plain(experiment_label))
    grid.add_row("Status", styled_status(info.status.value))
    if info.lifecycle_stage is LifecycleStage.DELETED:
        grid.add_row("Lifecycle", "[red]deleted[/red] (mlsteward runs restore to undo)")
    grid.add_row("User", plain(info.user_id))
    grid.add_row("Started", format_time(info.start_time))
    if info.end_time is not None:
        grid.add_row("Ended", format_time(info.end_time))
        grid.add_row("Duration", format_duration(info.start_time, info.end_time))
    if info.parent_run_id:
        grid.add_row("Parent run", plain(info.parent_run_id))
    if children:
        names = "\n".join(f"{c.info.run_id}  {c.info.run_name}" for c in children)
        grid.add_row("Child runs", plain(names))
    grid.add_row("Artifact URI", plain(info.artifact_uri))
    return grid


def _key_value_table(title: str, items: dict[str, Any], number: bool = False) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, expand=False)
    table.add_column("Key", style="bold")
    table.add_column("Value", justify="right" if number else "left")
    for key in sorted(items):
        value = items[key]
        table.add_row(plain(key), format_number(value) if number else plain(value))
    return table


def _child_runs(sdk: Client, run: Run) -> list[Run]:
    return list(
        sdk.search_runs(
            run.info.experiment_id,
            f"attributes.parent_run_id = '{run.info.run_id}'",
            order_by=["attributes.start_time ASC"],
        )
    )


@app.command("show")
def show_run(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run's id.", show_default=False)],
    all_tags: Annotated[
        bool, typer.Option("--all-tags", help="Also show mlsteward.* system tags.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one run: its info, params, last metric values, tags and artifacts."""
    sdk = client(ctx, tracking_uri)
    run = sdk.get_run(run_id)
    experiment = sdk.get_experiment(run.info.experiment_id)
    children = _child_runs(sdk, run)
    files = walk_artifacts(sdk, run_id)
    if as_json:
        data = run.to_dict()
        data["experiment_name"] = experiment.name
        data["child_run_ids"] = [c.info.run_id for c in children]
        data["artifacts"] = [f.to_dict() for f in files]
        print_json(data)
        return
    tags = run.data.tags
    shown_tags = (
        dict(tags)
        if all_tags
        else {k: v for k, v in tags.items() if not k.startswith(SYSTEM_TAG_PREFIX)}
    )
    parts: list[Any] = [_overview(run, experiment, children)]
    if run.data.params:
        parts.append(_key_value_table("Params", run.data.params))
    if run.data.metrics:
        parts.append(_key_value_table("Metrics (last value)", run.data.metrics, number=True))
    if shown_tags:
        parts.append(_key_value_table("Tags", shown_tags))
    hidden = len(tags) - len(shown_tags)
    if hidden:
        parts.append(f"[dim]{hidden} mlsteward.* system tags hidden (--all-tags shows them)[/dim]")
    if files:
        table = Table(title="Artifacts", title_justify="left", show_header=False)
        table.add_column("Path")
        table.add_column("Size", justify="right")
        for entry in files:
            table.add_row(plain(entry.path), format_size(entry.size))
        parts.append(table)
    title = f"Run {escape(run.info.run_name or run.info.run_id)}"
    console().print(Panel(Group(*parts), title=title, title_align="left", expand=False))


def _change_lifecycle(
    ctx: typer.Context, run_ids: list[str], uri: str | None, delete: bool
) -> None:
    sdk = client(ctx, uri)
    out = console()
    for run_id in run_ids:
        if delete:
            sdk.delete_run(run_id)
            out.print(
                f"Deleted run [cyan]{escape(run_id)}[/] "
                f"(undo with: mlsteward runs restore {escape(run_id)})"
            )
        else:
            sdk.restore_run(run_id)
            out.print(f"Restored run [cyan]{escape(run_id)}[/]")


RunIdsArgument = Annotated[list[str], typer.Argument(help="Run ids.", show_default=False)]


@app.command("delete")
def delete_runs(
    ctx: typer.Context, run_ids: RunIdsArgument, tracking_uri: TrackingUriOption = None
) -> None:
    """Mark runs deleted (they stay restorable; searches skip them)."""
    _change_lifecycle(ctx, run_ids, tracking_uri, delete=True)


@app.command("restore")
def restore_runs(
    ctx: typer.Context, run_ids: RunIdsArgument, tracking_uri: TrackingUriOption = None
) -> None:
    """Bring deleted runs back."""
    _change_lifecycle(ctx, run_ids, tracking_uri, delete=False)
