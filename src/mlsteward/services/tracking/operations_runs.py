"""The run operations a client can call: a run's lifecycle, batched logging, metric histories
and search (see ``mlsteward.services.operations``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mlsteward.domain.entities import Metric, Param, Run, RunInfo, RunPage, RunTag
from mlsteward.domain.metric_arrays import FLOAT64, INT64, MetricArrays
from mlsteward.services.api import wire
from mlsteward.services.api.documented_types import MaxPoints, TrackingKey
from mlsteward.services.api.schemas import (
    CreateRunRequest,
    LogBatchOut,
    LogBatchRequest,
    MetricColumns,
    MetricHistoryOut,
    MetricKeysOut,
    MetricPoint,
    RunInfoOut,
    RunOut,
    RunPageOut,
    SearchRunsRequest,
    UpdateRunRequest,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    ResourceKind,
)
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import WireForm
from mlsteward.services.tracking import logging, metric_history, runs, search

PACKED = "base64-le"


# -- requests ------------------------------------------------------------------------------
class CreateRun(OperationRequest):
    body: CreateRunRequest


class SearchRuns(OperationRequest):
    body: SearchRunsRequest


class RunId(OperationRequest):
    run_id: str


class UpdateRun(OperationRequest):
    run_id: str
    body: UpdateRunRequest


class DeleteTag(OperationRequest):
    run_id: str
    key: TrackingKey


class LogBatch(OperationRequest):
    run_id: str
    body: LogBatchRequest


class GetMetricHistory(OperationRequest):
    run_id: str
    key: TrackingKey
    max_points: MaxPoints | None = None
    encoding: Literal["json", "base64-le"] = "json"


@dataclass(frozen=True, eq=False)
class MetricHistory:
    """One metric's points as columns, and the encoding the caller asked them in."""

    key: str
    arrays: MetricArrays
    encoding: str = "json"

    def to_metrics(self) -> list[Metric]:
        return self.arrays.to_metrics(self.key)


# -- how results travel --------------------------------------------------------------------
def encode_history(history: MetricHistory) -> dict[str, Any]:
    if history.encoding == PACKED:
        return {"key": history.key, **history.arrays.to_packed()}
    return wire.history_payload(history.key, history.to_metrics())


def decode_history(raw: dict[str, Any]) -> MetricHistory:
    """Inverse of :func:`encode_history`, for either encoding."""
    key = str(raw["key"])
    if raw.get("encoding") == PACKED:
        return MetricHistory(key, MetricArrays.from_packed(raw), PACKED)
    arrays = MetricArrays(
        np.asarray(raw["steps"], INT64),
        np.asarray(raw["timestamps"], INT64),
        np.asarray(wire.decode_floats(raw["values"]), FLOAT64),
    )
    return MetricHistory(key, arrays)


def applied_json(applied: bool) -> dict[str, bool]:
    """A log batch's answer: false when its idempotency key had already been applied."""
    return {"applied": applied}


def _info_json(info: RunInfo) -> dict[str, Any]:
    return info.to_dict()


def metric_points(metrics: Any) -> Sequence[Metric]:
    """A batch's points as ``Metric`` tuples: from columns or point objects as they arrive
    over HTTP, or as they are when the SDK passes its own points in-process (not copied)."""
    if not metrics:
        return ()
    if isinstance(metrics, MetricColumns):
        values = wire.decode_floats(metrics.values)
        return list(map(Metric, metrics.keys, values, metrics.timestamps, metrics.steps))
    if isinstance(metrics, dict):  # columns already in wire form
        values = wire.decode_floats(metrics["values"])
        return list(map(Metric, metrics["keys"], values, metrics["timestamps"], metrics["steps"]))
    if isinstance(metrics[0], MetricPoint):
        return [Metric(p.key, wire.decode_float(p.value), p.timestamp, p.step) for p in metrics]
    return metrics


# -- declarations --------------------------------------------------------------------------
#: 400 and 404 are documented on every run operation, as the runs routes always did.
declare = Declarations("tracking", ResourceKind.RUN, tag="runs", responses={400: None, 404: None})
RUN = Codec(wire.encode_run, wire.decode_run, RunOut)
RUN_PAGE = Codec(wire.encode_run_page, wire.decode_run_page, RunPageOut)
RUN_INFO = Codec(_info_json, wire.decode_run_info, RunInfoOut)
APPLIED = Codec(applied_json, lambda raw: bool(raw["applied"]), LogBatchOut)
METRIC_KEYS = Codec(
    lambda keys: {"keys": keys}, lambda raw: [str(key) for key in raw["keys"]], MetricKeysOut
)
HISTORY = Codec(encode_history, decode_history, MetricHistoryOut)


