"""``mlsteward grants ...``: roles given to accounts, on the whole server or one resource.

A role on one resource is named with exactly one of ``--experiment``, ``--model``,
``--dataset``, ``--monitor`` or ``--deployment``; none means the whole server. Who may
grant what is the platform's rule (admins).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.identity import Grant, Role
from mlsteward.interfaces.cli.auth import grant_dict, grant_scope
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, format_time, plain, print_json

app = typer.Typer(help="Roles granted to accounts: add, list, remove.", no_args_is_help=True)

_ROLES = ", ".join(role.value for role in Role)


ExperimentOption = Annotated[
    str | None, typer.Option("--experiment", help="An experiment (name or id).", show_default=False)
]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="A registered model.", show_default=False)
]
DatasetOption = Annotated[
    str | None, typer.Option("--dataset", help="A dataset.", show_default=False)
]
MonitorOption = Annotated[
    str | None, typer.Option("--monitor", help="A monitor.", show_default=False)
]
DeploymentOption = Annotated[
    str | None, typer.Option("--deployment", help="A deployment.", show_default=False)
]


def resource_scope(
    experiment: str | None,
    model: str | None,
    dataset: str | None,
    monitor: str | None,
    deployment: str | None,
) -> tuple[str | None, str | None]:
    """The (resource kind, name) the options name: (None, None) for the whole server."""
    given = [
        (kind, name)
        for kind, name in (
            ("experiment", experiment),
            ("registered_model", model),
            ("dataset", dataset),
            ("monitor", monitor),
            ("deployment", deployment),
        )
        if name is not None
    ]
    if len(given) > 1:
        raise InvalidArgumentError(
            "Name at most one of --experiment, --model, --dataset, --monitor, --deployment"
        )
    return given[0] if given else (None, None)


@app.command("add")
def add_grant(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="The account (user or service).")],
    role: Annotated[str, typer.Argument(help=f"One of: {_ROLES}.")],
    experiment: ExperimentOption = None,
    model: ModelOption = None,
    dataset: DatasetOption = None,
    monitor: MonitorOption = None,
    deployment: DeploymentOption = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give USER the ROLE on the whole server, or on the one resource named."""
    kind, name = resource_scope(experiment, model, dataset, monitor, deployment)
    grant = client(ctx, tracking_uri).identity().add_grant(user, role, kind, name)
    if as_json:
        print_json(grant_dict(grant))
        return
    console().print(
        f"Granted [bold]{grant.role}[/] to [bold]{escape(grant.principal)}[/] on "
        f"{escape(grant_scope(grant))} (grant [cyan]{grant.grant_id}[/])."
    )


@app.command("list")
def list_grants(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Only this account's.", show_default=False)
    ] = None,
    experiment: ExperimentOption = None,
    model: ModelOption = None,
    dataset: DatasetOption = None,
    monitor: MonitorOption = None,
    deployment: DeploymentOption = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Grants, optionally of one account or on one resource."""
    kind, name = resource_scope(experiment, model, dataset, monitor, deployment)
    grants = client(ctx, tracking_uri).identity().list_grants(user, kind, name)
    if as_json:
        print_json([grant_dict(grant) for grant in grants])
        return
    if not grants:
        console().print("No grants.")
        return
    console().print(_table(grants))


def _table(grants: list[Grant]) -> Table:
    table = Table(title="Grants", title_justify="left")
    for column in ("Grant ID", "Account", "Role", "On", "Granted", "By"):
        table.add_column(column, no_wrap=column == "Grant ID")
    for grant in grants:
        table.add_row(
            plain(grant.grant_id, "cyan"),
            plain(grant.principal, "bold"),
            str(grant.role),
            plain(grant_scope(grant)),
            format_time(grant.created_at_ms),
            plain(grant.created_by),
        )
    return table


@app.command("remove")
def remove_grant(
    ctx: typer.Context,
    grant_id: Annotated[str, typer.Argument(help="The grant's id (from grants list).")],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Take a grant away."""
    grant = client(ctx, tracking_uri).identity().remove_grant(grant_id)
    console().print(
        f"Removed [bold]{grant.role}[/] of [bold]{escape(grant.principal)}[/] on "
        f"{escape(grant_scope(grant))}."
    )
