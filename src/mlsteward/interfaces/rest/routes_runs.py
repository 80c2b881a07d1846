"""``/api/v1/runs``: run lifecycle, batched logging, metric histories and search."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.routing import APIRoute

from mlsteward.domain.entities import Metric, Param, RunTag
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.log_batch_budget import check_log_batch_values
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.services.api import wire
from mlsteward.services.api.documented_types import MaxPoints, TrackingKey
from mlsteward.services.api.schemas import (
    CreateRunRequest,
    ErrorResponse,
    LogBatchOut,
    LogBatchRequest,
    MetricColumns,
    MetricHistoryOut,
    MetricKeysOut,
    RunInfoOut,
    RunOut,
    RunPageOut,
    SearchRunsRequest,
    UpdateRunRequest,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import logging, metric_history, runs, search

router = APIRouter(
    prefix="/runs",
    tags=["runs"],
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


@router.post("", status_code=201, response_model=RunOut)
def create_run(body: CreateRunRequest, ctx: Ctx) -> Response:
    run = runs.create_run(
        ctx,
        body.experiment_id,
        run_name=body.run_name,
        tags=body.tags,
        parent_run_id=body.parent_run_id,
        start_time=body.start_time,
    )
    return json_response(wire.encode_run(run), 201)


@router.post("/search", response_model=RunPageOut)
def search_runs(body: SearchRunsRequest, ctx: Ctx) -> Response:
    """Runs matching ``filter`` (the same language as the SDK), one page at a time."""
    page = search.search_runs(
        ctx,
        body.experiment_ids,
        body.filter,
        body.order_by,
        body.run_view_type,
        body.max_results,
        body.page_token,
    )
    return json_response(wire.encode_run_page(page))


@router.get("/{run_id}", response_model=RunOut)
def get_run(run_id: str, ctx: Ctx) -> Response:
    return json_response(wire.encode_run(runs.get_run(ctx, run_id)))


@router.patch("/{run_id}", response_model=RunInfoOut)
def update_run(run_id: str, body: UpdateRunRequest, ctx: Ctx) -> Response:
    info = runs.update_run(
        ctx, run_id, status=body.status, end_time=body.end_time, run_name=body.run_name
    )
    return json_response(info.to_dict())


@router.delete("/{run_id}", status_code=204)
def delete_run(run_id: str, ctx: Ctx) -> Response:
    runs.delete_run(ctx, run_id)
    return no_content()


@router.post("/{run_id}/restore", status_code=204)
def restore_run(run_id: str, ctx: Ctx) -> Response:
    runs.restore_run(ctx, run_id)
    return no_content()


@router.delete("/{run_id}/tags", status_code=204)
def delete_tag(run_id: str, ctx: Ctx, key: Annotated[TrackingKey, Query()]) -> Response:
    """Remove one tag (a query parameter, since keys may hold '/' and spaces)."""
    runs.delete_tag(ctx, run_id, key)
    return no_content()


class _LogBatchRoute(APIRoute):
    """A route whose JSON body is counted against the log-batch limits before FastAPI parses
    it: parsing builds objects several times the body's size, so a body holding more values
    than any valid batch is refused with 413 first (see ``log_batch_budget``)."""

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
    """Write metrics, params and tags all or nothing; see ``LogBatchRequest`` for retries and
    size limits."""
    metrics: list[Metric]
    if body.metrics is None:
        metrics = []
    elif isinstance(body.metrics, MetricColumns):
        columns = body.metrics
        values = wire.decode_floats(columns.values)
        metrics = list(map(Metric, columns.keys, values, columns.timestamps, columns.steps))
    else:
        metrics = [
            Metric(p.key, wire.decode_float(p.value), p.timestamp, p.step) for p in body.metrics
        ]
    applied = logging.log_batch(
        ctx,
        run_id,
        metrics=metrics,
        params=[Param(p.key, p.value) for p in body.params],
        tags=[RunTag(t.key, t.value) for t in body.tags],
        idempotency_key=body.idempotency_key,
    )
    return json_response({"applied": applied})


router.add_api_route(
    "/{run_id}/log-batch",
    log_batch,
    methods=["POST"],
    response_model=LogBatchOut,
    responses={409: {"model": ErrorResponse}, 413: {"model": ErrorResponse}},
    route_class_override=_LogBatchRoute,
)


@router.get("/{run_id}/metrics/keys", response_model=MetricKeysOut)
def list_metric_keys(run_id: str, ctx: Ctx) -> Response:
    return json_response({"keys": metric_history.list_metric_keys(ctx, run_id)})


@router.get("/{run_id}/metrics/history", response_model=MetricHistoryOut)
def get_metric_history(
    run_id: str,
    ctx: Ctx,
    key: Annotated[TrackingKey, Query()],
    max_points: Annotated[MaxPoints | None, Query()] = None,
    encoding: Literal["json", "base64-le"] = Query(default="json"),
) -> Response:
    """Every point of one metric by step, or at most ``max_points`` keeping each bucket's
    min and max (so spikes survive downsampling). ``encoding=base64-le`` sends the columns
    as base64 of little-endian int64/float64 arrays: exact and several times cheaper for
    long histories (the Python SDK asks for it)."""
    arrays = metric_history.get_metric_arrays(ctx, run_id, key, max_points)
    if encoding == "base64-le":
        return json_response({"key": key, **arrays.to_packed()})
    return json_response(wire.history_payload(key, arrays.to_metrics(key)))
