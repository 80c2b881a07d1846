"""``/api/v1/model-versions``: questions across registered models.

Kept apart from ``/registered-models/{name}`` so no model name (a model may be called
``resolve`` or ``search``) can shadow these routes.
"""

from __future__ import annotations

from fastapi import Query, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.interfaces.rest.routes_registry_base import registry_router
from mlsteward.services.api import wire_registry
from mlsteward.services.api.schemas_registry import SearchVersionsRequest
from mlsteward.services.api.schemas_registry_out import ModelVersionOut, ModelVersionPageOut
from mlsteward.services.registry import uris, versions

router = registry_router(wire_registry.VERSIONS_PREFIX, "model versions")


@router.post("/search", response_model=ModelVersionPageOut)
def search_model_versions(body: SearchVersionsRequest, ctx: Ctx) -> Response:
    """Versions matching ``filter`` (``name``, ``run_id``, ``version``, ``stage``, ``alias``,
    ``tags.<key>``, ...), by model name then newest version first."""
    page = versions.search_model_versions(ctx, body.filter, body.max_results, body.page_token)
    return json_response(wire_registry.encode_version_page(page))


@router.get("/resolve", response_model=ModelVersionOut)
def resolve_model_uri(
    ctx: Ctx,
    uri: str = Query(examples=["models:/fraud@production", "models:/fraud/3"]),
) -> Response:
    """The version a ``models:/name@alias``, ``/3``, ``/latest`` or ``/<stage>`` URI names."""
    return json_response(wire_registry.encode_version(uris.resolve_model_uri(ctx, uri)))
