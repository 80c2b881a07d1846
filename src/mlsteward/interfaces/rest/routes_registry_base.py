"""What every registry router shares: gate refusals rendered with their reasons.

A :class:`GateError` is a ``PermissionDeniedError`` whose ``reasons`` list every unmet
condition (missing approval, thresholds not met). The app's error handler writes only code and
message, so registry routes use :class:`GateRefusalRoute`, which answers 403 with
``{"error": {"code", "message", "reasons": [...]}}``; the HTTP backend rebuilds the
``GateError`` from it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from mlsteward.domain.registry import GateError
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.schemas_registry_out import GateErrorResponse

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

#: Documented on every registry route; 403 only where a gate may refuse.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse},
    404: {"model": ErrorResponse},
    409: {"model": ErrorResponse},
}
GATED: dict[int | str, dict[str, Any]] = {
    403: {"model": GateErrorResponse, "description": "a gate refused the move"}
}
#: Where a change may weaken a model's gates: anonymous callers and the model's builders
#: are refused (see ``mlsteward.services.registry.governance``).
GOVERNED: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorResponse,
        "description": "a governance action by an anonymous caller or one of the model's builders",
    }
}


def gate_refusal(error: GateError) -> Response:
    body = {"code": error.code, "message": error.message, "reasons": list(error.reasons)}
    return json_response({"error": body}, error.http_status)


class GateRefusalRoute(APIRoute):
    """An ``APIRoute`` whose handler turns a ``GateError`` into a 403 listing its reasons."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def with_gate_reasons(request: Request) -> Response:
            try:
                return await handler(request)
            except GateError as error:
                return gate_refusal(error)

        return with_gate_reasons


def registry_router(prefix: str, tag: str) -> APIRouter:
    return APIRouter(
        prefix=prefix, tags=[tag], route_class=GateRefusalRoute, responses=COMMON_RESPONSES
    )
