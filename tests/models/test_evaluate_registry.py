"""evaluate attaches its metrics to a registered version: gates and the model card read them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import mlsteward
from mlsteward import GateError
from mlsteward.domain.errors import ConflictError, NotFoundError
from mlsteward.models import EvaluationResult, evaluate, load_model, log_model

pytestmark = pytest.mark.usefixtures("tracking")

Data = tuple[pd.DataFrame, np.ndarray]


@pytest.fixture
def frame() -> Data:
    """Rows a linear model learns well: the label follows income, with some noise."""
    rng = np.random.default_rng(7)
    data = pd.DataFrame(
        {
            "income": rng.normal(50, 15, size=300),
            "tenure": rng.normal(5, 2, size=300),
            "region": rng.choice(["north", "south", "east"], size=300),
        }
    )
    noisy = data["income"] + rng.normal(0, 5, size=300)
    return data, (noisy > 50).astype(np.int64).to_numpy()


def _pipeline(c: float = 1.0) -> Pipeline:
    encode = ColumnTransformer([("region", OneHotEncoder(), ["region"])], remainder="passthrough")
    return Pipeline([("encode", encode), ("clf", LogisticRegression(C=c, max_iter=500))])


def _register(frame: Data, name: str = "churn", c: float = 1.0) -> int:
    """Train and log in a run of its own (no metrics in it), registered as a new version."""
    data, target = frame
    model = _pipeline(c).fit(data[:200], target[:200])
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=data[:5], registered_model_name=name)
    return int(info.registered_version.version)


def _approve_as_bob(name: str, version: int) -> None:
    bob = mlsteward.Client(mlsteward.get_tracking_uri(), user="bob")
    bob.approve_model_version(name, version, "checked the holdout numbers")


def _quick(model: object, frame: Data, **kwargs: Any) -> EvaluationResult:
    """Evaluate on the held-out rows, in the active run or in a run of its own."""
    data, target = frame
    if mlsteward.active_run() is not None:
        return evaluate(model, data[200:], target[200:], resamples=20, plots=False, **kwargs)
    with mlsteward.start_run(run_name="evaluation"):
        return evaluate(model, data[200:], target[200:], resamples=20, plots=False, **kwargs)


def test_thresholds_gate_passes_once_an_evaluation_is_attached(frame: Data) -> None:
    version = _register(frame)
    client = mlsteward.Client()
    client.set_acceptance_thresholds("churn", ["accuracy >= 0.75", "roc_auc >= 0.8"])
    client.protect_alias("churn", "production")
    with pytest.raises(GateError, match="has no metric 'accuracy'"):
        client.set_registered_model_alias("churn", "production", version)

    with mlsteward.start_run(run_name="holdout") as run:
        result = _quick(f"models:/churn/{version}", frame, slices=["region"])
    attached = client.get_model_version("churn", version).evaluation
    assert attached["accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert {"roc_auc_ci_low", "roc_auc_ci_high"} <= set(attached)
    assert any(key.startswith("slice/region:") for key in attached)
    assert mlsteward.Client().get_run(run.info.run_id).data.metrics["accuracy"] == pytest.approx(
        attached["accuracy"]
    )

    _approve_as_bob("churn", version)  # reviewed on the attached evaluation
    client.set_registered_model_alias("churn", "production", version)
    assert client.get_model_version_by_alias("churn", "production").version == version
    card = client.render_model_card("churn", version)
    assert "No evaluation is attached" not in card
    assert "Evaluation results" in card
    assert f"{attached['accuracy']:.6g}" in card


def test_loaded_model_from_an_alias_attaches_to_that_version(frame: Data) -> None:
    first, second = _register(frame), _register(frame, c=0.01)
    client = mlsteward.Client()
    client.set_registered_model_alias("churn", "champion", first)
    model = load_model("models:/churn@champion")
    _quick(model, frame)
    assert "accuracy" in client.get_model_version("churn", first).evaluation
    assert client.get_model_version("churn", second).evaluation == {}

    # The alias moves on; results of the model loaded before must not land on the new version.
    client.set_registered_model_alias("churn", "champion", second)
    with mlsteward.start_run() as run, pytest.raises(ConflictError, match="nothing was evaluated"):
        _quick(model, frame)
    assert client.get_model_version("churn", second).evaluation == {}
    assert client.get_run(run.info.run_id).data.metrics == {}


def test_model_version_names_the_version_explicitly(frame: Data) -> None:
    data, target = frame
    version = _register(frame)
    estimator = _pipeline().fit(data[:200], target[:200])
    _quick(estimator, frame, model_version=("churn", str(version)), metric_prefix="holdout/")
    attached = mlsteward.Client().get_model_version("churn", version).evaluation
    assert "holdout/accuracy" in attached and "accuracy" not in attached

    with mlsteward.start_run() as run, pytest.raises(NotFoundError):
        _quick(estimator, frame, model_version=("churn", 9))
    assert mlsteward.Client().get_run(run.info.run_id).data.metrics == {}


def test_model_version_must_match_the_loaded_files(frame: Data) -> None:
    first, second = _register(frame), _register(frame, c=0.01)
    model = load_model(f"models:/churn/{first}")
    with pytest.raises(ConflictError, match="logged at runs:/"):
        _quick(model, frame, model_version=("churn", second))
    assert mlsteward.Client().get_model_version("churn", second).evaluation == {}


def test_run_uris_and_unlogged_evaluations_attach_nothing(frame: Data) -> None:
    version = _register(frame)
    source = mlsteward.Client().get_model_version("churn", version).source
    _quick(source, frame)
    _quick(load_model(source), frame)
    _quick(f"models:/churn/{version}", frame, log=False)
    assert mlsteward.Client().get_model_version("churn", version).evaluation == {}
