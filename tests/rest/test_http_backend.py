"""The SDK's HttpBackend against a real server: every tracking operation through its
transport, typed errors."""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward.domain.entities import Experiment, LifecycleStage, Metric, Param, RunStatus, RunTag
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from mlsteward.interfaces.sdk import artifact_transfer
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.tracking import operations as ops
from mlsteward.testing.operation_doors import client_over

pytestmark = pytest.mark.server


@pytest.fixture
def backend(server_url: str) -> Iterator[HttpBackend]:
    client = HttpBackend(server_url, user="tester")
    yield client
    client.close()


def _new_experiment(backend: HttpBackend, name: str, **tags: str) -> Experiment:
    return invoke(backend.transport, ops.create_experiment, name=name, tags=tags or None)


def test_experiments(backend: HttpBackend) -> None:
    client = client_over(backend)
    name = f"exp-{uuid.uuid4().hex[:8]}"
    experiment = _new_experiment(backend, name, a="b")
    assert experiment.tags == {"a": "b"}
    assert client.get_experiment(experiment.experiment_id) == experiment
    assert client.get_experiment_by_name(name) == experiment
    assert client.get_experiment_by_name(name + "-missing") is None
    again = invoke(backend.transport, ops.get_or_create_experiment, name=name)
    assert again.experiment_id == experiment.experiment_id
    assert experiment in client.search_experiments()
    client.set_experiment_tag(experiment.experiment_id, "k", "v")
    assert client.get_experiment(experiment.experiment_id).tags["k"] == "v"
    client.delete_experiment(experiment.experiment_id)
    deleted = client.get_experiment(experiment.experiment_id)
    assert deleted.lifecycle_stage is LifecycleStage.DELETED
    assert experiment.experiment_id in {
        e.experiment_id for e in client.search_experiments(include_deleted=True)
    }
    client.restore_experiment(experiment.experiment_id)
    with pytest.raises(AlreadyExistsError):
        client.create_experiment(name)
    with pytest.raises(NotFoundError):
        client.get_experiment(uuid.uuid4().hex)


def test_runs_and_logging(backend: HttpBackend) -> None:
    client = client_over(backend)
    experiment = _new_experiment(backend, f"exp-{uuid.uuid4().hex[:8]}")
    parent = client.create_run(experiment.experiment_id, run_name="parent", tags={"t": "1"})
    assert parent.info.user_id == "tester"
    child = client.create_run(experiment.experiment_id, parent_run_id=parent.info.run_id)
    assert child.info.parent_run_id == parent.info.run_id
    run_id = parent.info.run_id

    points = [Metric("loss", 1.0 / (i + 1), 1000 + i, i) for i in range(500)]
    points += [Metric("odd", math.nan, 1, 0), Metric("odd", math.inf, 2, 1)]
    points += [Metric("odd", -math.inf, 3, 2)]
    client.log_batch(
        run_id, metrics=points, params=[Param("lr", "0.1")], tags=[RunTag("phase", "fit")]
    )
    history = client.get_metric_history(run_id, "loss")
    assert history == points[:500]
    odd = [p.value for p in client.get_metric_history(run_id, "odd")]
    assert math.isnan(odd[0])
    assert odd[1:] == [math.inf, -math.inf]
    assert len(client.get_metric_history(run_id, "loss", max_points=20)) <= 20
    assert client.list_metric_keys(run_id) == ["loss", "odd"]

    run = client.get_run(run_id)
    assert run.data.params == {"lr": "0.1"}
    assert run.data.tags["phase"] == "fit"
    assert run.data.metrics["odd"] == -math.inf
    with pytest.raises(ConflictError):
        client.log_batch(run_id, params=[Param("lr", "0.2")])
    with pytest.raises(InvalidArgumentError):
        client.log_batch(run_id, metrics=[Metric("../bad", 1.0, 1, 0)])

    client.delete_tag(run_id, "phase")
    assert "phase" not in client.get_run(run_id).data.tags
    info = client.update_run(run_id, status="FINISHED")
    assert info.status is RunStatus.FINISHED
    assert info.end_time is not None

    page = client.search_runs(
        [experiment.experiment_id], "params.lr = '0.1'", order_by=["metrics.loss"], max_results=10
    )
    assert [r.info.run_id for r in page] == [run_id]
    client.delete_run(child.info.run_id)
    deleted = client.search_runs(
        [experiment.experiment_id], run_view_type="deleted_only", max_results=10
    )
    assert [r.info.run_id for r in deleted] == [child.info.run_id]
    client.restore_run(child.info.run_id)
    with pytest.raises(InvalidArgumentError, match="position"):
        client.search_runs(None, "metrics.loss >", max_results=10)
    with pytest.raises(NotFoundError):
        client.get_run(uuid.uuid4().hex)


