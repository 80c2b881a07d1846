"""Approvals, rejections and model cards of registered model versions.

An approval must come from someone other than the version's registrant (403 otherwise);
decisions are appended, never edited, and the latest one is what gates read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.interfaces.rest.routes_registry_base import registry_router
from mlsteward.services.api import wire_registry
from mlsteward.services.api.documented_types import CardFormat, ModelName, VersionNumber
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.schemas_registry import CommentRequest
from mlsteward.services.api.schemas_registry_out import ApprovalListOut, ApprovalOut
from mlsteward.services.registry import approvals, card_render

router = registry_router(wire_registry.REGISTRY_PREFIX, "approvals and cards")

_CARD_MEDIA_TYPES = {"html": "text/html; charset=utf-8"}
_MARKDOWN = "text/markdown; charset=utf-8"


@router.post(
    "/{name}/versions/{version}/approvals",
    status_code=201,
    response_model=ApprovalOut,
    responses={403: {"model": ErrorResponse, "description": "the registrant cannot approve"}},
)
def approve_model_version(
    name: ModelName, version: VersionNumber, body: CommentRequest, ctx: Ctx
) -> Response:
    """Approve as the caller, who must not be the one who registered the version."""
    decision = approvals.approve_model_version(ctx, name, version, body.comment)
    return json_response(decision.to_dict(), 201)


@router.post("/{name}/versions/{version}/rejections", status_code=201, response_model=ApprovalOut)
def reject_model_version(
    name: ModelName, version: VersionNumber, body: CommentRequest, ctx: Ctx
) -> Response:
    """Reject (the registrant may reject their own version); blocks gated moves."""
    decision = approvals.reject_model_version(ctx, name, version, body.comment)
    return json_response(decision.to_dict(), 201)


@router.get("/{name}/approvals", response_model=ApprovalListOut)
def list_approvals(
    name: ModelName, ctx: Ctx, version: VersionNumber | None = Query(default=None)
) -> Response:
    """Every decision on the model (or one version), oldest first."""
    found = approvals.list_approvals(ctx, name, version)
    return json_response({"approvals": [a.to_dict() for a in found]})


@router.get(
    "/{name}/versions/{version}/card",
    response_class=Response,
    responses={
        200: {
            "content": {"text/markdown": {}, "text/html": {}},
            "description": "the model card as Markdown, or one self-contained HTML page",
        }
    },
)
def render_model_card(
    name: ModelName,
    version: VersionNumber,
    ctx: Ctx,
    # In Annotated: a Query() default would drop CardFormat's documented schema.
    card_format: Annotated[
        CardFormat, Query(alias="format", examples=["markdown", "html"])
    ] = "markdown",
) -> Response:
    text = card_render.render_model_card(ctx, name, version, card_format)
    media_type = _CARD_MEDIA_TYPES.get(card_format.lower(), _MARKDOWN)
    return Response(text, media_type=media_type)
