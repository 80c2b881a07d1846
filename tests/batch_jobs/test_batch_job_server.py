"""A real server process whose scheduler runs due batch jobs: a job is run as ``scheduler``
(audited), its run recorded with its report and its schedule advanced; a failing job is
recorded as failed and the loop goes on. The server door refuses hostile names and paths
before anything is stored or written."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pytest

from mlsteward.domain.batch_jobs import FAILED, SUCCEEDED, BatchJobRun
from mlsteward.interfaces.sdk.client import Client
from mlsteward.testing.server_process import running_server
from operations.examples.batch import _predict

pytestmark = pytest.mark.server
#: How long a test waits for the scheduler (it polls every 5 s) before failing.
WAIT_S = 120.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("jobs-server")
    allowed = root / "allowed"
    allowed.mkdir()
    options = ["--source-root", str(allowed), "--allow-model-code"]
    with running_server(
        root / "store.db", root / "artifacts", monitor_scheduler=True, extra_args=options
    ) as url:
        yield str(url), allowed


def _runs_of(client: Client, name: str, count: int) -> list[BatchJobRun]:
    """The job's runs once the scheduler has recorded ``count`` (fails after ``WAIT_S``)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        runs = client.batch_jobs.runs(name)
        if len(runs) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


def test_the_scheduler_runs_a_due_job_and_records_it(server: tuple[str, Path]) -> None:
    url, _ = server
    client = Client(url)
    values = _predict(client)  # a model, a 30-row input dataset, an output dataset name
    name = f"job-{uuid.uuid4().hex[:8]}"
    client.batch_jobs.create(
        name, values["model_uri"], values["input"], values["output"], every="1h", log=False
    )
    (run,) = _runs_of(client, name, 1)
    assert (run.status, run.rows, run.chunks, run.rejected, run.actor) == (
        SUCCEEDED,
        30,
        1,
        0,
        "scheduler",
    )
    assert run.output_version == f"{values['output'][len('dataset:') :]}@1"
    assert run.rows_per_s > 0 and run.report["rows_scored"] == 30
    job = client.batch_jobs.get(name)
    assert job.next_run_time == run.finished_ms + 3600 * 1000
    audited = list(client.audit().records(operation="batch_jobs.run", resource_name=name))
    assert [(r.actor, r.actor_kind) for r in audited] == [("scheduler", "service")]


def test_a_failing_job_is_recorded_and_the_loop_goes_on(server: tuple[str, Path]) -> None:
    url, _ = server
    client = Client(url)
    values = _predict(client)
    wrong = f"wrong-{uuid.uuid4().hex[:8]}"  # columns the model does not take
    client.datasets().register_dataset_table(wrong, pa.table({"x": np.arange(5.0)}))
    broken, fine = f"broken-{uuid.uuid4().hex[:8]}", f"fine-{uuid.uuid4().hex[:8]}"
    model, output = values["model_uri"], values["output"]
    client.batch_jobs.create(broken, model, f"dataset:{wrong}", f"{output}-b", every="1h")
    client.batch_jobs.create(fine, model, values["input"], output, every="1h", log=False)
    (failed,) = _runs_of(client, broken, 1)
    (succeeded,) = _runs_of(client, fine, 1)
    assert failed.status == FAILED and failed.error and failed.rows == 0
    assert client.batch_jobs.get(broken).next_run_time == failed.finished_ms + 3600 * 1000
    assert succeeded.status == SUCCEEDED and succeeded.rows == 30


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("input", "/etc/passwd", 403),
        ("input", "{allowed}/../secret.csv", 403),
        ("input", "s3://other-bucket/data.parquet", 403),
        ("output", "/etc/mlsteward-out-{run}", 403),
        ("output", "{allowed}/../out-{run}", 403),
        ("output", "s3://other-bucket/out/{run}", 403),
        ("name", "../../etc", 400),
        ("name", "a/b", 400),
    ],
)
def test_hostile_names_and_paths_are_refused(
    server: tuple[str, Path], field: str, value: str, status: int
) -> None:
    url, allowed = server
    before = sorted(p.name for p in allowed.parent.iterdir())
    body: dict[str, object] = {
        "name": f"hostile-{uuid.uuid4().hex[:8]}",
        "model_uri": "models:/any/1",
        "input": [str(allowed / "in.parquet")],
        "output": str(allowed / "out-{run}"),
        "every": "1h",
    }
    target = value.format(allowed=allowed, run="{run}")
    body[field] = [target] if field == "input" else target
    answer = httpx.post(f"{url}/api/v1/batch-jobs", json=body, timeout=30.0)
    assert answer.status_code == status, answer.text
    if status == 403:
        assert "--source-root" in answer.text
    assert "root:" not in answer.text
    assert all(job.name != body["name"] for job in Client(url).batch_jobs.list())
    assert sorted(p.name for p in allowed.parent.iterdir()) == before


def test_a_viewer_may_not_create_a_job(tmp_path: Path) -> None:
    with running_server(tmp_path / "store.db", tmp_path / "artifacts", auth=True) as url:
        admin = Client(str(url), token=url.admin_token)
        values = _predict(admin)
        admin.identity().create_user("vera")
        admin.identity().add_grant("vera", "viewer")
        _, secret = admin.identity().create_token("vera-token", user="vera")
        viewer = Client(str(url), token=secret)
        answer = httpx.post(
            f"{url}/api/v1/batch-jobs",
            json={"name": "nightly", **values},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30.0,
        )
        assert answer.status_code == 403, answer.text
        assert viewer.batch_jobs.list() == []
