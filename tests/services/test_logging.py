"""Logging rules: values stored faithfully, bad input refused with nothing changed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlsteward.domain.entities import Metric, Param, Run, RunTag
from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import logging, metric_history, runs


def _snapshot(ctx: ServiceContext, run: Run) -> tuple[object, ...]:
    run_id = run.info.run_id
    keys = metric_history.list_metric_keys(ctx, run_id)
    histories = [ctx.stores.tracking.get_metric_history(run_id, key) for key in keys]
    return runs.get_run(ctx, run_id), keys, histories


def test_non_finite_and_numpy_values_are_stored(ctx: ServiceContext, run: Run) -> None:
    run_id = run.info.run_id
    logging.log_batch(
        ctx,
        run_id,
        metrics=[
            Metric("nan", math.nan, 1, 0),
            Metric("pinf", math.inf, 1, 0),
            Metric("ninf", -math.inf, 1, 0),
            Metric("np", np.float32(0.5), 1, 0),  # type: ignore[arg-type]
            Metric("int", 3, 1, np.int64(7)),  # type: ignore[arg-type]
        ],
    )
    metrics = runs.get_run(ctx, run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert (metrics["pinf"], metrics["ninf"], metrics["np"], metrics["int"]) == (
        math.inf,
        -math.inf,
        0.5,
        3.0,
    )
    [point] = metric_history.get_metric_history(ctx, run_id, "int")
    assert point.step == 7 and type(point.value) is float


def test_param_logged_again(ctx: ServiceContext, run: Run) -> None:
    run_id = run.info.run_id
    logging.log_param(ctx, run_id, "lr", 0.1)
    logging.log_param(ctx, run_id, "lr", "0.1")  # the same value again is fine
    before = _snapshot(ctx, run)
    with pytest.raises(ConflictError, match="lr") as raised:
        logging.log_batch(
            ctx,
            run_id,
            metrics=[Metric("loss", 1.0, 1, 0)],
            params=[Param("lr", "0.2"), Param("other", "x")],
            tags=[RunTag("t", "v")],
        )
    assert "0.1" in str(raised.value) and "0.2" in str(raised.value)
    assert _snapshot(ctx, run) == before


BAD_KEYS = [
    "",
    ".",
    "..",
    "../x",
    "a/../../b",
    "/abs",
    "a//b",
    "a/",
    "./a",
    "a\nb",
    "a;b",
    "k" * 251,
]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize("kind", ["metric", "param", "tag"])
def test_bad_keys_change_nothing(ctx: ServiceContext, run: Run, kind: str, key: str) -> None:
    before = _snapshot(ctx, run)
    batch: dict[str, list[object]] = {
        "metric": [Metric(key, 1.0, 1, 0)],
        "param": [Param(key, "v")],
        "tag": [RunTag(key, "v")],
    }
    with pytest.raises(InvalidArgumentError):
        logging.log_batch(
            ctx,
            run.info.run_id,
            metrics=[Metric("good", 1.0, 1, 0)] + (batch["metric"] if kind == "metric" else []),  # type: ignore[operator]
            params=batch["param"] if kind == "param" else [],  # type: ignore[arg-type]
            tags=batch["tag"] if kind == "tag" else [],  # type: ignore[arg-type]
        )
    assert _snapshot(ctx, run) == before


@pytest.mark.parametrize("key", ["a..b", "val/loss", "train:acc", "with space", "k" * 250, "é"])
def test_acceptable_keys(ctx: ServiceContext, run: Run, key: str) -> None:
    logging.log_batch(ctx, run.info.run_id, params=[Param(key, "v")])
    assert runs.get_run(ctx, run.info.run_id).data.params == {key: "v"}


def test_value_lengths(ctx: ServiceContext, run: Run) -> None:
    limits = ctx.limits
    run_id = run.info.run_id
    logging.log_param(ctx, run_id, "p", "x" * limits.max_param_value_length)
    logging.set_tag(ctx, run_id, "t", "x" * limits.max_tag_value_length)
    before = _snapshot(ctx, run)
    with pytest.raises(InvalidArgumentError, match="limit"):
        logging.log_param(ctx, run_id, "q", "x" * (limits.max_param_value_length + 1))
    with pytest.raises(InvalidArgumentError, match="limit"):
        logging.set_tag(ctx, run_id, "u", "x" * (limits.max_tag_value_length + 1))
    assert _snapshot(ctx, run) == before


@pytest.mark.parametrize(
    "point",
    [
        Metric("m", "1.0", 1, 0),  # type: ignore[arg-type]
        Metric("m", True, 1, 0),  # type: ignore[arg-type]
        Metric("m", None, 1, 0),  # type: ignore[arg-type]
        Metric("m", 1.0, 1.5, 0),  # type: ignore[arg-type]
        Metric("m", 1.0, 1, "3"),  # type: ignore[arg-type]
        Metric("m", 1.0, 1, 2**63),
        Metric("m", 1.0, -(2**63) - 1, 0),
    ],
)
def test_bad_metric_points_change_nothing(ctx: ServiceContext, run: Run, point: Metric) -> None:
    with pytest.raises(InvalidArgumentError):
        logging.log_batch(ctx, run.info.run_id, metrics=[Metric("ok", 1.0, 1, 0), point])
    assert metric_history.list_metric_keys(ctx, run.info.run_id) == []


def test_batch_limits(ctx: ServiceContext, run: Run) -> None:
    too_many = [Param(f"p{i}", "v") for i in range(ctx.limits.max_params_per_batch + 1)]
    with pytest.raises(InvalidArgumentError, match="at most"):
        logging.log_batch(ctx, run.info.run_id, params=too_many)
    with pytest.raises(InvalidArgumentError, match="idempotency key"):
        logging.log_batch(ctx, run.info.run_id, idempotency_key="k" * 129)
    assert runs.get_run(ctx, run.info.run_id).data.params == {}


def test_idempotency_through_the_service(ctx: ServiceContext, run: Run) -> None:
    points = [Metric("m", float(i), 1, i) for i in range(3)]
    assert logging.log_batch(ctx, run.info.run_id, metrics=points, idempotency_key="batch-1")
    assert not logging.log_batch(ctx, run.info.run_id, metrics=points, idempotency_key="batch-1")
    assert metric_history.get_metric_history(ctx, run.info.run_id, "m") == points


def test_log_metric_keeps_an_explicit_zero_timestamp(ctx: ServiceContext, run: Run) -> None:
    logging.log_metric(ctx, run.info.run_id, "m", 1.0, step=3, timestamp=0)
    assert metric_history.get_metric_history(ctx, run.info.run_id, "m") == [Metric("m", 1.0, 0, 3)]
