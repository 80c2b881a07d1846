"""``/api/v1/registered-models``: create, search, read, describe, tag, thresholds, card fields.

Model names travel as one percent-encoded path segment (spaces, ``?``, ``#``, ``%`` and
non-ASCII letters included); names never hold ``/`` (the service refuses them), so a name is
always exactly one segment. Tag keys may hold ``/``, so they take the rest of the path.
"""

from __future__ import annotations

from fastapi import Body, Response

from mlsteward.interfaces.rest import wire_registry
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.interfaces.rest.routes_registry_base import registry_router
from mlsteward.interfaces.rest.schemas_registry import (
    CreateRegisteredModelRequest,
    DescriptionRequest,
    SearchModelsRequest,
    TagValueRequest,
    ThresholdsRequest,
)
from mlsteward.interfaces.rest.schemas_registry_out import (
    RegisteredModelOut,
    RegisteredModelPageOut,
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
def get_registered_model(name: str, ctx: Ctx) -> Response:
    return json_response(wire_registry.encode_model(models.get_registered_model(ctx, name)))


@router.patch("/{name}", response_model=RegisteredModelOut)
def update_registered_model(name: str, body: DescriptionRequest, ctx: Ctx) -> Response:
    model = models.update_registered_model(ctx, name, body.description)
    return json_response(wire_registry.encode_model(model))


@router.put("/{name}/tags/{key:path}", status_code=204)
def set_registered_model_tag(name: str, key: str, body: TagValueRequest, ctx: Ctx) -> Response:
    models.set_registered_model_tag(ctx, name, key, body.value)
    return no_content()


@router.delete("/{name}/tags/{key:path}", status_code=204)
def delete_registered_model_tag(name: str, key: str, ctx: Ctx) -> Response:
    models.delete_registered_model_tag(ctx, name, key)
    return no_content()


@router.put("/{name}/thresholds", response_model=RegisteredModelOut)
def set_acceptance_thresholds(name: str, body: ThresholdsRequest, ctx: Ctx) -> Response:
    """Replace the thresholds a version must meet before a protected alias points at it."""
    model = models.set_acceptance_thresholds(ctx, name, body.thresholds)
    return json_response(wire_registry.encode_model(model))


@router.patch("/{name}/card", response_model=RegisteredModelOut)
def update_model_card(
    name: str,
    ctx: Ctx,
    fields: dict[str, str | None] = Body(examples=[{"primary_uses": "Score payments"}]),
) -> Response:
    """Merge-patch the card fields only a person can write: ``null`` clears a field, and an
    unknown field is refused."""
    model = models.update_model_card(ctx, name, fields)
    return json_response(wire_registry.encode_model(model))