@declare.post(
    "/runs",
    returns=RUN,
    status=201,
    # A run is created in an experiment: whoever may create in it may start runs there.
    resource=ResourceKind.EXPERIMENT,
    resource_name=lambda r: r.body.experiment_id,
)
def create_run(ctx: ServiceContext, r: CreateRun) -> Run:
    body = r.body
    return runs.create_run(
        ctx,
        body.experiment_id,
        run_name=body.run_name,
        tags=body.tags,
        parent_run_id=body.parent_run_id,
        start_time=body.start_time,
    )


@declare.post("/runs/search", returns=RUN_PAGE, action=Action.READ, mutates=False, idempotent=True)
def search_runs(ctx: ServiceContext, r: SearchRuns) -> RunPage:
    """Runs matching ``filter`` (the same language as the SDK), one page at a time."""
    body = r.body
    return search.search_runs(
        ctx,
        body.experiment_ids,
        body.filter,
        body.order_by,
        body.run_view_type,
        body.max_results,
        body.page_token,
    )


@declare.get("/runs/{run_id}", returns=RUN)
def get_run(ctx: ServiceContext, r: RunId) -> Run:
    return runs.get_run(ctx, r.run_id)


@declare.patch("/runs/{run_id}", returns=RUN_INFO, idempotent=True)
def update_run(ctx: ServiceContext, r: UpdateRun) -> RunInfo:
    """Change a run's status, end time or name; a terminal status without an end time ends
    the run now."""
    body = r.body
    return runs.update_run(
        ctx, r.run_id, status=body.status, end_time=body.end_time, run_name=body.run_name
    )


@declare.delete("/runs/{run_id}", status=204)
def delete_run(ctx: ServiceContext, r: RunId) -> None:
    runs.delete_run(ctx, r.run_id)


@declare.post("/runs/{run_id}/restore", action=Action.UPDATE, status=204, idempotent=True)
def restore_run(ctx: ServiceContext, r: RunId) -> None:
    runs.restore_run(ctx, r.run_id)


@declare.delete("/runs/{run_id}/tags", action=Action.UPDATE, status=204)
def delete_tag(ctx: ServiceContext, r: DeleteTag) -> None:
    """Remove one tag (a query parameter, since keys may hold '/' and spaces)."""
    runs.delete_tag(ctx, r.run_id, r.key)


#: Its route is written by hand (``interfaces/rest/routes_runs.py``): the body's values are
#: counted before it is parsed. The body is the JSON ``LogBatchRequest``; the SDK sends its
#: points packed in columns, encoded once.
@declare.post(
    "/runs/{run_id}/log-batch",
    returns=APPLIED,
    action=Action.UPDATE,
    idempotent=True,
    wire=WireForm.UPLOAD,
    responses={409: None, 413: None},
)
def log_batch(ctx: ServiceContext, r: LogBatch) -> bool:
    """Write metrics, params and tags all or nothing; see ``LogBatchRequest`` for retries and
    size limits."""
    body = r.body
    return logging.log_batch(
        ctx,
        r.run_id,
        metrics=metric_points(body.metrics),
        params=[Param(p.key, p.value) for p in body.params or ()],
        tags=[RunTag(t.key, t.value) for t in body.tags or ()],
        idempotency_key=body.idempotency_key,
    )


@declare.get("/runs/{run_id}/metrics/keys", returns=METRIC_KEYS)
def list_metric_keys(ctx: ServiceContext, r: RunId) -> list[str]:
    return metric_history.list_metric_keys(ctx, r.run_id)


@declare.get("/runs/{run_id}/metrics/history", returns=HISTORY)
def get_metric_history(ctx: ServiceContext, r: GetMetricHistory) -> MetricHistory:
    """Every point of one metric by step, or at most ``max_points`` keeping each bucket's
    min and max (so spikes survive downsampling). ``encoding=base64-le`` sends the columns
    as base64 of little-endian int64/float64 arrays: exact and several times cheaper for
    long histories (the Python SDK asks for it)."""
    arrays = metric_history.get_metric_arrays(ctx, r.run_id, r.key, r.max_points)
    return MetricHistory(r.key, arrays, r.encoding)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
