"""Metric histories: unknown runs and keys, and downsampling that keeps each bucket's extremes."""

from __future__ import annotations

import math
import random

import pytest

from mlsteward.domain.entities import Metric, Run
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.engines.metric_downsampling import downsample_min_max
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import logging, metric_history


def test_unknown_run_and_bad_key(ctx: ServiceContext, run: Run) -> None:
    with pytest.raises(NotFoundError):
        metric_history.get_metric_history(ctx, new_id(), "m")
    with pytest.raises(InvalidArgumentError):
        metric_history.get_metric_history(ctx, run.info.run_id, "../m")
    assert metric_history.get_metric_history(ctx, run.info.run_id, "never") == []


def test_downsampling_keeps_min_and_max_per_bucket(ctx: ServiceContext, run: Run) -> None:
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) for _ in range(10_000)]
    values[1234], values[8765] = 1e6, -1e6  # spikes that plain striding would miss
    points = [Metric("loss", v, 1_000 + i, i) for i, v in enumerate(values)]
    logging.log_batch(ctx, run.info.run_id, metrics=points)

    kept = metric_history.get_metric_history(ctx, run.info.run_id, "loss", max_points=100)
    assert 50 < len(kept) <= 100
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert [p.step for p in kept] == sorted(p.step for p in kept)
    assert {p.value for p in kept} >= {1e6, -1e6}

    # Each bucket between consecutive kept interior points has its extremes among the kept.
    kept_steps = {p.step for p in kept}
    inner = points[1:-1]
    buckets = (100 - 2) // 2
    size = math.ceil(len(inner) / buckets)
    for start in range(0, len(inner), size):
        bucket = inner[start : start + size]
        assert min(bucket, key=lambda p: p.value).step in kept_steps
        assert max(bucket, key=lambda p: p.value).step in kept_steps


def test_downsampling_limits(ctx: ServiceContext, run: Run) -> None:
    points = [Metric("m", float(i), 1, i) for i in range(10)]
    logging.log_batch(ctx, run.info.run_id, metrics=points)
    assert metric_history.get_metric_history(ctx, run.info.run_id, "m", max_points=10) == points
    assert metric_history.get_metric_history(ctx, run.info.run_id, "m", max_points=50) == points
    assert len(metric_history.get_metric_history(ctx, run.info.run_id, "m", max_points=4)) <= 4
    with pytest.raises(InvalidArgumentError, match="at least 4"):
        metric_history.get_metric_history(ctx, run.info.run_id, "m", max_points=3)


def test_downsampling_a_series_of_nans_and_infinities() -> None:
    points = [Metric("m", math.nan, 1, i) for i in range(50)]
    points[10] = Metric("m", math.inf, 1, 10)
    points[30] = Metric("m", -math.inf, 1, 30)
    kept = downsample_min_max(points, 10)
    assert len(kept) <= 10
    assert {p.step for p in kept} >= {0, 10, 30, 49}
