"""``/api/v1/registered-models``: create, search, read, describe, tag, thresholds (and their
history), card fields.

Model names travel as one percent-encoded path segment (spaces, ``?``, ``#``, ``%`` and
non-ASCII letters included); names never hold ``/`` (the service refuses them), so a name is
always exactly one segment. Tag keys may hold ``/``, so they take the rest of the path.
"""

from __future__ import annotations

from fastapi import Body, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.interfaces.rest.routes_registry_base import GOVERNED, registry_router
from mlsteward.services.api import wire_registry
from mlsteward.services.api.documented_types import ModelName, TrackingKey
from mlsteward.services.api.schemas_registry import (
    CreateRegisteredModelRequest,
    DescriptionRequest,
    SearchModelsRequest,
    TagValueRequest,
    ThresholdsRequest,
)
from mlsteward.services.api.schemas_registry_out import (
    RegisteredModelOut,
    RegisteredModelPageOut,
    ThresholdHistoryOut,
)
from mlsteward.services.registry import models

router = registry_router(wire_registry.REGISTRY_PREFIX, "registered models")


@router.post("", status_code=201, response_model=RegisteredModelOut)
def create_registered_model(body: CreateRegisteredModelRequest, ctx: Ctx) -> Response:
    model = models.create_registered_model(ctx, body.name, body.description, body.tags)
    return json_response(wire_registry.encode_model(model), 201)


@router.post("/search", response_model=RegisteredModelPageOut)
def search_registered_models(body: SearchModelsRequest, ctx: Ctx) -> Response:
    """Models matching ``filter`` (``name``, ``created_by``, ``tags.<key>``, ``alias``)."""
    page = models.search_registered_models(ctx, body.filter, body.max_results, body.page_token)
    return json_response(wire_registry.encode_model_page(page))


@router.get("/{name}", response_model=RegisteredModelOut)
def get_registered_model(name: ModelName, ctx: Ctx) -> Response:
    return json_response(wire_registry.encode_model(models.get_registered_model(ctx, name)))


@router.patch("/{name}", response_model=RegisteredModelOut)
def update_registered_model(name: ModelName, body: DescriptionRequest, ctx: Ctx) -> Response:
    model = models.update_registered_model(ctx, name, body.description)
    return json_response(wire_registry.encode_model(model))


@router.put("/{name}/tags/{key:path}", status_code=204)
def set_registered_model_tag(
    name: ModelName, key: TrackingKey, body: TagValueRequest, ctx: Ctx
) -> Response:
    models.set_registered_model_tag(ctx, name, key, body.value)
    return no_content()


@router.delete("/{name}/tags/{key:path}", status_code=204)
def delete_registered_model_tag(name: ModelName, key: TrackingKey, ctx: Ctx) -> Response:
    models.delete_registered_model_tag(ctx, name, key)
    return no_content()


@router.put("/{name}/thresholds", response_model=RegisteredModelOut, responses=GOVERNED)
def set_acceptance_thresholds(name: ModelName, body: ThresholdsRequest, ctx: Ctx) -> Response:
    """Replace the thresholds a version must meet before a protected alias points at it.
    Removing or loosening one needs a named user who registered no version of the model,
    and a ``reason``."""
    model = models.set_acceptance_thresholds(ctx, name, body.thresholds, body.reason)
    return json_response(wire_registry.encode_model(model))


@router.get("/{name}/threshold-history", response_model=ThresholdHistoryOut)
def threshold_history(name: ModelName, ctx: Ctx) -> Response:
    """Every change of the thresholds (who, when, why, before and after), oldest first."""
    changes = models.threshold_history(ctx, name)
    return json_response({"changes": [wire_registry.encode_threshold_change(c) for c in changes]})


@router.patch("/{name}/card", response_model=RegisteredModelOut)
def update_model_card(
    name: ModelName,
    ctx: Ctx,
    fields: dict[str, str | None] = Body(examples=[{"primary_uses": "Score payments"}]),
) -> Response:
    """Merge-patch the card fields only a person can write: ``null`` clears a field, and an
    unknown field is refused."""
    model = models.update_model_card(ctx, name, fields)
    return json_response(wire_registry.encode_model(model))
