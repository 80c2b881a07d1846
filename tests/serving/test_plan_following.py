"""Plan following: a data plane serving a deployment by name, reloading when its alias moves
with zero failed requests under load, and riding out a control plane that goes away."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from mlsteward.services.predictions import PredictionLogReader
from mlsteward.testing.server_process import ServerProcess, running_server

from .conftest import DataPlaneProcess, Store, X, serving

BODY = {
    "inputs": [{"name": "x", "shape": [8, 4], "datatype": "FP32", "data": X[:8].ravel().tolist()}]
}


class Load:
    """Threads posting inference requests until stopped; every answer is kept."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.threads = threads
        self.stop = threading.Event()
        self.answers: list[tuple[int, str | None, list[int] | None]] = []
        self._lock = threading.Lock()

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.post(self.url, json=BODY)
                except httpx.HTTPError as error:
                    self._keep((-1, repr(error), None))
                    continue
                if response.status_code != 200:
                    self._keep((response.status_code, response.text, None))
                    continue
                body = response.json()
                self._keep((200, body["model_version"], body["outputs"][0]["data"]))

    def _keep(self, answer: tuple[int, str | None, list[int] | None]) -> None:
        with self._lock:
            self.answers.append(answer)

    def versions(self) -> Counter[str | None]:
        with self._lock:
            return Counter(v for code, v, _ in self.answers if code == 200)

    def __enter__(self) -> Load:
        self._pool = ThreadPoolExecutor(self.threads)
        self._futures = [self._pool.submit(self._run) for _ in range(self.threads)]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for future in self._futures:
            future.result()
        self._pool.shutdown()


def _wait_for(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def champion_at_1(store: Store) -> Iterator[None]:
    store.client().set_registered_model_alias("clf", "champion", 1)
    yield
    store.client().set_registered_model_alias("clf", "champion", 1)


def _check_answers(store: Store, load: Load) -> None:
    failures = [a for a in load.answers if a[0] != 200]
    assert failures == []
    expected = {str(v): m.predict(X[:8]).tolist() for v, m in zip((1, 2), store.clf, strict=True)}
    for _, version, data in load.answers:
        assert data == expected[str(version)]


@pytest.mark.usefixtures("champion_at_1")
def test_moving_the_alias_reloads_with_zero_failed_requests(store: Store) -> None:
    with serving(store, "models:/clf@champion", "--plan-interval", "0.2", "--no-log") as plane:
        url = f"{plane.url}/v2/models/clf/infer"
        with Load(url) as load:
            _wait_for(lambda: load.versions()["1"] >= 20, "answers from version 1")
            store.client().set_registered_model_alias("clf", "champion", 2)
            _wait_for(lambda: load.versions()["2"] >= 50, "answers from version 2")
        meta = httpx.get(f"{plane.url}/v2/models/clf").json()
        assert meta["versions"] == ["2"]
    _check_answers(store, load)
    assert set(load.versions()) == {"1", "2"}


@pytest.mark.usefixtures("champion_at_1")
def test_serving_a_deployment_by_name(store: Store) -> None:
    client = store.client()
    client.deployments.create("clf-live", "models:/clf@champion", max_batch_size=8, reason="test")
    try:
        with serving(store, "clf-live", "--plan-interval", "0.2") as plane:
            for name in ("clf-live", "clf"):
                response = httpx.post(f"{plane.url}/v2/models/{name}/infer", json=BODY)
                assert response.status_code == 200, response.text
                assert response.json()["model_version"] == "1"
            prediction_id = response.headers["x-prediction-id"]
            with Load(f"{plane.url}/v2/models/clf-live/infer") as load:
                _wait_for(lambda: load.versions()["1"] >= 10, "answers from version 1")
                client.set_registered_model_alias("clf", "champion", 2)
                _wait_for(lambda: load.versions()["2"] >= 30, "answers from version 2")
            assert plane.terminate() == 0
        _check_answers(store, load)
        record = PredictionLogReader(store.log_root).get(prediction_id, "clf-live")
        assert record is not None
        assert (record.deployment, record.model_name, record.model_version) == (
            "clf-live",
            "clf",
            1,
        )
        assert record.route == "stable"
        assert np.allclose(record.inputs["input"], X[:8])
    finally:
        client.deployments.delete("clf-live", reason="test done")


def test_an_unknown_deployment_fails_fast(store: Store) -> None:
    plane = DataPlaneProcess(["no-such", "--tracking-uri", store.uri], store.home)
    plane.start(wait_ready=False)
    assert plane.process is not None
    assert plane.process.wait(60) == 1
    assert "no-such" in plane.output()


@pytest.mark.usefixtures("champion_at_1")
def test_the_data_plane_keeps_serving_while_the_control_plane_is_down(
    store: Store, tmp_path: Path
) -> None:
    client = store.client()
    client.deployments.create("clf-remote", "models:/clf@champion", reason="test")
    artifacts = str(Path(store.uri) / "artifacts")
    try:
        with running_server(store.uri, artifacts) as server:
            plane = DataPlaneProcess(
                ["clf-remote", "--tracking-uri", server, "--plan-interval", "0.2"],
                store.home,
                env={"MLSTEWARD_USER": "tester"},
            ).start()
            try:
                url = f"{plane.url}/v2/models/clf/infer"
                server.stop()
                with Load(url, threads=2) as load:
                    _wait_for(
                        lambda: load.versions()["1"] >= 30, "answers with the control plane down"
                    )
                    client.set_registered_model_alias("clf", "champion", 2)
                    time.sleep(1.0)  # several polls fail meanwhile; still version 1
                    assert set(load.versions()) == {"1"}
                    server.start()
                    _wait_for(lambda: load.versions()["2"] >= 20, "catching up with the alias")
            finally:
                plane.stop()
        _check_answers(store, load)
        assert "plan not applied" in plane.output()
    finally:
        client.deployments.delete("clf-remote", reason="test done")


@pytest.mark.usefixtures("champion_at_1")
def test_not_ready_until_the_control_plane_answers_and_the_model_is_warm(store: Store) -> None:
    client = store.client()
    client.deployments.create("clf-late", "models:/clf@champion", reason="test")
    server = ServerProcess(store.uri, str(Path(store.uri) / "artifacts"))
    plane = DataPlaneProcess(
        ["clf-late", "--tracking-uri", server.url, "--plan-interval", "0.2"],
        store.home,
        env={"MLSTEWARD_USER": "tester"},
    ).start(wait_ready=False)
    try:
        _wait_for(lambda: _get(f"{plane.url}/v2/health/live") == 200, "liveness")
        assert _get(f"{plane.url}/v2/health/ready") == 503
        response = httpx.post(f"{plane.url}/v2/models/clf/infer", json=BODY)
        assert response.status_code == 503
        assert "still loading" in response.json()["error"]
        assert _get(f"{plane.url}/ping") == 503
        with server:
            plane.wait_ready()
            assert httpx.post(f"{plane.url}/v2/models/clf/infer", json=BODY).status_code == 200
    finally:
        plane.stop()
        client.deployments.delete("clf-late", reason="test done")


def _get(url: str) -> int:
    try:
        return httpx.get(url).status_code
    except httpx.TransportError:
        return 0
