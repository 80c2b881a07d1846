"""``mlsteward models alias set|delete|rollback|history``: named pointers to versions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mlsteward.domain.registry import AliasEvent
from mlsteward.interfaces.cli.model_arguments import NameArgument
from mlsteward.interfaces.cli.models_tables import history_table
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, print_json

alias_app = typer.Typer(
    help="Point aliases (champion, production, ...) at versions, roll back, show history.",
    no_args_is_help=True,
)

AliasArgument = Annotated[
    str, typer.Argument(help="Alias, e.g. champion or production.", show_default=False)
]
ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", "-r", help="Why (recorded in the alias history).", show_default=False),
]


def _moved(event: AliasEvent) -> str:
    before = "nothing" if event.from_version is None else f"version {event.from_version}"
    return f"(was {before}; by {escape(event.actor)})"


@alias_app.command("set")
def set_alias(
    ctx: typer.Context,
    name: NameArgument,
    alias: AliasArgument,
    version: Annotated[int, typer.Argument(min=1, help="Version number.", show_default=False)],
    reason: ReasonOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Point ALIAS at VERSION (protected aliases need an approval and met thresholds)."""
    event = client(ctx, tracking_uri).set_registered_model_alias(name, alias, version, reason)
    label = f"[bold]{escape(name)}@{escape(alias)}[/]"
    if event is None:
        console().print(f"{label} already points at version {version}; nothing recorded")
        return
    console().print(f"{label} → version [bold]{version}[/] {_moved(event)}")


@alias_app.command("delete")
def delete_alias(
    ctx: typer.Context,
    name: NameArgument,
    alias: AliasArgument,
    reason: ReasonOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Remove ALIAS (recorded; a rollback restores it).

    A protected alias may only be removed by a user who registered no version of the
    model, with --reason.
    """
    event = client(ctx, tracking_uri).delete_registered_model_alias(name, alias, reason)
    console().print(f"Deleted [bold]{escape(name)}@{escape(alias)}[/] {_moved(event)}")


@alias_app.command("rollback")
def rollback_alias(
    ctx: typer.Context,
    name: NameArgument,
    alias: AliasArgument,
    reason: ReasonOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Move ALIAS back to the version it held before (gates still apply)."""
    event = client(ctx, tracking_uri).rollback_alias(name, alias, reason)
    console().print(
        f"Rolled back [bold]{escape(name)}@{escape(alias)}[/] → version "
        f"[bold]{event.to_version}[/] {_moved(event)}"
    )


@alias_app.command("history")
def alias_history(
    ctx: typer.Context,
    name: NameArgument,
    alias: Annotated[
        str | None,
        typer.Argument(help="Only this alias (default: every alias).", show_default=False),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every recorded move of the model's aliases, oldest first: who, when, why."""
    events = client(ctx, tracking_uri).get_alias_history(name, alias)
    if as_json:
        print_json([e.to_dict() for e in events])
        return
    subject = f"{name}@{alias}" if alias else name
    if not events:
        console().print(f"No alias history for {escape(subject)} yet.")
        return
    console().print(history_table(f"Alias history of {escape(subject)}", events))


def register(app: typer.Typer) -> None:
    """Add the ``alias`` group to ``mlsteward models``."""
    app.add_typer(alias_app, name="alias")
