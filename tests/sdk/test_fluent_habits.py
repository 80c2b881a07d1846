"""MLflow habits a newcomer brings: the run object knows it ended, and ``search_runs()``
without experiments searches the active experiment."""

from __future__ import annotations

import uuid

import pytest

import mlsteward
from mlsteward import Client, Experiment, RunStatus


def test_run_info_is_final_after_the_with_block(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run() as run:
        assert run.info.status is RunStatus.RUNNING and run.info.end_time is None
        with mlsteward.start_run(nested=True) as child:
            mlsteward.log_metric("loss", 0.5)
    assert run.info.status is RunStatus.FINISHED
    assert child.info.status is RunStatus.FINISHED
    assert run.info.end_time is not None and run.info.end_time >= run.info.start_time
    assert run.info == client.get_run(run.info.run_id).info

    with pytest.raises(ValueError), mlsteward.start_run() as failed:
        raise ValueError("boom")
    assert failed.info.status is RunStatus.FAILED

    ended = mlsteward.start_run()
    mlsteward.end_run("KILLED")
    assert ended.info.status is RunStatus.KILLED
    assert ended.info == client.get_run(ended.info.run_id).info


def test_search_runs_without_experiments_searches_the_active_one(
    experiment: Experiment, client: Client
) -> None:
    other = client.create_experiment(f"{experiment.name}-other")
    client.create_run(other, run_name="elsewhere")
    with mlsteward.start_run(run_name="here") as run:
        pass
    frame = mlsteward.search_runs()
    assert list(frame["run_id"]) == [run.info.run_id]
    assert list(frame["experiment_id"]) == [experiment.experiment_id]
    assert len(mlsteward.search_runs([experiment.experiment_id, other])) == 2

    mlsteward.set_experiment(experiment_id=other)
    assert list(mlsteward.search_runs()["run_name"]) == ["elsewhere"]


def test_without_a_chosen_experiment_the_default_one_is_searched(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    name = f"never-used-{uuid.uuid4().hex}"
    monkeypatch.setenv("MLSTEWARD_EXPERIMENT_NAME", name)
    empty = mlsteward.search_runs()
    assert empty.empty and "run_id" in empty.columns
    assert client.get_experiment_by_name(name) is None  # searching created nothing
    with mlsteward.start_run() as run:
        pass
    assert list(mlsteward.search_runs()["run_id"]) == [run.info.run_id]
