"""Label queues over a dataset version: items, labels by annotator, reviews, agreement, export.

Each row of the version is an item (by row index). An annotator (the context's actor) gives
at most one primary label per item; with ``reviews`` > 0 the item also needs that many
review labels from other annotators. Agreement statistics come from the engine; the export
is a new version with the label column (the majority of primary and review labels, ties
broken by the first label given), linked to the labelled version.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from mlsteward.domain.datasets import (
    LABEL_ROLES,
    MAX_REVIEWS,
    Label,
    LabelQueue,
    validate_dataset_name,
)
from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.domain.ids import new_id
from mlsteward.engines.data import agreement_summary
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.code_version import code_version
from mlsteward.services.data.register import Registered, register_batches
from mlsteward.services.data.versions import get_version, version_table
from mlsteward.services.people import same_person

ROLES = LABEL_ROLES


def create_queue(
    ctx: ServiceContext,
    name: str,
    ref: str,
    label_column: str = "label",
    choices: Sequence[str] = (),
    reviews: int = 0,
) -> LabelQueue:
    """A queue over every row of the version ``ref`` names."""
    validate_dataset_name(name)
    if not isinstance(reviews, int) or not 0 <= reviews <= MAX_REVIEWS:
        raise InvalidArgumentError(f"reviews must be an integer from 0 to {MAX_REVIEWS}")
    version = get_version(ctx, ref)
    if label_column in {column for column, _ in version.schema}:
        raise InvalidArgumentError(f"{version.ref} already has a column {label_column!r}")
    queue = LabelQueue(
        queue_id=new_id(),
        name=name,
        dataset_version_id=version.dataset_version_id,
        label_column=label_column,
        choices=[str(c) for c in choices],
        reviews=reviews,
        num_items=version.num_rows,
        created_by=ctx.actor,
        creation_time=ctx.clock(),
    )
    return ctx.stores.datasets.create_label_queue(queue)


def get_queue(ctx: ServiceContext, name: str) -> LabelQueue:
    return ctx.stores.datasets.get_label_queue(name)


def add_label(
    ctx: ServiceContext, queue_name: str, item: int, value: str, role: str = "primary"
) -> Label:
    """Record the actor's label for ``item``; reviews need a primary label by someone else."""
    store = ctx.stores.datasets
    queue = store.get_label_queue(queue_name)
    if role not in ROLES:
        raise InvalidArgumentError(f"role must be one of {ROLES}, not {role!r}")
    if not isinstance(item, int) or not 0 <= item < queue.num_items:
        raise InvalidArgumentError(f"item must be a row index from 0 to {queue.num_items - 1}")
    text = str(value)
    if queue.choices and text not in queue.choices:
        raise InvalidArgumentError(f"{text!r} is not one of the queue's choices {queue.choices}")
    if role == "review":
        if queue.reviews == 0:
            raise InvalidArgumentError(f"Queue {queue_name!r} was created without reviews")
        labels = [x for x in store.list_labels(queue.queue_id) if x.item == item]
        primary = [x for x in labels if x.role == "primary"]
        if not primary:
            raise ConflictError(f"Item {item} has no primary label to review yet")
        if any(same_person(x.annotator, ctx.actor) for x in primary):
            raise ConflictError("A reviewer must not review their own label")
    label = Label(queue.queue_id, item, ctx.actor, text, role, ctx.clock())
    store.add_label(label)
    return label


def queue_status(ctx: ServiceContext, queue_name: str) -> dict[str, Any]:
    """Counts of labelled, reviewed and pending items, and the next items to label."""
    store = ctx.stores.datasets
    queue = store.get_label_queue(queue_name)
    by_item: dict[int, list[Label]] = defaultdict(list)
    for label in store.list_labels(queue.queue_id):
        by_item[label.item].append(label)
    labelled = {i for i, ls in by_item.items() if any(x.role == "primary" for x in ls)}
    reviewed = {
        i for i, ls in by_item.items() if sum(x.role == "review" for x in ls) >= queue.reviews
    }
    done = labelled & reviewed
    pending = [i for i in range(queue.num_items) if i not in labelled]
    return {
        "queue": queue.name,
        "items": queue.num_items,
        "labelled": len(labelled),
        "complete": len(done),
        "needs_review": len(labelled - reviewed),
        "next_items": pending[:10],
    }


def agreement(ctx: ServiceContext, queue_name: str) -> dict[str, Any]:
    """Raw agreement, pairwise Cohen's kappa and Fleiss' kappa over items with several labels."""
    store = ctx.stores.datasets
    queue = store.get_label_queue(queue_name)
    return _agreement(store.list_labels(queue.queue_id))


def _agreement(labels: Sequence[Label]) -> dict[str, Any]:
    return agreement_summary((x.item, x.annotator, x.value) for x in labels)


def _final_labels(labels: Sequence[Label]) -> dict[int, str]:
    by_item: dict[int, list[Label]] = defaultdict(list)
    for label in labels:
        by_item[label.item].append(label)
    final = {}
    for item, given in by_item.items():
        ordered = sorted(given, key=lambda x: (x.timestamp, x.role != "primary"))
        counts = Counter(x.value for x in ordered)
        top = max(counts.values())
        final[item] = next(x.value for x in ordered if counts[x.value] == top)
    return final


def labelled_table(
    ctx: ServiceContext, queue_name: str, table: pa.Table, until: int | None = None
) -> pa.Table:
    """``table`` with the queue's label column (null where an item has no label), counting
    only labels given up to ``until`` (ms) when set, so an export can be recomputed."""
    store = ctx.stores.datasets
    queue = store.get_label_queue(queue_name)
    return _with_labels(table, queue, store.list_labels(queue.queue_id), until)


def _with_labels(
    table: pa.Table, queue: LabelQueue, given: Sequence[Label], until: int | None
) -> pa.Table:
    final = _final_labels([x for x in given if until is None or x.timestamp <= until])
    column = pa.array([final.get(i) for i in range(table.num_rows)], type=pa.large_string())
    return table.append_column(queue.label_column, column)


def export(ctx: ServiceContext, queue_name: str, output_name: str) -> Registered:
    """Register the labelled rows as a new version of ``output_name``."""
    validate_dataset_name(output_name)
    store = ctx.stores.datasets
    queue = store.get_label_queue(queue_name)
    parent = get_version(ctx, queue.dataset_version_id)
    until = ctx.clock()
    given = store.list_labels(queue.queue_id)
    table = _with_labels(version_table(ctx, parent), queue, given, until)
    lineage = {
        "queue": queue.name,
        "labels_until": until,
        "label_column": queue.label_column,
        "agreement": _agreement(given),
        "code": code_version(),
        "parent_ref": parent.ref,
    }
    return register_batches(
        ctx,
        output_name,
        table,
        kind="labels",
        lineage=lineage,
        parents=[parent.dataset_version_id],
    )
