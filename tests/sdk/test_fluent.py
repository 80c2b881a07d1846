"""The fluent API: runs as context managers, nesting, resuming, statuses, logging."""

from __future__ import annotations

import math

import pytest

import mlsteward
from mlsteward import Client, Experiment, RunStatus


def test_run_records_everything_and_finishes(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run(run_name="first", tags={"team": "vision"}, description="hi") as run:
        assert mlsteward.active_run() is run
        mlsteward.log_param("lr", 0.1)
        mlsteward.log_params({"layers": 3, "act": "relu"})
        mlsteward.set_tag("stage", "dev")
        mlsteward.set_tags({"a": 1})
        for step in range(100):
            mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
        mlsteward.log_metrics({"acc": 0.9, "f1": 0.8}, step=7)
    assert mlsteward.active_run() is None
    stored = client.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FINISHED
    assert stored.info.end_time is not None and stored.info.end_time >= stored.info.start_time
    assert stored.info.experiment_id == experiment.experiment_id
    assert stored.info.run_name == "first"
    assert stored.data.params == {"lr": "0.1", "layers": "3", "act": "relu"}
    assert stored.data.metrics == {"loss": 0.01, "acc": 0.9, "f1": 0.8}
    tags = stored.data.tags
    assert (tags["team"], tags["stage"], tags["a"], tags["mlsteward.note"]) == (
        "vision",
        "dev",
        "1",
        "hi",
    )
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [p.step for p in history] == list(range(100))
    assert mlsteward.last_active_run() == stored


def test_nested_runs(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run(run_name="parent") as parent:
        with pytest.raises(mlsteward.InvalidArgumentError, match="nested=True"):
            mlsteward.start_run()
        with mlsteward.start_run(run_name="child", nested=True) as child:
            assert mlsteward.active_run() is child
            mlsteward.log_metric("child_metric", 1.0)
            with mlsteward.start_run(run_name="grandchild", nested=True) as grandchild:
                mlsteward.log_metric("deep", 2.0)
        assert mlsteward.active_run() is parent
        mlsteward.log_metric("parent_metric", 3.0)
    assert client.get_run(child.info.run_id).info.parent_run_id == parent.info.run_id
    assert client.get_run(grandchild.info.run_id).info.parent_run_id == child.info.run_id
    assert client.get_run(parent.info.run_id).info.parent_run_id is None
    assert client.get_run(child.info.run_id).data.metrics == {"child_metric": 1.0}
    assert client.get_run(parent.info.run_id).data.metrics == {"parent_metric": 3.0}
    children = client.search_runs(
        experiment.experiment_id, f"attributes.parent_run_id = '{parent.info.run_id}'"
    )
    assert [r.info.run_id for r in children] == [child.info.run_id]
    statuses = {client.get_run(r.info.run_id).info.status for r in (parent, child, grandchild)}
    assert statuses == {RunStatus.FINISHED}


def test_ending_a_parent_ends_its_children(experiment: Experiment, client: Client) -> None:
    parent = mlsteward.start_run()
    child = mlsteward.start_run(nested=True)
    mlsteward.log_metric("m", 1.0)
    mlsteward.end_run()  # ends the child
    assert mlsteward.active_run() is parent
    mlsteward.end_run("KILLED")
    assert client.get_run(child.info.run_id).info.status is RunStatus.FINISHED
    assert client.get_run(parent.info.run_id).info.status is RunStatus.KILLED
    assert client.get_run(child.info.run_id).data.metrics == {"m": 1.0}


def test_resume_with_run_id(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run() as first:
        mlsteward.log_param("lr", 0.1)
        mlsteward.log_metric("loss", 1.0, step=0)
    run_id = first.info.run_id
    with mlsteward.start_run(run_id=run_id) as resumed:
        assert resumed.info.run_id == run_id
        assert client.get_run(run_id).info.status is RunStatus.RUNNING
        mlsteward.log_metric("loss", 0.5, step=1)
        mlsteward.log_param("lr", 0.1)
        with pytest.raises(mlsteward.ConflictError, match="lr"):
            mlsteward.log_param("lr", 0.2)
    stored = client.get_run(run_id)
    assert stored.info.status is RunStatus.FINISHED
    assert stored.data.params == {"lr": "0.1"}
    assert [p.value for p in client.get_metric_history(run_id, "loss")] == [1.0, 0.5]
    with pytest.raises(mlsteward.NotFoundError):
        mlsteward.start_run(run_id="0" * 32)
    assert mlsteward.active_run() is None


def test_a_block_that_raises_ends_failed(experiment: Experiment, client: Client) -> None:
    with pytest.raises(ZeroDivisionError), mlsteward.start_run() as run:
        for step in range(500):
            mlsteward.log_metric("m", float(step), step=step)
        _ = 1 / 0
    stored = client.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.FAILED
    assert len(client.get_metric_history(run.info.run_id, "m")) == 500
    assert mlsteward.active_run() is None


def test_keyboard_interrupt_ends_killed(experiment: Experiment, client: Client) -> None:
    with pytest.raises(KeyboardInterrupt), mlsteward.start_run() as run:
        mlsteward.log_metric("m", 1.0)
        raise KeyboardInterrupt
    stored = client.get_run(run.info.run_id)
    assert stored.info.status is RunStatus.KILLED
    assert stored.data.metrics == {"m": 1.0}


def test_non_finite_values_round_trip(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run() as run:
        mlsteward.log_metric("nan", math.nan)
        mlsteward.log_metric("pinf", math.inf)
        mlsteward.log_metric("ninf", -math.inf)
    metrics = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert (metrics["pinf"], metrics["ninf"]) == (math.inf, -math.inf)
    [point] = client.get_metric_history(run.info.run_id, "nan")
    assert math.isnan(point.value)


def test_flush_makes_points_visible_mid_run(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run() as run:
        for step in range(2_000):
            mlsteward.log_metric("m", float(step), step=step)
        mlsteward.flush()
        assert len(client.get_metric_history(run.info.run_id, "m")) == 2_000
        assert run.data.metrics == {"m": 1999.0}


def test_bad_input_is_refused_at_the_call(experiment: Experiment) -> None:
    with mlsteward.start_run():
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_metric("../escape", 1.0)
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_metric("m", "not a number")  # type: ignore[arg-type]
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_metric("m", 1.0, step=1.5)  # type: ignore[arg-type]
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_param("x" * 300, 1)
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_text("x", "../outside.txt")


def test_logging_without_a_run_starts_one(tracking_uri: str, client: Client) -> None:
    mlsteward.log_param("auto", 1)
    run = mlsteward.active_run()
    assert run is not None
    mlsteward.end_run()
    stored = client.get_run(run.info.run_id)
    assert stored.data.params == {"auto": "1"}
    default = client.get_experiment_by_name("Default")
    assert default is not None and stored.info.experiment_id == default.experiment_id


def test_set_experiment_by_id_and_errors(experiment: Experiment, client: Client) -> None:
    assert mlsteward.set_experiment(experiment_id=experiment.experiment_id) == experiment
    with pytest.raises(mlsteward.InvalidArgumentError):
        mlsteward.set_experiment()
    with pytest.raises(mlsteward.NotFoundError):
        mlsteward.set_experiment(experiment_id="f" * 32)
    with mlsteward.start_run() as run:
        pass
    assert client.get_run(run.info.run_id).info.experiment_id == experiment.experiment_id
