"""``/api/v1/runs/{run_id}/log-batch``: the one run route written by hand.

Every other run operation is mounted from its declaration
(``mlsteward.services.tracking.operations_runs``). A log batch's JSON body is counted against
the batch limits before it is parsed, which a mounted route cannot do: parsing builds objects
several times the body's size, so a body holding more values than any valid batch is refused
with 413 first (see ``log_batch_budget``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.log_batch_budget import check_log_batch_values
from mlsteward.interfaces.rest.operation_routes import documented_responses
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.services.api.schemas import ErrorResponse, LogBatchRequest
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import dispatch
from mlsteward.services.tracking import operations_runs as run_ops

router = APIRouter(
    prefix="/runs",
    tags=["runs"],
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


class _LogBatchRoute(APIRoute):
    """A route whose JSON body is counted against the log-batch limits before FastAPI parses
    it (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        parse_and_call = super().get_route_handler()

        async def handler(request: Request) -> Response:
            body = await request.body()  # kept on the request; parsing reads it from there
            ctx: ServiceContext = request.app.state.ctx
            # Off the event loop: a large body takes a moment to scan.
            await anyio.to_thread.run_sync(check_log_batch_values, body, ctx.limits)
            return await parse_and_call(request)

        return handler


def log_batch(run_id: str, body: LogBatchRequest, ctx: Ctx) -> Response:
    request = run_ops.LogBatch.model_construct(run_id=run_id, body=body)
    return json_response(run_ops.applied_json(dispatch(ctx, run_ops.log_batch, request)))


router.add_api_route(
    "/{run_id}/log-batch",
    log_batch,
    methods=["POST"],
    response_model=run_ops.log_batch.response_model,
    responses=documented_responses(run_ops.log_batch),
    description=run_ops.log_batch.description,
    route_class_override=_LogBatchRoute,
)
