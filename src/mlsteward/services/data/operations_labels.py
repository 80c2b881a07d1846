"""The label queue operations: a queue over a version, labels by the caller, progress,
agreement between annotators, and the export of the labelled rows (``/label-queues``)."""

from __future__ import annotations

from typing import Any

from mlsteward.domain.datasets import Label, LabelQueue
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.schemas_data import (
    ExportRequest,
    LabelOut,
    LabelQueueOut,
    LabelRequest,
    QueueRequest,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import labeling
from mlsteward.services.data.operations_versions import COMMON, REGISTERED, TAG
from mlsteward.services.data.register import Registered
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    ResourceKind,
)
from mlsteward.services.operations.declarations import Codec, Declarations

QUEUE = ResourceKind.LABEL_QUEUE
P = w.QUEUES_PREFIX


class CreateQueue(OperationRequest):
    body: QueueRequest


class AddLabel(OperationRequest):
    name: str
    body: LabelRequest


class QueueName(OperationRequest):
    name: str


class ExportQueue(OperationRequest):
    name: str
    body: ExportRequest


def _status(raw: dict[str, Any]) -> dict[str, Any]:
    """A queue's progress as received (counts and item indices)."""
    return raw


declare = Declarations("data", QUEUE, tag=TAG, responses=COMMON)


@declare.post(
    P,
    returns=Codec(w.encode_queue, w.decode_queue, LabelQueueOut),
    status=201,
    resource_name=lambda r: r.body.name,
    reads=lambda r: [(ResourceKind.DATASET, r.body.ref)],
)
def create_label_queue(ctx: ServiceContext, r: CreateQueue) -> LabelQueue:
    """A queue over every row of the version ``ref`` names."""
    b = r.body
    return labeling.create_queue(ctx, b.name, b.ref, b.label_column, b.choices, b.reviews)


@declare.post(
    P + "/{name}/labels",
    returns=Codec(w.encode_label, w.decode_label, LabelOut),
    action=Action.UPDATE,
    status=201,
)
def add_label(ctx: ServiceContext, r: AddLabel) -> Label:
    """A label by the caller (the signed-in user)."""
    return labeling.add_label(ctx, r.name, r.body.item, r.body.value, r.body.role)


@declare.get(P + "/{name}/status", returns=Codec(w.finite, _status))
def label_queue_status(ctx: ServiceContext, r: QueueName) -> dict[str, Any]:
    """Counts of labelled, reviewed and pending items, and the next items to label."""
    return labeling.queue_status(ctx, r.name)


@declare.get(P + "/{name}/agreement", returns=Codec(w.finite, w.decode_agreement))
def label_agreement(ctx: ServiceContext, r: QueueName) -> dict[str, Any]:
    """Raw agreement, pairwise Cohen's kappa and Fleiss' kappa between the annotators."""
    return labeling.agreement(ctx, r.name)


@declare.post(
    P + "/{name}/export", returns=REGISTERED, action=Action.EXECUTE, status=201, idempotent=True
)
def export_label_queue(ctx: ServiceContext, r: ExportQueue) -> Registered:
    """Register the labelled rows as a new version of ``output_name``."""
    return labeling.export(ctx, r.name, r.body.output_name)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
