"""Labels of any type against predictions of any type, through every door.

Labels int / float (whole, with a gap: a CSV column with an empty cell) / bool / string
("0"/"1") against predictions int / float, through the engine (realized metrics and CBPE), the
SDK, ``mlsteward monitor performance`` and a monitor's performance check: every combination
scores the same rows with the same metrics as plain ints do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import mlsteward
import mlsteward.monitoring as mon
from mlsteward.engines.drift import CBPE, Chunker, realized_performance
from mlsteward.interfaces.sdk.tracking_uri import close_backends

from .conftest import Cli

N = 300
GAP = 7  # the float labels' missing cell

LABELS: dict[str, Callable[[np.ndarray], pd.Series]] = {
    "int": lambda y: pd.Series(y, dtype="int64"),
    "float": lambda y: pd.Series(np.where(np.arange(y.size) == GAP, np.nan, y), dtype=float),
    "bool": lambda y: pd.Series(y.astype(bool)),
    "str": lambda y: pd.Series(y.astype(str)),
}
PREDICTIONS: dict[str, Callable[[np.ndarray], pd.Series]] = {
    "int": lambda p: pd.Series(p, dtype="int64"),
    "float": lambda p: pd.Series(p, dtype=float),
}
COMBINATIONS = [(label, pred) for label in LABELS for pred in PREDICTIONS]


def _table(seed: int, label_type: str, pred_type: str, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    proba = 1.0 / (1.0 + np.exp(-3.0 * x))
    y = (rng.random(n) < proba).astype(int)
    return pd.DataFrame(
        {
            "id": np.arange(n) + seed * 10_000,
            "x": x,
            "proba": proba,
            "pred": PREDICTIONS[pred_type]((proba >= 0.5).astype(int)),
            "label": LABELS[label_type](y),
        }
    )


def _expected(frame: pd.DataFrame) -> dict[str, float]:
    """sklearn's metrics on the labelled rows, labels as ints."""
    rows = frame[frame["label"].notna()]
    y = rows["label"].map(lambda v: int(float(v))).to_numpy()
    p = rows["pred"].astype(int).to_numpy()
    return {
        "accuracy": skm.accuracy_score(y, p),
        "f1": skm.f1_score(y, p),
        "roc_auc": skm.roc_auc_score(y, rows["proba"]),
    }


def _n_labelled(label_type: str) -> int:
    return N - 1 if label_type == "float" else N


