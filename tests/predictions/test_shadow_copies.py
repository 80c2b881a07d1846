"""A real data plane's shadow copies name the request they copied: each shadow record's
``shadow_of`` is the prediction ID the client received for that request."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cloudpickle
import httpx
import numpy as np
import pyarrow.compute as pc
import pytest
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.interfaces.sdk import fluent
from mlsteward.models import log_model
from mlsteward.storage.prediction_log import PredictionLogReader, record_of
from mlsteward.testing.server_process import free_port

cloudpickle.register_pickle_by_value(sys.modules[__name__])
RNG = np.random.default_rng(3)
X = RNG.normal(size=(120, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def _data_plane(target: str, uri: str, home: Path, log: Path) -> Iterator[str]:
    """``mlsteward serve target`` on a free port; stopped by its PID."""
    port = free_port()
    env = {**os.environ, "MLSTEWARD_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("MLSTEWARD_TRACKING_URI", None)
    args = ["serve", target, "--tracking-uri", uri, "--plan-interval", "0.2", "--port", str(port)]
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlsteward", *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.TransportError):
                return httpx.get(f"{url}/v2/health/ready", timeout=2.0).status_code == 200
            return False

        _wait_for(ready, "the data plane")
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(15)


@pytest.mark.slow
def test_a_shadow_record_names_the_prediction_the_client_received(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("MLSTEWARD_HOME", str(home))
    for name in ("MLSTEWARD_TRACKING_URI", "MLSTEWARD_ARTIFACTS_URI", "MLSTEWARD_USER"):
        monkeypatch.delenv(name, raising=False)
    fluent.reset()
    uri = str(tmp_path / "store")
    mlsteward.set_tracking_uri(uri)
    try:
        for c in (1.0, 0.1):
            with mlsteward.start_run():
                info = log_model(LogisticRegression(C=c).fit(X, Y), "model", input_example=X[:3])
            mlsteward.register_model(info.model_uri, "clf")
    finally:
        mlsteward.set_tracking_uri(None)
        fluent.reset()
    client = mlsteward.Client(uri)
    client.set_registered_model_alias("clf", "live", 1)
    client.deployments.create("live", "models:/clf@live", reason="test")
    criteria = {"interval_s": 0.0, "min_requests": 1_000}
    client.deployments.rollout("live", 2, strategy="shadow", criteria=criteria, reason="v2")
    body = {"inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP32", "data": []}]}
    root = str(Path(uri) / "artifacts" / "predictions")
    received = []
    with _data_plane("live", uri, home, tmp_path / "serve.log") as url:
        with httpx.Client(timeout=30.0) as http:
            for start in range(0, 15, 3):
                body["inputs"][0]["data"] = X[start : start + 3].ravel().tolist()
                answer = http.post(f"{url}/v2/models/live/infer", json=body)
                assert answer.status_code == 200, answer.text
                received.append(answer.headers["x-prediction-id"])

        def shadows() -> list[dict[str, object]]:
            table = PredictionLogReader(root).query("live", 0, int(time.time() * 1000) + 1)
            return table.filter(pc.equal(table["route"], "shadow")).to_pylist()

        _wait_for(lambda: len(shadows()) == len(received), "the shadow copies in the log")
    records = [record_of(row) for row in shadows()]
    assert sorted(r.shadow_of for r in records) == sorted(received)  # type: ignore[type-var]
    assert {r.model_version for r in records} == {2}
    assert not set(received) & {r.prediction_id for r in records}
    by_copied = {r.shadow_of: r for r in records}
    reader = PredictionLogReader(root)
    for prediction_id in received:
        answered = reader.get(prediction_id, "live")
        assert answered is not None and answered.route == "stable"
        assert answered.shadow_of is None
        assert by_copied[prediction_id].inputs == answered.inputs  # the same request
