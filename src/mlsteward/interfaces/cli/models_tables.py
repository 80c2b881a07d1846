"""Tables the ``mlsteward models`` commands share: versions, alias moves, review decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.table import Table
from rich.text import Text

from mlsteward.domain.registry import (
    AliasEvent,
    Approval,
    ApprovalDecision,
    ModelVersion,
    RegisteredModel,
)
from mlsteward.interfaces.cli.output import MISSING, format_time, plain

_DECISION_STYLES = {ApprovalDecision.APPROVED: "green", ApprovalDecision.REJECTED: "red"}


def version_or_dash(version: int | None) -> str | Text:
    return MISSING if version is None else plain(version)


def aliases_text(aliases: Mapping[str, int], protected: Sequence[str] = ()) -> Text:
    """``champion → 3, production (protected) → 2``: aliases by name, protected ones marked."""
    text = Text()
    for index, (alias, version) in enumerate(sorted(aliases.items())):
        if index:
            text.append(", ")
        text.append(alias, style="bold")
        if alias in protected:
            text.append(" (protected)", style="yellow")
        text.append(f" → {version}")
    return text


def tags_text(tags: Mapping[str, str]) -> Text:
    return plain(", ".join(f"{k}={v}" for k, v in sorted(tags.items())))


def decision_text(approval: Approval) -> Text:
    return plain(approval.decision.value.lower(), _DECISION_STYLES[approval.decision])


def last_decisions(approvals: Sequence[Approval]) -> dict[int, Approval]:
    """Each version's most recent review decision (for display; the gate decides itself)."""
    latest: dict[int, Approval] = {}
    for approval in sorted(approvals, key=lambda a: a.approval_id):
        latest[approval.version] = approval
    return latest


def models_table(found: Sequence[RegisteredModel]) -> Table:
    table = Table(title="Registered models", title_justify="left")
    table.add_column("Name", style="bold")
    table.add_column("Latest", justify="right")
    table.add_column("Aliases")
    table.add_column("Updated", no_wrap=True)
    table.add_column("Description")
    table.add_column("Tags")
    for model in found:
        table.add_row(
            plain(model.name),
            plain(model.latest_version) if model.latest_version else MISSING,
            aliases_text(model.aliases, model.protected_aliases),
            format_time(model.last_updated_timestamp),
            plain(model.description or ""),
            tags_text(model.tags),
        )
    return table


def versions_table(
    title: str, versions: Sequence[ModelVersion], reviews: Mapping[int, Approval]
) -> Table:
    """One row per version; ``reviews`` maps a version to its latest decision."""
    table = Table(title=title, title_justify="left")
    table.add_column("Version", justify="right", style="bold")
    table.add_column("Stage")
    table.add_column("Aliases")
    table.add_column("Last review")
    table.add_column("Registered by")
    table.add_column("Created", no_wrap=True)
    table.add_column("Source", style="cyan")
    for version in versions:
        review = reviews.get(version.version)
        review_cell: str | Text = MISSING
        if review is not None:
            review_cell = decision_text(review).append(f" by {review.actor}", style="")
        table.add_row(
            plain(version.version),
            plain(version.current_stage.value),
            plain(", ".join(sorted(version.aliases))),
            review_cell,
            plain(version.created_by),
            format_time(version.creation_timestamp),
            plain(version.source),
        )
    return table


def history_table(title: str, events: Sequence[AliasEvent]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("When", no_wrap=True)
    table.add_column("Alias", style="bold")
    table.add_column("Action")
    table.add_column("From", justify="right")
    table.add_column("To", justify="right")
    table.add_column("By")
    table.add_column("Reason")
    for event in events:
        table.add_row(
            format_time(event.timestamp),
            plain(event.alias),
            plain(event.action.value),
            version_or_dash(event.from_version),
            version_or_dash(event.to_version),
            plain(event.actor),
            plain(event.reason or ""),
        )
    return table


def approvals_table(title: str, approvals: Sequence[Approval]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("When", no_wrap=True)
    table.add_column("Version", justify="right", style="bold")
    table.add_column("Decision")
    table.add_column("By")
    table.add_column("Comment")
    for approval in approvals:
        table.add_row(
            format_time(approval.timestamp),
            plain(approval.version),
            decision_text(approval),
            plain(approval.actor),
            plain(approval.comment),
        )
    return table
