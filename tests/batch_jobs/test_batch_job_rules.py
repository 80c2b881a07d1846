"""The rules of batch jobs through the local SDK door: schedules, the one-output-per-run rule,
runs recorded whether they succeed or fail, pause and resume, one run at a time."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.domain.batch_jobs import FAILED, SUCCEEDED, expand_output
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from mlsteward.interfaces.sdk.client import Client
from operations.examples.models import _logged_model


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setenv("MLSTEWARD_HOME", str(tmp_path / "home"))
    return Client(str(tmp_path / "store"))


@pytest.fixture
def model(client: Client) -> str:
    """``models:/NAME/1``: a logistic regression on the columns ``0``, ``1`` and ``2``."""
    name = client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}").name
    source = _logged_model(client)
    client.create_model_version(name, source, run_id=source.split("/")[1])
    return f"models:/{name}/1"


def _rows(n: int) -> pd.DataFrame:
    values = np.random.default_rng(n).normal(size=(n, 3))
    return pd.DataFrame({str(i): values[:, i] for i in range(3)})


@pytest.mark.parametrize(
    "every", ["0s5", "-1h", "1y", "", "hourly", "367d", "1.5h", True, -5, 400 * 86400]
)
def test_a_bad_schedule_is_refused_and_nothing_stored(
    client: Client, model: str, every: object
) -> None:
    with pytest.raises(InvalidArgumentError, match="every must"):
        client.batch_jobs.create("nightly", model, "in.parquet", "out/{run}", every=every)  # type: ignore[arg-type]
    assert client.batch_jobs.list() == []


@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("scores", "put {run} or {date}"),
        ("scores.csv", "put {run} or {date}"),
        ("scores/{day}", "placeholders {run}, {date} only"),
        ("scores/{run", "placeholders {run}, {date} only"),
        ("scores/run}/{date}", "placeholders {run}, {date} only"),
        ("dataset:scores-{run}", "takes no placeholder"),
        ("dataset:../x", "Invalid dataset name"),
    ],
)
def test_an_output_each_run_cannot_write_anew_is_refused(
    client: Client, model: str, output: str, words: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=words.replace("{", r"\{").replace("}", r"\}")):
        client.batch_jobs.create("nightly", model, "in.parquet", output, every="1h")
    assert client.batch_jobs.list() == []


@pytest.mark.parametrize("name", ["", "../etc", "a b", "-x", "x" * 129, "é"])
def test_a_bad_name_is_refused(client: Client, model: str, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="batch job name"):
        client.batch_jobs.create(name, model, "in.parquet", "out/{run}")
    assert client.batch_jobs.list() == []


def test_bad_options_and_models_are_refused(client: Client, model: str) -> None:
    with pytest.raises(InvalidArgumentError, match="chunk_size"):
        client.batch_jobs.create("j", model, "in.parquet", "out/{run}", chunk_size=0)
    with pytest.raises(InvalidArgumentError, match="on_bad_rows"):
        client.batch_jobs.create("j", model, "in.parquet", "out/{run}", on_bad_rows="ignore")
    with pytest.raises(InvalidArgumentError, match="does not resolve"):
        client.batch_jobs.create("j", "models:/nobody/1", "in.parquet", "out/{run}")
    with pytest.raises(InvalidArgumentError, match="registered models"):
        client.batch_jobs.create("j", "runs:/abc/model", "in.parquet", "out/{run}")
    with pytest.raises(InvalidArgumentError, match="read alone"):
        client.batch_jobs.create("j", model, ["dataset:a", "b.csv"], "out/{run}")
    assert client.batch_jobs.list() == []


def test_each_run_writes_a_new_folder_and_is_recorded(
    client: Client, model: str, tmp_path: Path
) -> None:
    _rows(120).to_parquet(tmp_path / "in.parquet")
    output = str(tmp_path / "scores" / "{date}" / "{run}")
    job = client.batch_jobs.create(
        "nightly", model, str(tmp_path / "in.parquet"), output, every="1d", chunk_size=50
    )
    assert job.interval_s == 86400 and job.enabled and job.next_run_time is not None
    first = client.batch_jobs.run("nightly")
    second = client.batch_jobs.run("nightly")
    for run in (first, second):
        assert (run.status, run.rows, run.chunks, run.rejected) == (SUCCEEDED, 120, 3, 0)
        assert run.error is None and run.rows_per_s > 0
        assert run.output == expand_output(output, run.run_id, run.started_ms)
        assert len(pd.read_parquet(run.output)) == 120
        assert run.report["rows_scored"] == 120  # scored anew, not resumed
    assert first.output != second.output
    assert client.batch_jobs.runs("nightly") == [second, first]
    stored = client.batch_jobs.get("nightly")
    assert stored.last_run_time == second.started_ms
    assert stored.next_run_time == second.finished_ms + 86400 * 1000


def test_a_dataset_output_gets_a_new_version_each_run(client: Client, model: str) -> None:
    client.datasets().register_dataset_table("customers", pa.Table.from_pandas(_rows(40)))
    client.batch_jobs.create("daily", model, "dataset:customers", "dataset:scores", log=False)
    first = client.batch_jobs.run("daily")
    second = client.batch_jobs.run("daily")
    assert (first.output_version, second.output_version) == ("scores@1", "scores@2")
    assert first.rows == second.rows == 40


def test_a_failed_run_is_recorded_and_the_schedule_moves_on(
    client: Client, model: str, tmp_path: Path
) -> None:
    missing = str(tmp_path / "never" / "*.parquet")
    client.batch_jobs.create("broken", model, missing, str(tmp_path / "o-{run}"), every="1h")
    run = client.batch_jobs.run("broken")
    assert run.status == FAILED and run.rows == 0 and run.report == {}
    assert run.error is not None and "No input file matches" in run.error
    job = client.batch_jobs.get("broken")
    assert job.next_run_time == run.finished_ms + 3600 * 1000
    assert client.batch_jobs.runs("broken") == [run]


def test_pause_resume_and_schedule_changes(client: Client, model: str) -> None:
    made = client.batch_jobs.create("j", model, "in.parquet", "out/{run}", every="15m")
    assert made.next_run_time is not None
    paused = client.batch_jobs.pause("j")
    assert (paused.enabled, paused.next_run_time, paused.interval_s) == (False, None, 900)
    resumed = client.batch_jobs.resume("j")
    assert resumed.enabled and resumed.next_run_time is not None
    manual = client.batch_jobs.update("j", every=0)
    assert (manual.interval_s, manual.next_run_time) == (0, None)
    with pytest.raises(InvalidArgumentError, match="every must"):
        client.batch_jobs.update("j", every="soon")
    assert client.batch_jobs.get("j") == manual


def test_one_run_at_a_time(client: Client, model: str) -> None:
    client.batch_jobs.create("j", model, "in.parquet", "out/{run}")
    store = client._backend.ctx.stores.batch_jobs
    assert store.claim_job("j", 1, 2**62, None)  # as if another server were running it
    with pytest.raises(ConflictError, match="running already"):
        client.batch_jobs.run("j")
    assert client.batch_jobs.runs("j") == []


def test_names_are_unique_and_deleting_forgets_runs(client: Client, model: str) -> None:
    client.batch_jobs.create("j", model, "in.parquet", "out/{run}")
    with pytest.raises(AlreadyExistsError, match="exists"):
        client.batch_jobs.create("j", model, "in.parquet", "out/{run}")
    client.batch_jobs.run("j")
    client.batch_jobs.delete("j")
    with pytest.raises(NotFoundError):
        client.batch_jobs.get("j")
    with pytest.raises(NotFoundError):
        client.batch_jobs.runs("j")
