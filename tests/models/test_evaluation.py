"""evaluate and cross_validate: metrics equal scikit-learn's, intervals, slices, baseline,
plots and the records they leave in runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

import mlsteward
from mlsteward.engines.evaluation.metrics import (
    classification_metrics,
    encode,
    regression_metrics,
)
from mlsteward.models import cross_validate, evaluate, log_model

pytestmark = pytest.mark.usefixtures("tracking")

RNG = np.random.default_rng(5)


def test_binary_metrics_match_sklearn() -> None:
    truth = RNG.integers(0, 2, 500)
    score = np.clip(truth * 0.3 + RNG.uniform(0, 0.7, 500), 0, 1)
    predicted = (score > 0.5).astype(int)
    proba = np.column_stack([1 - score, score])
    got = classification_metrics(encode(truth, predicted, proba, [0, 1]))
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert got["precision"] == pytest.approx(skm.precision_score(truth, predicted))
    assert got["recall"] == pytest.approx(skm.recall_score(truth, predicted))
    assert got["f1"] == pytest.approx(skm.f1_score(truth, predicted))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(truth, score))
    assert got["log_loss"] == pytest.approx(skm.log_loss(truth, proba))


def test_multiclass_metrics_match_sklearn() -> None:
    truth = RNG.choice(["a", "b", "c"], 400)
    raw = RNG.uniform(size=(400, 3)) + 1.5 * (truth[:, None] == np.array(["a", "b", "c"]))
    proba = raw / raw.sum(axis=1, keepdims=True)
    predicted = np.array(["a", "b", "c"])[proba.argmax(axis=1)]
    got = classification_metrics(encode(truth, predicted, proba, ["a", "b", "c"]))
    assert got["precision"] == pytest.approx(skm.precision_score(truth, predicted, average="macro"))
    assert got["f1"] == pytest.approx(skm.f1_score(truth, predicted, average="macro"))
    assert got["roc_auc"] == pytest.approx(
        skm.roc_auc_score(truth, proba, multi_class="ovr", average="macro")
    )
    assert got["log_loss"] == pytest.approx(skm.log_loss(truth, proba, labels=["a", "b", "c"]))


def test_regression_metrics_match_sklearn() -> None:
    truth = RNG.normal(10, 3, 300)
    predicted = truth + RNG.normal(0, 1, 300)
    got = regression_metrics(truth, predicted)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(truth, predicted))
    assert got["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(truth, predicted)))
    assert got["r2"] == pytest.approx(skm.r2_score(truth, predicted))
    assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(truth, predicted))


def _classification_data() -> tuple[pd.DataFrame, np.ndarray]:
    data = pd.DataFrame(
        {
            "x1": RNG.normal(size=400),
            "x2": RNG.normal(size=400),
            "segment": RNG.choice(["a", "b"], 400),
        }
    )
    target = (data["x1"] + 0.5 * RNG.normal(size=400) > 0).astype(int).to_numpy()
    return data, target


def test_evaluate_logs_metrics_intervals_slices_baseline_and_plots() -> None:
    data, target = _classification_data()
    features = data[["x1", "x2"]]
    model = LogisticRegression().fit(features, target)
    baseline = DummyClassifier(strategy="most_frequent").fit(features, target)
    with mlsteward.start_run() as run:
        info = log_model(model, "model", input_example=features.head(5))
        result = evaluate(
            info.model_uri,
            data.assign(label=target),
            "label",
            baseline=baseline,
            slices=["segment"],
            resamples=100,
        )
    assert result.rows == 400
    low, high = result.intervals["accuracy"]
    assert low is not None and high is not None
    assert low <= result.metrics["accuracy"] <= high
    assert result.confusion_matrix is not None and np.sum(result.confusion_matrix) == 400
    assert {s["value"] for s in result.slices} == {"a", "b"}
    assert result.baseline is not None
    assert result.baseline["improved"]["accuracy"] is True
    assert result.baseline["delta_intervals"]["accuracy"][0] > 0
    stored = mlsteward.get_run(run.info.run_id).data.metrics
    assert stored["accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert "accuracy_ci_low" in stored and "delta/accuracy" in stored
    assert "slice/segment:a/accuracy" in stored
    files = {e.path for e in mlsteward.Client().list_artifacts(run.info.run_id, "evaluation")}
    assert "evaluation/results.json" in files
    pytest.importorskip("matplotlib")
    assert {
        "evaluation/roc.png",
        "evaluation/precision_recall.png",
        "evaluation/calibration.png",
    } <= files


def test_regression_evaluation_and_residual_plot() -> None:
    x = RNG.normal(size=(200, 2))
    y = x @ np.array([2.0, -1.0]) + RNG.normal(0, 0.1, 200)
    model = LinearRegression().fit(x, y)
    with mlsteward.start_run() as run:
        result = evaluate(model, x, y, task="regression", resamples=50)
    assert result.metrics["r2"] is not None and result.metrics["r2"] > 0.95
    assert set(result.metrics) == {"mae", "rmse", "r2", "mape"}
    payload = mlsteward.Client().download_artifacts(run.info.run_id, "evaluation/results.json")
    with open(payload) as handle:
        assert json.load(handle)["task"] == "regression"
    if result.notes:
        assert "matplotlib" in result.notes[0]
    else:
        assert "evaluation/residuals.png" in result.artifacts


def test_plots_skipped_with_a_note_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsteward.interfaces.sdk.models import evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "plots_available", lambda: False)
    x = RNG.normal(size=(50, 2))
    model = LinearRegression().fit(x, x[:, 0])
    result = evaluate(model, x, x[:, 0], task="regression", resamples=0, log=False)
    assert result.notes == ["plots skipped: matplotlib is not installed (mlsteward[plots])"]
    assert result.artifacts == []


def test_bad_evaluation_input_is_refused() -> None:
    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(mlsteward.InvalidArgumentError, match="task must be"):
        evaluate(model, np.eye(4), [0, 1, 0, 1], task="ranking", log=False)  # type: ignore[arg-type]
    with pytest.raises(mlsteward.InvalidArgumentError, match="not one of the model's classes"):
        evaluate(model, np.eye(4), [0, 1, 0, 7], log=False)
    with pytest.raises(mlsteward.InvalidArgumentError, match="Slice column 'nope'"):
        evaluate(model, pd.DataFrame(np.eye(4)), [0, 1, 0, 1], slices=["nope"], log=False)


def test_cross_validate_logs_each_fold_as_a_nested_run() -> None:
    data, target = _classification_data()
    features = data[["x1", "x2"]]
    with mlsteward.start_run() as parent:
        result = cross_validate(LogisticRegression(), features, target, folds=3, log_models=True)
    assert len(result.folds) == 3 and result.parent_run_id == parent.info.run_id
    for number, run_id in enumerate(result.fold_run_ids, start=1):
        run = mlsteward.get_run(run_id)
        assert run.info.run_name == f"fold-{number}"
        assert run.info.parent_run_id == parent.info.run_id
        assert run.data.params["fold"] == str(number)
        assert "accuracy" in run.data.metrics
        assert any(e.path == "model" for e in mlsteward.Client().list_artifacts(run_id))
    metrics = mlsteward.get_run(parent.info.run_id).data.metrics
    assert metrics["cv/accuracy_mean"] == pytest.approx(result.mean["accuracy"])
    assert "cv/accuracy_std" in metrics
