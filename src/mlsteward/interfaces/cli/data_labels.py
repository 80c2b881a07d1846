"""``mlsteward data label ...``: label queues over a version, agreement, export."""

from __future__ import annotations

from typing import Annotated

import typer

from mlsteward.interfaces.cli.data_group import RefArgument, app, backend, show_version
from mlsteward.interfaces.cli.options import JsonOption, TrackingUriOption
from mlsteward.interfaces.cli.output import console, print_json

labels_app = typer.Typer(help="Label queues: create, label, review, agreement, export.")
app.add_typer(labels_app, name="label")

QueueArgument = Annotated[str, typer.Argument(help="Queue name.", show_default=False)]


@labels_app.command("create")
def create(
    ctx: typer.Context,
    queue: QueueArgument,
    ref: RefArgument,
    column: Annotated[str, typer.Option(help="Name of the label column.")] = "label",
    choice: Annotated[list[str] | None, typer.Option(help="An allowed label; repeat.")] = None,
    reviews: Annotated[int, typer.Option(help="Review labels needed per item.")] = 0,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Create a queue over every row of a version."""
    made = backend(ctx, tracking_uri).create_label_queue(
        queue, ref, column, list(choice or []), reviews
    )
    console().print(f"Queue {made.name}: {made.num_items} items, {made.reviews} review(s) each")


@labels_app.command("add")
def add(
    ctx: typer.Context,
    queue: QueueArgument,
    item: Annotated[int, typer.Argument(help="Row index.")],
    value: Annotated[str, typer.Argument(help="The label.")],
    review: Annotated[bool, typer.Option("--review", help="Give a review label.")] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Label an item as the current user (MLSTEWARD_USER)."""
    label = backend(ctx, tracking_uri).add_label(
        queue, item, value, "review" if review else "primary"
    )
    console().print(f"{label.annotator} labelled item {label.item} {label.value!r} ({label.role})")


@labels_app.command("status")
def status(
    ctx: typer.Context,
    queue: QueueArgument,
    tracking_uri: TrackingUriOption = None,
    json_output: JsonOption = False,
) -> None:
    """Labelled, reviewed and pending counts, agreement statistics."""
    data = backend(ctx, tracking_uri)
    info = data.label_queue_status(queue)
    info["agreement"] = data.label_agreement(queue)
    if json_output:
        print_json(info)
        return
    out = console()
    out.print(
        f"{info['queue']}: {info['labelled']}/{info['items']} labelled, "
        f"{info['complete']} complete, {info['needs_review']} awaiting review"
    )
    agreement = info["agreement"]
    if agreement.get("mean_cohen_kappa") is not None:
        out.print(f"mean Cohen's kappa {agreement['mean_cohen_kappa']:.3f}")
    if agreement.get("raw_agreement") is not None:
        out.print(f"raw agreement {agreement['raw_agreement']:.3f}")


@labels_app.command("export")
def export(
    ctx: typer.Context,
    queue: QueueArgument,
    output: Annotated[str, typer.Option(help="Dataset name to register the labels into.")],
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Register the labelled rows as a new version with the label column."""
    result = backend(ctx, tracking_uri).export_label_queue(queue, output)
    show_version(result.version, result.created)
