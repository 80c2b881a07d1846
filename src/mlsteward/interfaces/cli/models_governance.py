"""``mlsteward models protect|thresholds|approve|reject|approvals``: promotion gates.

The acting user is the one the SDK acts as: locally the OS user, against a server the user
the SDK sends. Whether a decision is allowed (no self-approval, no double decision) is the
registry service's call; refusals arrive as errors and are printed with every reason.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mlsteward.domain.registry import Approval
from mlsteward.interfaces.cli.models_tables import approvals_table
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, print_json

NameArgument = Annotated[str, typer.Argument(help="Registered model name.", show_default=False)]
VersionArgument = Annotated[int, typer.Argument(min=1, help="Version number.", show_default=False)]
CommentOption = Annotated[
    str,
    typer.Option(
        "--comment", "-m", help="Why (required; recorded with the decision).", show_default=False
    ),
]


def protect(
    ctx: typer.Context,
    name: NameArgument,
    alias: Annotated[str, typer.Argument(help="Alias, e.g. production.", show_default=False)],
    unprotect: Annotated[
        bool, typer.Option("--unprotect", help="Lift the protection instead.")
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", "-r", help="Why (recorded in the alias history).", show_default=False
        ),
    ] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Protect ALIAS: moving it then needs another user's approval and met thresholds.

    Protecting production also gates the Production stage.
    """
    client(ctx, tracking_uri).protect_alias(name, alias, not unprotect, reason)
    state = "no longer protected" if unprotect else "now protected"
    console().print(f"[bold]{escape(name)}@{escape(alias)}[/] is {state}")


def thresholds(
    ctx: typer.Context,
    name: NameArgument,
    rules: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="THRESHOLD",
            help='e.g. "roc_auc >= 0.85" "rmse <= 3.0" (operators >= > <= < ==); they '
            "replace the current ones. None given: show the current ones.",
            show_default=False,
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every threshold.")] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or replace the metric thresholds a version must meet for protected aliases."""
    if clear and rules:
        raise typer.BadParameter("give thresholds or --clear, not both", param_hint="--clear")
    sdk = client(ctx, tracking_uri)
    model = (
        sdk.set_acceptance_thresholds(name, [] if clear else rules or [])
        if clear or rules
        else sdk.get_registered_model(name)
    )
    current = [str(t) for t in model.acceptance_thresholds]
    if as_json:
        print_json([t.to_dict() for t in model.acceptance_thresholds])
        return
    label = escape(model.name)
    if not current:
        console().print(f"[bold]{label}[/] has no acceptance thresholds")
        return
    verb = "now requires" if rules else "requires"
    console().print(f"[bold]{label}[/] {verb}: {escape(', '.join(current))}")


def _decided(approval: Approval) -> None:
    verb = approval.decision.value.lower()
    console().print(
        f"Version [bold]{approval.version}[/] of [bold]{escape(approval.name)}[/] {verb} "
        f"by {escape(approval.actor)}"
    )


def approve(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    comment: CommentOption,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Approve a version (as the current user, who must not be the one who registered it)."""
    _decided(client(ctx, tracking_uri).approve_model_version(name, version, comment))


def reject(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    comment: CommentOption,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Reject a version; it cannot be promoted until someone approves it again."""
    _decided(client(ctx, tracking_uri).reject_model_version(name, version, comment))


def approvals(
    ctx: typer.Context,
    name: NameArgument,
    version: Annotated[
        int | None,
        typer.Argument(min=1, help="Only this version (default: all).", show_default=False),
    ] = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """The review trail: every approval and rejection, oldest first."""
    found = client(ctx, tracking_uri).list_approvals(name, version)
    if as_json:
        print_json([a.to_dict() for a in found])
        return
    subject = escape(name if version is None else f"{name} version {version}")
    if not found:
        console().print(f"No approvals or rejections for {subject} yet.")
        return
    console().print(approvals_table(f"Reviews of {subject}", found))


def register(app: typer.Typer) -> None:
    """Add the governance commands to ``mlsteward models``."""
    app.command("protect")(protect)
    app.command("thresholds")(thresholds)
    app.command("approve")(approve)
    app.command("reject")(reject)
    app.command("approvals")(approvals)
