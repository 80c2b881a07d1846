"""The model registry's one hand-written route: the model card, answered as Markdown or HTML.

Every other registry route is mounted from its declaration in
``mlsteward.services.registry.operations``; this one is a download (its media type depends on
the format asked for), so it is written here and runs through the same dispatcher.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.routes_registry_base import COMMON_RESPONSES
from mlsteward.services.api.documented_types import CardFormat, ModelName, VersionNumber
from mlsteward.services.operations import dispatch
from mlsteward.services.registry import operations_reviews as reviews

router = APIRouter(tags=[reviews.render_model_card.tag], responses=COMMON_RESPONSES)

_CARD_MEDIA_TYPES = {"html": "text/html; charset=utf-8"}
_MARKDOWN = "text/markdown; charset=utf-8"


@router.get(
    reviews.render_model_card.path,
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
    request = reviews.RenderModelCard.model_construct(
        name=name, version=version, format=card_format
    )
    text = dispatch(ctx, reviews.render_model_card, request)
    media_type = _CARD_MEDIA_TYPES.get(card_format.lower(), _MARKDOWN)
    return Response(text, media_type=media_type)
