"""Rollouts on a running data plane: the canary's share of traffic within binomial bounds,
automatic rollback of a canary that fails or whose predictions drift (and the data plane
following the rollback), shadow copies whose answers are logged but never returned, and
promotion of a healthy candidate that the data plane then serves.

Each test has its own deployment following its own alias of ``roll``: version 1 and 2 are
the same logistic regression, 3 raises on any request of more than three rows (its warm-up
on the three-row example passes), 4 always predicts class 1.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import httpx
import numpy as np
import pyarrow.compute as pc
import pytest
from scipy.stats import binom
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.interfaces.sdk import fluent
from mlsteward.models import log_model
from mlsteward.services.predictions import PredictionLogReader

from .conftest import X, Y, serving

cloudpickle.register_pickle_by_value(sys.modules[__name__])
BODY = {
    "inputs": [{"name": "x", "shape": [8, 4], "datatype": "FP32", "data": X[:8].ravel().tolist()}]
}
FAST = {"interval_s": 0.0, "min_requests": 20}


class FailsOnBatches:
    """Answers its three-row warm-up, raises on anything larger: a broken candidate."""

    input_kind = "array"

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) > 3:
            raise RuntimeError("this candidate is broken")
        return np.zeros(len(x), dtype=np.int64)


class AlwaysOne:
    """Predicts class 1 for every row: a candidate whose predictions drift."""

    input_kind = "array"

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.ones(len(x), dtype=np.int64)


@dataclass(frozen=True)
class RollStore:
    uri: str
    home: Path
    model: LogisticRegression

    @property
    def log_root(self) -> str:
        return str(Path(self.uri) / "artifacts" / "predictions")

    def client(self) -> mlsteward.Client:
        return mlsteward.Client(self.uri)


@pytest.fixture(scope="module")
def roll(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RollStore]:
    root = tmp_path_factory.mktemp("rollouts")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_HOME", str(root / "home"))
        for name in ("MLSTEWARD_TRACKING_URI", "MLSTEWARD_ARTIFACTS_URI", "MLSTEWARD_USER"):
            patch.delenv(name, raising=False)
        fluent.reset()
        uri = str(root / "store")
        mlsteward.set_tracking_uri(uri)
        model = LogisticRegression().fit(X, Y)
        try:
            for candidate in (model, model, FailsOnBatches(), AlwaysOne()):
                with mlsteward.start_run():
                    info = log_model(candidate, "model", input_example=X[:3])
                mlsteward.register_model(info.model_uri, "roll")
            yield RollStore(uri, root / "home", model)
        finally:
            mlsteward.set_tracking_uri(None)
            fluent.reset()


def _deploy(roll: RollStore, name: str) -> mlsteward.Client:
    client = roll.client()
    client.set_registered_model_alias("roll", name, 1)
    client.deployments.create(name, f"models:/roll@{name}", reason="test")
    return client


def _post(url: str, n: int, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    with httpx.Client(timeout=30.0) as http, ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: http.post(url, json=BODY, headers=headers), range(n)))


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _logged(roll: RollStore, name: str, route: str) -> Any:
    table = PredictionLogReader(roll.log_root).query(name, 0, int(time.time() * 1000) + 1)
    return table.filter(pc.equal(table["route"], route))


def _plan_serves(url: str, version: str) -> Callable[[], bool]:
    def check() -> bool:
        answers = _post(url, 8)
        return all(a.status_code == 200 and a.json()["model_version"] == version for a in answers)

    return check


def test_the_canary_gets_its_share_within_binomial_bounds(roll: RollStore) -> None:
    client = _deploy(roll, "split")
    client.deployments.rollout("split", 2, steps=[0.3, 1.0], reason="split test")
    n = 600
    with serving(roll, "split", "--plan-interval", "0.2") as plane:  # type: ignore[arg-type]
        answers = _post(f"{plane.url}/v2/models/split/infer", n)
        assert plane.terminate() == 0
    assert all(a.status_code == 200 for a in answers)
    versions = Counter(a.json()["model_version"] for a in answers)
    low, high = binom.ppf(1e-6, n, 0.3), binom.ppf(1 - 1e-6, n, 0.3)
    assert low <= versions["2"] <= high, versions
    assert versions["1"] + versions["2"] == n
    canary = _logged(roll, "split", "canary")
    assert canary.num_rows == versions["2"]
    assert set(canary["model_version"].to_pylist()) == {2}


def test_a_failing_canary_is_rolled_back_and_the_plane_follows(roll: RollStore) -> None:
    client = _deploy(roll, "failing")
    client.deployments.rollout("failing", 3, steps=[0.5, 1.0], criteria=FAST, reason="v3")
    with serving(roll, "failing", "--plan-interval", "0.2") as plane:  # type: ignore[arg-type]
        url = f"{plane.url}/v2/models/failing/infer"
        answers = _post(url, 60)
        failed = [a for a in answers if a.status_code == 500]
        assert failed and all(a.headers["x-prediction-id"] for a in failed)
        assert all(a.json()["model_version"] == "1" for a in answers if a.status_code == 200)
        _wait_for(lambda: _logged(roll, "failing", "canary").num_rows == len(failed), "the log")
        after = client.deployments.analyze("failing")
        assert after.rollout is not None and after.rollout.state == "rolled_back"
        assert after.rollout.evidence is not None
        assert after.rollout.evidence["candidate"]["errors"] == len(failed)
        _wait_for(_plan_serves(url, "1"), "the data plane to drop the canary")
    assert client.get_registered_model("roll").aliases["failing"] == 1


def test_a_canary_whose_predictions_drift_is_rolled_back(roll: RollStore) -> None:
    client = _deploy(roll, "drifting")
    client.deployments.rollout("drifting", 4, steps=[0.5, 1.0], criteria=FAST, reason="v4")
    with serving(roll, "drifting", "--plan-interval", "0.2") as plane:  # type: ignore[arg-type]
        answers = _post(f"{plane.url}/v2/models/drifting/infer", 100)
        assert all(a.status_code == 200 for a in answers)
        counts = Counter(a.json()["model_version"] for a in answers)
        _wait_for(
            lambda: (
                _logged(roll, "drifting", "canary").num_rows == counts["4"]
                and _logged(roll, "drifting", "stable").num_rows == counts["1"]
            ),
            "the log",
        )
    after = client.deployments.analyze("drifting")
    assert after.rollout is not None and after.rollout.state == "rolled_back"
    assert "predictions drifted" in after.rollout.message
    assert after.rollout.evidence["candidate"]["error_rate"] == 0.0  # type: ignore[index]


def test_shadow_answers_are_logged_never_returned_then_promoted(roll: RollStore) -> None:
    client = _deploy(roll, "shadowed")
    client.deployments.rollout("shadowed", 2, strategy="shadow", criteria=FAST, reason="v2")
    with serving(roll, "shadowed", "--plan-interval", "0.2") as plane:  # type: ignore[arg-type]
        url = f"{plane.url}/v2/models/shadowed/infer"
        answers = _post(url, 30)
        assert all(a.status_code == 200 for a in answers)
        assert {a.json()["model_version"] for a in answers} == {"1"}
        returned = {a.headers["x-prediction-id"] for a in answers}
        _wait_for(lambda: _logged(roll, "shadowed", "shadow").num_rows == 30, "shadow copies")
        shadow = _logged(roll, "shadowed", "shadow")
        assert set(shadow["model_version"].to_pylist()) == {2}
        assert set(shadow["status"].to_pylist()) == {200}
        assert returned.isdisjoint(shadow["prediction_id"].to_pylist())
        expected = roll.model.predict(X[:8]).tolist()
        record = PredictionLogReader(roll.log_root).get(shadow["prediction_id"][0].as_py())
        assert record is not None and next(iter(record.outputs.values())) == expected
        _wait_for(lambda: _logged(roll, "shadowed", "stable").num_rows == 30, "the log")
        promoted = client.deployments.analyze("shadowed")
        assert promoted.rollout is not None and promoted.rollout.state == "promoted"
        assert client.get_registered_model("roll").aliases["shadowed"] == 2
        _wait_for(_plan_serves(url, "2"), "the data plane to serve the promoted version")
