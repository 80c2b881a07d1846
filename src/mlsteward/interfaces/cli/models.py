"""``mlsteward models ...``: registered models and their versions.

Aliases, governance (protection, thresholds, reviews) and model cards live in the
``models_*`` modules and register their commands on this group. Every rule is the registry
service's; these commands parse, call the SDK ``Client`` and render.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.registry import ModelVersion, RegisteredModel
from mlsteward.interfaces.cli import (
    models_aliases,
    models_card,
    models_evaluations,
    models_governance,
    models_onnx,
)
from mlsteward.interfaces.cli.model_arguments import NameArgument
from mlsteward.interfaces.cli.models_tables import (
    aliases_text,
    last_decisions,
    models_table,
    tags_text,
    versions_table,
)
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import (
    MISSING,
    console,
    err_console,
    format_time,
    plain,
    print_json,
)
from mlsteward.interfaces.cli.runs import _point_at_filter_error
from mlsteward.interfaces.sdk.client import Client

app = typer.Typer(
    help="Register models, move aliases, review versions and render model cards.",
    no_args_is_help=True,
)

DescriptionOption = Annotated[
    str | None,
    typer.Option("--description", "-d", help="A description.", show_default=False),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", help="A KEY=VALUE tag; repeat for more.", show_default=False),
]


def parse_tags(pairs: list[str] | None) -> dict[str, str]:
    """``["team=risk", ...]`` as a dict; a pair without ``=`` is a usage error."""
    tags: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--tag")
        tags[key] = value
    return tags


def all_versions(sdk: Client, name: str) -> list[ModelVersion]:
    """Every version of ``name``, newest first (following the search pages)."""
    query = "name = '{}'".format(name.replace("'", "''"))
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = sdk.search_model_versions(query, page_token=token)
        found.extend(page)
        token = page.token
        if token is None:
            return found


@app.command("create")
def create_model(
    ctx: typer.Context,
    name: NameArgument,
    description: DescriptionOption = None,
    tag: TagOption = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a registered model with no versions yet."""
    tags = parse_tags(tag)
    model = client(ctx, tracking_uri).create_registered_model(name, tags or None, description)
    if as_json:
        print_json(model.to_dict())
        return
    console().print(f"Created registered model [bold]{escape(model.name)}[/]")