def test_artifacts(backend: HttpBackend, tmp_path: Path) -> None:
    transport = backend.transport
    experiment = _new_experiment(backend, f"exp-{uuid.uuid4().hex[:8]}")
    run_id = client_over(backend).create_run(experiment.experiment_id).info.run_id
    source = tmp_path / "model"
    (source / "sub").mkdir(parents=True)
    (source / "weights.bin").write_bytes(os.urandom(3 << 20))
    (source / "sub" / "config.json").write_text('{"layers": 3}')
    stored = artifact_transfer.log_artifact(transport, run_id, source, "outputs")
    assert stored == ["outputs/sub/config.json", "outputs/weights.bin"]
    readme = artifact_transfer.log_artifact_bytes(transport, run_id, "notes/readme.txt", b"hello")
    assert readme == "notes/readme.txt"
    single = tmp_path / "single.txt"
    single.write_text("one")
    assert artifact_transfer.log_artifact(transport, run_id, single) == ["single.txt"]

    top = artifact_transfer.list_artifacts(transport, run_id)
    assert [(e.path, e.is_dir) for e in top] == [
        ("notes", True),
        ("outputs", True),
        ("single.txt", False),
    ]
    download = artifact_transfer.download_artifacts
    downloaded = download(transport, run_id, "outputs", tmp_path / "download")
    assert downloaded == tmp_path / "download" / "outputs"
    assert (downloaded / "weights.bin").read_bytes() == (source / "weights.bin").read_bytes()
    assert (downloaded / "sub" / "config.json").read_text() == '{"layers": 3}'
    file_only = download(transport, run_id, "notes/readme.txt", tmp_path / "one")
    assert file_only.read_bytes() == b"hello"
    everything = download(transport, run_id, None, tmp_path / "all")
    assert (everything / "single.txt").read_text() == "one"

    with pytest.raises(InvalidArgumentError):
        artifact_transfer.log_artifact_bytes(transport, run_id, "../outside.txt", b"x")
    with pytest.raises(InvalidArgumentError):
        artifact_transfer.log_artifact(transport, run_id, tmp_path / "missing")
    with pytest.raises(NotFoundError):
        download(transport, run_id, "nothing/here", tmp_path / "none")


class LoseFirstResponse(httpx.HTTPTransport):
    """Delivers the first log-batch request, then drops its answer: a lost response."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/log-batch") and not self.lost:
            self.lost += 1
            response.close()
            raise httpx.ReadError("connection dropped after the server answered")
        return response


def test_retry_after_a_lost_response_does_not_duplicate(server_url: str) -> None:
    transport = LoseFirstResponse()
    backend = HttpBackend(server_url, transport=transport)
    client = client_over(backend)
    try:
        experiment = invoke(backend.transport, ops.get_or_create_experiment, name="retries")
        run_id = client.create_run(experiment.experiment_id).info.run_id
        points = [Metric("loss", float(i), i, i) for i in range(100)]
        client.log_batch(run_id, metrics=points)
        assert transport.lost == 1
        assert client.get_metric_history(run_id, "loss") == points
    finally:
        backend.close()
