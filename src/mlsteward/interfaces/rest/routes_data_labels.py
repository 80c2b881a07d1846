"""``/api/v1/label-queues``: queues over a version, labels by the caller, agreement, export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Strict

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.documented_types import DatasetName, LabelRole, Reviews, RowIndex
from mlsteward.services.data import labeling

router = APIRouter(prefix=w.QUEUES_PREFIX)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueRequest(_Request):
    name: DatasetName
    ref: str
    label_column: str = "label"
    choices: list[str] = []
    reviews: Annotated[Reviews, Strict()] = 0


class LabelRequest(_Request):
    item: Annotated[RowIndex, Strict()]
    value: str
    role: LabelRole = "primary"


class ExportRequest(_Request):
    output_name: DatasetName


@router.post("", status_code=201)
def create_queue(body: QueueRequest, ctx: Ctx) -> Response:
    queue = labeling.create_queue(
        ctx, body.name, body.ref, body.label_column, body.choices, body.reviews
    )
    return json_response(w.encode_queue(queue), 201)


@router.post("/{name}/labels", status_code=201)
def add_label(name: str, body: LabelRequest, ctx: Ctx) -> Response:
    """A label by the caller (``X-Mlsteward-User``)."""
    label = labeling.add_label(ctx, name, body.item, body.value, body.role)
    return json_response(w.encode_label(label), 201)


@router.get("/{name}/status")
def status(name: str, ctx: Ctx) -> Response:
    return json_response(labeling.queue_status(ctx, name))


@router.get("/{name}/agreement")
def agreement(name: str, ctx: Ctx) -> Response:
    return json_response(w.finite(labeling.agreement(ctx, name)))


@router.post("/{name}/export", status_code=201)
def export(name: str, body: ExportRequest, ctx: Ctx) -> Response:
    result = labeling.export(ctx, name, body.output_name)
    return json_response(w.encode_registered(result.version, result.created, []), 201)
