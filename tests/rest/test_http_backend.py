"""The SDK's HttpBackend against a real server: every TrackingBackend call, typed errors."""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward.domain.entities import LifecycleStage, Metric, Param, RunStatus, RunTag
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from mlsteward.interfaces.sdk.http_backend import HttpBackend

pytestmark = pytest.mark.server


@pytest.fixture
def backend(server_url: str) -> Iterator[HttpBackend]:
    client = HttpBackend(server_url, user="tester")
    yield client
    client.close()


def test_experiments(backend: HttpBackend) -> None:
    name = f"exp-{uuid.uuid4().hex[:8]}"
    experiment = backend.create_experiment(name, tags={"a": "b"})
    assert experiment.tags == {"a": "b"}
    assert backend.get_experiment(experiment.experiment_id) == experiment
    assert backend.get_experiment_by_name(name) == experiment
    assert backend.get_experiment_by_name(name + "-missing") is None
    assert backend.get_or_create_experiment(name).experiment_id == experiment.experiment_id
    assert experiment in backend.list_experiments()
    backend.set_experiment_tag(experiment.experiment_id, "k", "v")
    assert backend.get_experiment(experiment.experiment_id).tags["k"] == "v"
    backend.delete_experiment(experiment.experiment_id)
    deleted = backend.get_experiment(experiment.experiment_id)
    assert deleted.lifecycle_stage is LifecycleStage.DELETED
    assert experiment.experiment_id in {
        e.experiment_id for e in backend.list_experiments(include_deleted=True)
    }
    backend.restore_experiment(experiment.experiment_id)
    with pytest.raises(AlreadyExistsError):
        backend.create_experiment(name)
    with pytest.raises(NotFoundError):
        backend.get_experiment(uuid.uuid4().hex)


def test_runs_and_logging(backend: HttpBackend) -> None:
    experiment = backend.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")
    parent = backend.create_run(experiment.experiment_id, run_name="parent", tags={"t": "1"})
    assert parent.info.user_id == "tester"
    child = backend.create_run(experiment.experiment_id, parent_run_id=parent.info.run_id)
    assert child.info.parent_run_id == parent.info.run_id
    run_id = parent.info.run_id

    points = [Metric("loss", 1.0 / (i + 1), 1000 + i, i) for i in range(500)]
    points += [Metric("odd", math.nan, 1, 0), Metric("odd", math.inf, 2, 1)]
    points += [Metric("odd", -math.inf, 3, 2)]
    backend.log_batch(
        run_id, metrics=points, params=[Param("lr", "0.1")], tags=[RunTag("phase", "fit")]
    )
    history = backend.get_metric_history(run_id, "loss")
    assert history == points[:500]
    odd = [p.value for p in backend.get_metric_history(run_id, "odd")]
    assert math.isnan(odd[0])
    assert odd[1:] == [math.inf, -math.inf]
    assert len(backend.get_metric_history(run_id, "loss", max_points=20)) <= 20
    assert backend.list_metric_keys(run_id) == ["loss", "odd"]

    run = backend.get_run(run_id)
    assert run.data.params == {"lr": "0.1"}
    assert run.data.tags["phase"] == "fit"
    assert run.data.metrics["odd"] == -math.inf
    with pytest.raises(ConflictError):
        backend.log_batch(run_id, params=[Param("lr", "0.2")])
    with pytest.raises(InvalidArgumentError):
        backend.log_batch(run_id, metrics=[Metric("../bad", 1.0, 1, 0)])

    backend.delete_tag(run_id, "phase")
    assert "phase" not in backend.get_run(run_id).data.tags
    info = backend.update_run(run_id, status="FINISHED")
    assert info.status is RunStatus.FINISHED
    assert info.end_time is not None

    page = backend.search_runs(
        [experiment.experiment_id], "params.lr = '0.1'", ["metrics.loss"], "active_only", 10, None
    )
    assert [r.info.run_id for r in page.runs] == [run_id]
    backend.delete_run(child.info.run_id)
    deleted = backend.search_runs([experiment.experiment_id], None, None, "deleted_only", 10, None)
    assert [r.info.run_id for r in deleted.runs] == [child.info.run_id]
    backend.restore_run(child.info.run_id)
    with pytest.raises(InvalidArgumentError, match="position"):
        backend.search_runs(None, "metrics.loss >", None, "active_only", 10, None)
    with pytest.raises(NotFoundError):
        backend.get_run(uuid.uuid4().hex)


def test_artifacts(backend: HttpBackend, tmp_path: Path) -> None:
    experiment = backend.create_experiment(f"exp-{uuid.uuid4().hex[:8]}")
    run_id = backend.create_run(experiment.experiment_id).info.run_id
    source = tmp_path / "model"
    (source / "sub").mkdir(parents=True)
    (source / "weights.bin").write_bytes(os.urandom(3 << 20))
    (source / "sub" / "config.json").write_text('{"layers": 3}')
    stored = backend.log_artifact(run_id, source, "outputs")
    assert stored == ["outputs/sub/config.json", "outputs/weights.bin"]
    assert backend.log_artifact_bytes(run_id, "notes/readme.txt", b"hello") == "notes/readme.txt"
    single = tmp_path / "single.txt"
    single.write_text("one")
    assert backend.log_artifact(run_id, single) == ["single.txt"]

    top = backend.list_artifacts(run_id)
    assert [(e.path, e.is_dir) for e in top] == [
        ("notes", True),
        ("outputs", True),
        ("single.txt", False),
    ]
    downloaded = backend.download_artifacts(run_id, "outputs", tmp_path / "download")
    assert downloaded == tmp_path / "download" / "outputs"
    assert (downloaded / "weights.bin").read_bytes() == (source / "weights.bin").read_bytes()
    assert (downloaded / "sub" / "config.json").read_text() == '{"layers": 3}'
    file_only = backend.download_artifacts(run_id, "notes/readme.txt", tmp_path / "one")
    assert file_only.read_bytes() == b"hello"
    everything = backend.download_artifacts(run_id, None, tmp_path / "all")
    assert (everything / "single.txt").read_text() == "one"

    with pytest.raises(InvalidArgumentError):
        backend.log_artifact_bytes(run_id, "../outside.txt", b"x")
    with pytest.raises(InvalidArgumentError):
        backend.log_artifact(run_id, tmp_path / "missing")
    with pytest.raises(NotFoundError):
        backend.download_artifacts(run_id, "nothing/here", tmp_path / "none")


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
    try:
        run_id = backend.create_run(backend.get_or_create_experiment("retries").experiment_id)
        points = [Metric("loss", float(i), i, i) for i in range(100)]
        backend.log_batch(run_id.info.run_id, metrics=points)
        assert transport.lost == 1
        assert backend.get_metric_history(run_id.info.run_id, "loss") == points
    finally:
        backend.close()
