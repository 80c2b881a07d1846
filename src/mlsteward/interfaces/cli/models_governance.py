"""``mlsteward models protect|thresholds|approve|reject|approvals``: promotion gates.

The acting user is the one the SDK acts as: locally the OS user, against a server the user
the SDK sends. Whether a decision is allowed (no self-approval, no double decision) is the
registry service's call; refusals arrive as errors and are printed with every reason. So is
whether a change that weakens the gates (``--unprotect``, loosening or ``--clear`` of
thresholds) is allowed: it needs a user who registered no version of the model, and a
``--reason``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.registry import Approval, ThresholdChange
from mlsteward.interfaces.cli.model_arguments import (
    NameArgument,
    SomeVersionArgument,
    VersionArgument,
)
from mlsteward.interfaces.cli.models_tables import approvals_table
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, format_time, plain, print_json

ReasonOption = Annotated[
    str | None,
    typer.Option(
        "--reason",
        "-r",
        help="Why (recorded; required to lift a protection or loosen thresholds).",
        show_default=False,
    ),
]
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
        bool,
        typer.Option(
            "--unprotect",
            help="Lift the protection instead (not by the model's builders; needs --reason).",
        ),
    ] = False,
    reason: ReasonOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Protect ALIAS: moving it then needs another user's approval and met thresholds.

    Protecting production also gates the Production stage. Recorded in the alias history.
    """
    client(ctx, tracking_uri).protect_alias(name, alias, not unprotect, reason)
    state = "no longer protected" if unprotect else "now protected"
    console().print(f"[bold]{escape(name)}@{escape(alias)}[/] is {state}")


def _thresholds_text(change: ThresholdChange, before: bool) -> str:
    listed = change.from_thresholds if before else change.to_thresholds
    return ", ".join(str(t) for t in listed) or "none"


def _threshold_history(model: str, changes: list[ThresholdChange], as_json: bool) -> None:
    if as_json:
        print_json([c.to_dict() for c in changes])
        return
    if not changes:
        console().print(f"No threshold changes for {escape(model)} yet.")
        return
    table = Table(title=f"Threshold history of {escape(model)}", title_justify="left")
    for column in ("When", "From", "To", "By", "Reason"):
        table.add_column(column, no_wrap=column == "When")
    for change in changes:
        table.add_row(
            format_time(change.timestamp),
            plain(_thresholds_text(change, before=True)),
            plain(_thresholds_text(change, before=False)),
            plain(change.actor),
            plain(change.reason or ""),
        )
    console().print(table)


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
    reason: ReasonOption = None,
    history: Annotated[
        bool, typer.Option("--history", help="Show every recorded change instead.")
    ] = False,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show or replace the metric thresholds a version must meet for protected aliases.

    Adding or raising thresholds is anyone's call; removing or loosening one (--clear
    included) needs a user who registered no version of the model, and --reason.
    """
    if clear and rules:
        raise typer.BadParameter("give thresholds or --clear, not both", param_hint="--clear")
    if history and (clear or rules):
        raise typer.BadParameter("--history only shows; give no thresholds", param_hint="--history")
    sdk = client(ctx, tracking_uri)
    if history:
        _threshold_history(name, sdk.get_threshold_history(name), as_json)
        return
    model = (
        sdk.set_acceptance_thresholds(name, [] if clear else rules or [], reason)
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
    version: SomeVersionArgument = None,
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