@app.command("list")
def list_models(
    ctx: typer.Context,
    filter_string: Annotated[
        str | None,
        typer.Option(
            "--filter",
            "-f",
            help="e.g. \"name LIKE 'fraud%' AND tags.team = 'risk'\" or \"alias = 'champion'\"",
            show_default=False,
        ),
    ] = None,
    max_results: Annotated[
        int, typer.Option("--max-results", "-n", min=1, help="Show at most this many models.")
    ] = 100,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """List registered models by name."""
    sdk = client(ctx, tracking_uri)
    try:
        page = sdk.search_registered_models(filter_string, max_results)
    except InvalidArgumentError as error:
        _point_at_filter_error(error.message, filter_string)
        raise
    if as_json:
        print_json([model.to_dict() for model in page])
        return
    if not page:
        console().print(
            "No registered models match."
            if filter_string
            else "No registered models yet. Register one with "
            "[bold]mlsteward models register runs:/RUN_ID/model NAME[/]."
        )
        return
    console().print(models_table(page))
    if page.token is not None:
        err_console().print(
            f"[dim]More models match: raise --max-results (now {max_results}) to see them.[/dim]"
        )


def _overview(model: RegisteredModel) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Name", plain(model.name))
    grid.add_row("Description", plain(model.description) if model.description else MISSING)
    grid.add_row("Created by", plain(model.created_by))
    grid.add_row("Created", format_time(model.creation_timestamp))
    grid.add_row("Updated", format_time(model.last_updated_timestamp))
    grid.add_row("Latest version", plain(model.latest_version or "none yet"))
    grid.add_row("Tags", tags_text(model.tags) if model.tags else MISSING)
    protected = ", ".join(sorted(model.protected_aliases))
    grid.add_row("Protected aliases", plain(protected) if protected else MISSING)
    thresholds = ", ".join(str(t) for t in model.acceptance_thresholds)
    grid.add_row("Thresholds", plain(thresholds) if thresholds else MISSING)
    grid.add_row("Aliases", aliases_text(model.aliases, model.protected_aliases) or MISSING)
    filled = ", ".join(sorted(model.card))
    grid.add_row("Card fields", plain(filled) if filled else MISSING)
    return grid


@app.command("show")
def show_model(
    ctx: typer.Context,
    name: NameArgument,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a model: description, tags, protection, thresholds, aliases, latest versions."""
    sdk = client(ctx, tracking_uri)
    model = sdk.get_registered_model(name)
    latest = sdk.get_latest_versions(name)
    if as_json:
        data = model.to_dict()
        data["latest_versions"] = [v.to_dict() for v in latest]
        print_json(data)
        return
    parts: list[Any] = [_overview(model)]
    if latest:
        reviews = last_decisions(sdk.list_approvals(name))
        parts.append(versions_table("Latest version per stage", latest, reviews))
    console().print(
        Panel(Group(*parts), title=f"Model {escape(model.name)}", title_align="left", expand=False)
    )


@app.command("versions")
def list_versions(
    ctx: typer.Context,
    name: NameArgument,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """List every version of a model, newest first."""
    sdk = client(ctx, tracking_uri)
    sdk.get_registered_model(name)  # an unknown name is an error, not an empty list
    found = all_versions(sdk, name)
    if as_json:
        print_json([v.to_dict() for v in found])
        return
    if not found:
        console().print(
            f"{escape(name)} has no versions yet. Register one with "
            f"[bold]mlsteward models register runs:/RUN_ID/model {escape(name)}[/]."
        )
        return
    reviews = last_decisions(sdk.list_approvals(name))
    console().print(versions_table(f"Versions of {escape(name)}", found, reviews))


@app.command("register")
def register(
    ctx: typer.Context,
    model_uri: Annotated[
        str,
        typer.Argument(
            help="Where the model is: runs:/RUN_ID/model, a path or an object-store URI.",
            show_default=False,
        ),
    ],
    name: Annotated[
        str,
        typer.Argument(help="Registered model name (created if missing).", show_default=False),
    ],
    description: DescriptionOption = None,
    tag: TagOption = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a logged model as the next version of NAME."""
    tags = parse_tags(tag)
    version = client(ctx, tracking_uri).register_model(
        model_uri, name, tags=tags or None, description=description
    )
    if as_json:
        print_json(version.to_dict())
        return
    console().print(
        f"Registered [bold]{escape(version.name)}[/] version [bold]{version.version}[/] "
        f"from {escape(version.source)} (by {escape(version.created_by)})"
    )


@app.command("stage")
def stage(
    ctx: typer.Context,
    name: NameArgument,
    version: Annotated[int, typer.Argument(min=1, help="Version number.", show_default=False)],
    stage_name: Annotated[
        str,
        typer.Argument(
            metavar="STAGE", help="None, Staging, Production or Archived.", show_default=False
        ),
    ],
    archive_existing: Annotated[
        bool,
        typer.Option(
            "--archive-existing",
            help="Archive the versions already in that stage (Staging or Production only).",
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", help="Why (recorded).", show_default=False)
    ] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Move a version to a stage (gated like the alias of the same name when protected)."""
    sdk = client(ctx, tracking_uri)
    moved = sdk.transition_model_version_stage(
        name, version, stage_name, archive_existing_versions=archive_existing, reason=reason
    )
    note = f"; others in {moved.current_stage.value} archived" if archive_existing else ""
    console().print(
        f"[bold]{escape(moved.name)}[/] version [bold]{moved.version}[/] is now in "
        f"[bold]{moved.current_stage.value}[/]{note}"
    )


models_aliases.register(app)
models_governance.register(app)
models_evaluations.register(app)
models_card.register(app)
app.command("export-onnx")(models_onnx.export_onnx_command)
