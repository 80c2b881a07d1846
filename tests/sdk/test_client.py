"""The Client: experiments, search (also as a DataFrame), histories, deletion and restore."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import mlsteward
from mlsteward import Client, Experiment, Metric, Param, RunStatus, RunTag
from mlsteward.interfaces.sdk.tracking_uri import close_backends


def test_experiments(tracking_uri: str, client: Client) -> None:
    experiment_id = client.create_experiment("client-made", tags={"owner": "me"})
    found = client.get_experiment_by_name("client-made")
    assert found is not None and found.experiment_id == experiment_id
    assert found.tags == {"owner": "me"}
    assert client.get_experiment(experiment_id) == found
    assert client.get_experiment_by_name("no-such-experiment") is None
    with pytest.raises(mlsteward.AlreadyExistsError):
        client.create_experiment("client-made")
    with pytest.raises(mlsteward.NotFoundError):
        client.get_experiment("0" * 32)
    client.delete_experiment(experiment_id)
    assert experiment_id not in {e.experiment_id for e in client.search_experiments()}
    client.restore_experiment(experiment_id)
    assert experiment_id in {e.experiment_id for e in client.search_experiments()}


def test_explicit_runs_and_errors(experiment: Experiment, client: Client) -> None:
    run = client.create_run(experiment.experiment_id, run_name="explicit", start_time=1_000)
    run_id = run.info.run_id
    assert run.info.start_time == 1_000
    client.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 5, 0), Metric("m", 2.0, 6, 1)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "x")],
    )
    client.log_metric(run_id, "single", 3.0, step=4)
    client.log_param(run_id, "q", 2)
    client.set_tag(run_id, "u", "y")
    client.delete_tag(run_id, "u")
    with pytest.raises(mlsteward.ConflictError):
        client.log_batch(run_id, metrics=[Metric("m", 9.0, 7, 2)], params=[Param("p", "2")])
    with pytest.raises(mlsteward.NotFoundError):
        client.get_run("0" * 32)
    with pytest.raises(mlsteward.NotFoundError):
        client.log_param("0" * 32, "p", 1)
    assert client.get_run_or_none("0" * 32) is None
    client.update_run(run_id, name="renamed")
    info = client.set_terminated(run_id, "KILLED")
    assert info.status is RunStatus.KILLED and info.run_name == "renamed"
    data = client.get_run(run_id).data
    assert data.params == {"p": "1", "q": "2"}
    assert data.metrics == {"m": 2.0, "single": 3.0}
    assert "u" not in data.tags and data.tags["t"] == "x"
    assert client.list_metric_keys(run_id) == ["m", "single"]


def _populate(experiment: Experiment) -> dict[str, str]:
    ids = {}
    for name, lr, acc in (("a", 0.1, 0.9), ("b", 0.01, 0.7), ("c", 0.1, 0.8), ("d", 0.5, math.nan)):
        with mlsteward.start_run(run_name=name, log_environment=False) as run:
            mlsteward.log_param("lr", lr)
            mlsteward.log_metric("acc", acc)
            mlsteward.set_tag("letter", name)
        ids[name] = run.info.run_id
    return ids


def test_search_runs_list_and_pages(experiment: Experiment, client: Client) -> None:
    ids = _populate(experiment)
    found = client.search_runs(
        experiment.experiment_id,
        "metrics.acc > 0.75 AND params.lr = '0.1'",
        order_by=["metrics.acc DESC"],
    )
    assert [r.info.run_id for r in found] == [ids["a"], ids["c"]]
    assert found.token is None
    seen = []
    page = client.search_runs([experiment.experiment_id], max_results=3, order_by=["run_name"])
    seen.extend(r.info.run_name for r in page)
    assert page.token is not None
    page = client.search_runs(
        [experiment.experiment_id], max_results=3, order_by=["run_name"], page_token=page.token
    )
    seen.extend(r.info.run_name for r in page)
    assert seen == ["a", "b", "c", "d"] and page.token is None
    with pytest.raises(mlsteward.InvalidArgumentError, match="position"):
        client.search_runs(experiment.experiment_id, "metrics.acc >> 1")


def test_search_runs_dataframe(experiment: Experiment) -> None:
    ids = _populate(experiment)
    frame = mlsteward.search_runs(
        [experiment.experiment_id], "params.lr != '0.01'", order_by=["run_name"], max_results=2
    )
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["run_id"]) == [ids["a"], ids["c"], ids["d"]]  # all pages followed
    assert list(frame["params.lr"]) == ["0.1", "0.1", "0.5"]
    assert frame["metrics.acc"].iloc[0] == 0.9 and math.isnan(frame["metrics.acc"].iloc[2])
    assert list(frame["tags.letter"]) == ["a", "c", "d"]
    assert set(frame["status"]) == {"FINISHED"}
    assert isinstance(frame["start_time"].iloc[0], pd.Timestamp)
    empty = mlsteward.search_runs([experiment.experiment_id], "params.lr = 'none'")
    assert empty.empty and "run_id" in empty.columns


def test_metric_history_with_max_points(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run() as run:
        for step in range(5_000):
            value = 100.0 if step == 2_500 else -100.0 if step == 3_700 else math.sin(step / 50)
            mlsteward.log_metric("wave", value, step=step)
    run_id = run.info.run_id
    full = client.get_metric_history(run_id, "wave")
    assert [p.step for p in full] == list(range(5_000))
    small = client.get_metric_history(run_id, "wave", max_points=200)
    assert len(small) <= 200
    assert small[0] == full[0] and small[-1] == full[-1]
    assert {100.0, -100.0} <= {p.value for p in small}
    with pytest.raises(mlsteward.InvalidArgumentError):
        client.get_metric_history(run_id, "wave", max_points=2)


def test_delete_and_restore(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run() as run:
        mlsteward.log_metric("m", 1.0)
    run_id = run.info.run_id
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage.value == "deleted"
    assert list(client.search_runs(experiment.experiment_id)) == []
    deleted = client.search_runs(experiment.experiment_id, run_view_type="deleted_only")
    assert [r.info.run_id for r in deleted] == [run_id]
    with pytest.raises(mlsteward.NotFoundError):
        client.log_param(run_id, "p", 1)
    client.restore_run(run_id)
    assert [r.info.run_id for r in client.search_runs(experiment.experiment_id)] == [run_id]
    client.log_param(run_id, "p", 1)
    assert client.get_run(run_id).data.params == {"p": "1"}


def test_a_store_written_by_a_newer_release_is_refused(tmp_path: Path) -> None:
    store_dir = tmp_path / "newer"
    mlsteward.set_tracking_uri(str(store_dir))
    Client().create_experiment("before")
    close_backends()
    database = store_dir / "mlsteward.db"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    before = database.read_bytes()
    with pytest.raises(mlsteward.SchemaVersionError, match="newer mlsteward") as raised:
        Client()
    assert "from_the_future" in str(raised.value) and "Upgrade mlsteward" in str(raised.value)
    assert database.read_bytes() == before
