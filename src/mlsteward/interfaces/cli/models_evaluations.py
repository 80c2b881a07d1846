"""``mlsteward models evaluation-history NAME [VERSION]``: who changed which evaluation result.

Gates judge a version by its attached evaluation, and an approval counts only for the
evaluation it was given on; this shows every change (who, when, each metric before and after)
so a reviewer can see what changed since they approved.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.interfaces.cli.model_arguments import NameArgument, SomeVersionArgument
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption, client
from mlsteward.interfaces.cli.output import console, format_time, plain, print_json


def _changed(change: EvaluationChange) -> str:
    """``auc: 0.6 -> 0.99``, one metric a line (``-`` where it was not attached before)."""
    lines = []
    for key, value in sorted(change.to_metrics.items()):
        before = change.from_metrics.get(key)
        lines.append(f"{key}: {'-' if before is None else f'{before:.6g}'} -> {value:.6g}")
    return "\n".join(lines)


def evaluation_history(
    ctx: typer.Context,
    name: NameArgument,
    version: SomeVersionArgument = None,
    tracking_uri: TrackingUriOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every change of the attached evaluation results, oldest first."""
    changes = client(ctx, tracking_uri).get_evaluation_history(name, version)
    if as_json:
        print_json([c.to_dict() for c in changes])
        return
    subject = escape(name if version is None else f"{name} version {version}")
    if not changes:
        console().print(f"No evaluation changes for {subject} yet.")
        return
    table = Table(title=f"Evaluation history of {subject}", title_justify="left")
    for column in ("When", "Version", "Changed", "By"):
        table.add_column(column, no_wrap=column == "When")
    for change in changes:
        table.add_row(
            format_time(change.timestamp),
            str(change.version),
            plain(_changed(change)),
            plain(change.actor),
        )
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add the command to ``mlsteward models``."""
    app.command("evaluation-history")(evaluation_history)