def _check(realized: dict[str, Any], expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert realized[name] == pytest.approx(value), name


@pytest.mark.parametrize(("label_type", "pred_type"), COMBINATIONS)
@pytest.mark.parametrize("classes", [None, [0, 1], ["0", "1"]])
def test_engine_realized_metrics(
    label_type: str, pred_type: str, classes: list[object] | None
) -> None:
    data = _table(1, label_type, pred_type)
    report = realized_performance(
        data,
        task="binary",
        target="label",
        prediction="pred",
        scores="proba",
        classes=classes,
        chunker=Chunker(size=100),
    )
    assert report.whole.n_rows == _n_labelled(label_type)
    _check(report.whole.metrics, _expected(data))
    assert sum(c.n_rows for c in report.chunks) == report.whole.n_rows
    if label_type == "float":
        assert report.whole.dropped == {"missing label": 1}
        assert report.messages == ("1 row dropped: missing label",)
        assert report.chunks[0].message == "1 row dropped: missing label"
    else:
        assert report.whole.n_dropped == 0 and report.messages == ()


@pytest.mark.parametrize(("label_type", "pred_type"), COMBINATIONS)
@pytest.mark.parametrize("classes", [None, [0, 1], ["0", "1"]])
def test_engine_cbpe(label_type: str, pred_type: str, classes: list[object] | None) -> None:
    reference = _table(2, label_type, pred_type, n=600)
    current = _table(3, label_type, pred_type)
    estimator = CBPE(
        task="binary",
        y_true="label",
        y_pred_proba="proba",
        y_pred="pred",
        classes=classes,
        chunker=Chunker(size=150),
        n_simulations=50,
    ).fit(reference)
    report = estimator.estimate(current)
    assert report.classes == ("0", "1")
    assert report.whole.n_rows == N and report.whole.n_dropped == 0
    for chunk in report.chunks:
        accuracy = chunk.metric("accuracy")
        assert accuracy.estimate is not None and accuracy.lower is not None
        assert accuracy.alert_lower is not None and accuracy.realized is not None
    whole = {m.metric: m.realized for m in report.whole.metrics}
    _check(whole, _expected(current))
    if label_type == "float":
        assert "reference: 1 row dropped: missing label" in report.messages
        assert "realized metrics: 1 row dropped: missing label" in report.messages
    else:
        assert not any("dropped" in m for m in report.messages)
    json.dumps(report.to_dict(), allow_nan=False)


def test_bool_classes_match_bool_and_int_labels() -> None:
    reference = _table(2, "bool", "int", n=600)
    current = _table(3, "int", "float")
    estimator = CBPE(
        task="binary",
        y_true="label",
        y_pred_proba="proba",
        y_pred="pred",
        classes=[False, True],
    )
    report = estimator.fit(reference).estimate(current)
    assert report.classes == ("0", "1") and report.whole.n_rows == N
    _check({m.metric: m.realized for m in report.whole.metrics}, _expected(current))


def _late_label_inputs(
    label_type: str, pred_type: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    current = _table(3, label_type, pred_type)
    reference = _table(2, label_type, pred_type, n=600)
    return current.drop(columns=["label"]), current[["id", "label"]], reference


@pytest.mark.parametrize(("label_type", "pred_type"), COMBINATIONS)
def test_sdk_late_label_performance(label_type: str, pred_type: str) -> None:
    predictions, labels, reference = _late_label_inputs(label_type, pred_type)
    perf = mon.late_label_performance(
        predictions,
        labels,
        id_column="id",
        task="binary",
        prediction="pred",
        scores="proba",
        reference=reference,
        chunk_by=100,
    )
    assert perf.realized.whole.n_rows == _n_labelled(label_type)
    _check(perf.realized.whole.metrics, _expected(predictions.assign(label=labels["label"])))
    assert perf.estimated is not None and perf.estimated.whole.n_rows == N
    assert perf.estimated.classes == ("0", "1")
    assert not any("none of the classes" in m for m in perf.messages)
    assert all(w["estimated"]["accuracy"]["estimate"] is not None for w in perf.windows())


def _files(tmp_path: Path, label_type: str, pred_type: str) -> dict[str, str]:
    """Parquet files, which keep each column's type as it was written."""
    predictions, labels, reference = _late_label_inputs(label_type, pred_type)
    paths = {"preds": tmp_path / "preds.parquet", "labels": tmp_path / "labels.parquet"}
    paths["reference"] = tmp_path / "reference.parquet"
    predictions.to_parquet(paths["preds"])
    labels.to_parquet(paths["labels"])
    reference.to_parquet(paths["reference"])
    read_back = pd.read_parquet(paths["labels"])["label"]
    assert pd.api.types.infer_dtype(read_back) == pd.api.types.infer_dtype(labels["label"])
    return {k: str(v) for k, v in paths.items()}


@pytest.mark.parametrize(("label_type", "pred_type"), COMBINATIONS)
def test_cli_monitor_performance(cli: Cli, tmp_path: Path, label_type: str, pred_type: str) -> None:
    files = _files(tmp_path, label_type, pred_type)
    args = ["monitor", "performance", files["preds"], files["labels"], "--id-column", "id"]
    args += ["--task", "binary", "--prediction", "pred", "--proba", "proba"]
    args += ["--reference", files["reference"], "--chunk-size", "100"]
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["realized"]["whole"]["n_rows"] == _n_labelled(label_type)
    expected = _expected(_table(3, label_type, pred_type))
    _check(doc["realized"]["whole"]["metrics"], expected)
    assert [w["n_scored"] for w in doc["windows"]] == [w["n_labelled"] for w in doc["windows"]]
    assert all(w["estimated"]["accuracy"]["estimate"] is not None for w in doc["windows"])
    # With the classes named on the command line (always text there).
    result = cli(*args, "--class", "0", "--class", "1", "--metric", "accuracy")
    assert result.exit_code == 0, result.output
    assert "none of the classes" not in result.output
    if label_type == "float":  # the gap: the reference's row is dropped, the label ignored
        assert "reference: 1 row dropped: missing label" in result.output
        assert "1 label row(s) without a value ignored" in result.output
    else:
        assert "dropped" not in result.output
    assert "est. [band]" in result.output and "alert lower" in result.output


@pytest.fixture
def local(tmp_path: Path) -> Any:
    mlsteward.set_tracking_uri(f"sqlite:///{tmp_path / 'sdk.db'}")
    yield
    close_backends()


@pytest.mark.parametrize(("label_type", "pred_type"), COMBINATIONS)
def test_monitor_performance_check(
    local: None, tmp_path: Path, label_type: str, pred_type: str
) -> None:
    files = _files(tmp_path, label_type, pred_type)
    mon.build_reference_profile(_table(2, "int", "int", n=600)[["x", "proba"]], "ref")
    mon.create_monitor(
        "labels",
        target=files["preds"],
        profile="ref",
        chunking={"size": 100},
        performance={
            "task": "binary",
            "id_column": "id",
            "prediction": "pred",
            "scores": "proba",
            "labels": files["labels"],
            "reference": files["reference"],
            "bounds": {"accuracy": 0.5},
            "min_labels": 10,
        },
    )
    run = mon.run_monitor("labels")["run"]
    perf = run.summary["performance"]
    assert "error" not in perf, perf
    assert perf["n_labelled"] == _n_labelled(label_type)
    assert [w["n_scored"] for w in perf["windows"]] == [w["n_labelled"] for w in perf["windows"]]
    assert perf["estimated"] is True
    # Window by window, the realized accuracy is sklearn's on that window's labelled rows.
    current = _table(3, label_type, pred_type)
    for i, window in enumerate(perf["windows"]):
        part = current.iloc[i * 100 : (i + 1) * 100]
        assert window["realized"]["accuracy"] == pytest.approx(_expected(part)["accuracy"])
        assert window["estimated"]["accuracy"]["estimate"] is not None
    assert "none of the classes" not in (run.message or "")
