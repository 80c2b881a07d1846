"""Metric histories, optionally downsampled for plotting without losing spikes."""

from __future__ import annotations

from mlsteward.domain.entities import Metric
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.metric_downsampling import downsample_min_max
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.validation import validate_key


def get_metric_history(
    ctx: ServiceContext, run_id: str, key: str, max_points: int | None = None
) -> list[Metric]:
    validate_key("Metric", key, ctx.limits)
    ctx.store.get_run(run_id)  # NotFoundError for an unknown run
    points = ctx.store.get_metric_history(run_id, key)
    if max_points is None:
        return points
    if max_points < 4:
        raise InvalidArgumentError("max_points must be at least 4 (first, last, a min and a max)")
    return downsample_min_max(points, max_points)


def list_metric_keys(ctx: ServiceContext, run_id: str) -> list[str]:
    ctx.store.get_run(run_id)
    return ctx.store.list_metric_keys(run_id)
