"""``mlsteward experiments list|create``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mlsteward.domain.entities import LifecycleStage
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, format_time, plain, print_json

app = typer.Typer(help="List and create experiments.", no_args_is_help=True)


def _parse_tags(pairs: list[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--tag")
        tags[key] = value
    return tags


@app.command("list")
def list_experiments(
    ctx: typer.Context,
    include_deleted: Annotated[
        bool, typer.Option("--all", "-a", help="Include deleted experiments.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """List experiments, newest first."""
    found = client(ctx, tracking_uri).search_experiments(include_deleted=include_deleted)
    found.sort(key=lambda e: e.creation_time, reverse=True)
    if as_json:
        print_json([e.to_dict() for e in found])
        return
    out = console()
    if not found:
        out.print(
            "No experiments yet. Create one with [bold]mlsteward experiments create NAME[/] "
            "or run [bold]mlsteward quickstart[/]."
        )
        return
    table = Table(title="Experiments", title_justify="left")
    table.add_column("Experiment ID", no_wrap=True, style="cyan")
    table.add_column("Name", style="bold")
    table.add_column("Created", no_wrap=True)
    table.add_column("Tags")
    if include_deleted:
        table.add_column("Stage")
    for experiment in found:
        row: list[str | Text] = [
            plain(experiment.experiment_id),
            plain(experiment.name),
            format_time(experiment.creation_time),
            plain(", ".join(f"{k}={v}" for k, v in sorted(experiment.tags.items()))),
        ]
        if include_deleted:
            deleted = experiment.lifecycle_stage is LifecycleStage.DELETED
            row.append("[red]deleted[/]" if deleted else "active")
        table.add_row(*row)
    out.print(table)


@app.command("create")
def create_experiment(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Unique experiment name.")],
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A KEY=VALUE tag; repeat for more.", show_default=False),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an experiment and print its id."""
    tags = _parse_tags(tag or [])
    sdk = client(ctx, tracking_uri)
    experiment_id = sdk.create_experiment(name, tags or None)
    if as_json:
        print_json(sdk.get_experiment(experiment_id).to_dict())
        return
    console().print(f"Created experiment [bold]{escape(name)}[/] with id [cyan]{experiment_id}[/]")
