"""Logging params, metrics and tags: validated once here, then written in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mlsteward.domain.entities import Metric, Param, RunTag
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.runs import require_active_run
from mlsteward.services.tracking.validation import (
    validate_int64,
    validate_key,
    validate_metric_value,
    validate_value,
)

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _metrics(ctx: ServiceContext, points: Iterable[Metric]) -> list[Metric]:
    seen_keys: set[str] = set()
    clean: list[Metric] = []
    for point in points:
        key = point.key
        if key not in seen_keys:
            validate_key("Metric", key, ctx.limits)
            seen_keys.add(key)
        value, timestamp, step = point.value, point.timestamp, point.step
        if (
            type(value) is float
            and type(timestamp) is int
            and type(step) is int
            and _INT64_MIN <= timestamp <= _INT64_MAX
            and _INT64_MIN <= step <= _INT64_MAX
        ):
            clean.append(point)  # already well-formed: no copy on the hot path
            continue
        value = validate_metric_value(key, value)
        timestamp = validate_int64(f"Metric {key!r} timestamp", timestamp)
        step = validate_int64(f"Metric {key!r} step", step)
        clean.append(Metric(key, value, timestamp, step))
    if len(clean) > ctx.limits.max_metrics_per_batch:
        raise InvalidArgumentError(
            f"A batch holds at most {ctx.limits.max_metrics_per_batch} metric points, "
            f"got {len(clean)}"
        )
    return clean


def log_batch(
    ctx: ServiceContext,
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    idempotency_key: str | None = None,
) -> bool:
    """Validate everything first, then write all or nothing. False when the key was replayed."""
    limits = ctx.limits
    if len(params) > limits.max_params_per_batch or len(tags) > limits.max_tags_per_batch:
        raise InvalidArgumentError(
            f"A batch holds at most {limits.max_params_per_batch} params and "
            f"{limits.max_tags_per_batch} tags"
        )
    clean_metrics = _metrics(ctx, metrics)
    clean_params = [
        Param(
            validate_key("Param", p.key, limits),
            validate_value("Param", p.key, p.value, limits.max_param_value_length),
        )
        for p in params
    ]
    clean_tags = [
        RunTag(
            validate_key("Tag", t.key, limits),
            validate_value("Tag", t.key, t.value, limits.max_tag_value_length),
        )
        for t in tags
    ]
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
        raise InvalidArgumentError("An idempotency key has 1 to 128 characters")
    require_active_run(ctx, run_id)
    tracking = ctx.stores.tracking
    return tracking.log_batch(run_id, clean_metrics, clean_params, clean_tags, idempotency_key)


def log_param(ctx: ServiceContext, run_id: str, key: str, value: object) -> None:
    log_batch(ctx, run_id, params=[Param(key, str(value))])


def set_tag(ctx: ServiceContext, run_id: str, key: str, value: object) -> None:
    log_batch(ctx, run_id, tags=[RunTag(key, str(value))])


def log_metric(
    ctx: ServiceContext,
    run_id: str,
    key: str,
    value: float,
    step: int = 0,
    timestamp: int | None = None,
) -> None:
    when = ctx.clock() if timestamp is None else timestamp
    log_batch(ctx, run_id, metrics=[Metric(key, value, when, step)])
