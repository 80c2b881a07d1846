"""Metric histories, optionally downsampled for plotting without losing spikes."""

from __future__ import annotations

from mlsteward.domain.entities import Metric
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.metric_arrays import MIN_MAX_POINTS, MetricArrays
from mlsteward.engines.metric_downsampling import downsample_arrays
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.validation import validate_key


def get_metric_arrays(
    ctx: ServiceContext, run_id: str, key: str, max_points: int | None = None
) -> MetricArrays:
    """The history as columns; ``max_points`` keeps first, last and each bucket's min/max."""
    validate_key("Metric", key, ctx.limits)
    if max_points is not None and max_points < MIN_MAX_POINTS:
        raise InvalidArgumentError(
            f"max_points must be at least {MIN_MAX_POINTS} (first, last, a min and a max)"
        )
    ctx.stores.tracking.get_run(run_id)  # NotFoundError for an unknown run
    arrays = ctx.stores.tracking.get_metric_arrays(run_id, key)
    return arrays if max_points is None else downsample_arrays(arrays, max_points)


def get_metric_history(
    ctx: ServiceContext, run_id: str, key: str, max_points: int | None = None
) -> list[Metric]:
    return get_metric_arrays(ctx, run_id, key, max_points).to_metrics(key)


def list_metric_keys(ctx: ServiceContext, run_id: str) -> list[str]:
    ctx.stores.tracking.get_run(run_id)
    return ctx.stores.tracking.list_metric_keys(run_id)
