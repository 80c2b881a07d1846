"""Rows left out are counted and said, never silently: per reason, per window, and an empty
window says why it is empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.drift import CBPE, Chunker, realized_performance
from mlsteward.engines.drift.label_values import LabelValueError
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import create_monitor, profile_from, save_profile
from mlsteward.services.monitoring.late_labels import late_label_performance

from .perf_data import predictions


def test_labels_outside_the_classes_are_counted_per_chunk() -> None:
    data = predictions(300, seed=1).astype({"label": object})
    data.loc[data.index[::10], "label"] = "yes"
    report = realized_performance(
        data,
        task="binary",
        target="label",
        prediction="pred",
        classes=[0, 1],
        chunker=Chunker(size=100),
    )
    assert report.whole.n_rows == 270 and report.whole.n_dropped == 30
    assert report.whole.dropped == {"label not one of the classes [0, 1]": 30}
    assert report.messages == ("30 rows dropped: label not one of the classes [0, 1]",)
    assert [c.message for c in report.chunks] == [
        "10 rows dropped: label not one of the classes [0, 1]"
    ] * 3


def test_a_window_with_no_row_left_says_why() -> None:
    data = predictions(200, seed=2)
    data["label"] = np.where(data["label"] == 1, "yes", "no")
    data.loc[:49, "pred"] = np.nan
    report = realized_performance(
        data,
        task="binary",
        target="label",
        prediction="pred",
        classes=[0, 1],
        chunker=Chunker(size=100),
    )
    assert report.whole.n_rows == 0
    assert all(v is None for v in report.whole.metrics.values())
    assert report.messages == (
        "no row left to score: every metric is empty",
        "200 rows dropped: label not one of the classes [0, 1]",
    )
    assert report.chunks[0].message == (
        "no row to score; 100 rows dropped: label not one of the classes [0, 1]"
    )
    # Counted under the first reason only: the rows add up.
    good = predictions(100, seed=3).astype({"pred": float})
    good.loc[:4, "pred"] = np.nan
    good.loc[:1, "label"] = -1
    partial = realized_performance(
        good, task="binary", target="label", prediction="pred", classes=[0, 1]
    )
    assert partial.whole.dropped == {
        "label not one of the classes [0, 1]": 2,
        "missing prediction": 3,
    }
    assert partial.whole.n_dropped == 5 and partial.whole.n_rows == 95


def test_regression_counts_missing_values() -> None:
    data = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0], "p": [1.5, 2.0, np.nan, 4.0]})
    report = realized_performance(data, task="regression", target="y", prediction="p")
    assert report.whole.n_rows == 2
    assert report.messages == ("1 row dropped: missing label", "1 row dropped: missing prediction")


def test_cbpe_counts_what_it_cannot_estimate() -> None:
    reference = predictions(600, seed=4).astype({"label": float})
    reference.loc[:9, "label"] = np.nan
    current = predictions(300, seed=5).astype({"pred": object})
    current.loc[:99, "proba"] = np.nan  # the first chunk has no probabilities at all
    current.loc[100:104, "pred"] = "maybe"
    estimator = CBPE(
        task="binary",
        y_true="label",
        y_pred_proba="proba",
        y_pred="pred",
        classes=[0, 1],
        chunker=Chunker(size=100),
        n_simulations=20,
    ).fit(reference)
    report = estimator.estimate(current.drop(columns=["label"]))
    first, second, _ = report.chunks
    assert first.n_rows == 0 and first.metric("accuracy").estimate is None
    assert first.message == "no row to estimate; 100 rows dropped: missing probability"
    assert second.n_rows == 95 and second.n_dropped == 5
    assert second.dropped == {"prediction not one of the classes [0, 1]": 5}
    assert report.whole.n_rows == 195
    assert report.messages == (
        "reference: 10 rows dropped: missing label",
        "100 rows dropped: missing probability",
        "5 rows dropped: prediction not one of the classes [0, 1]",
    )
    everything_gone = current.assign(proba=np.nan).drop(columns=["label"])
    empty = estimator.estimate(everything_gone)
    assert empty.whole.n_rows == 0
    assert empty.messages[0] == "no row left to estimate: every estimate is empty"


def test_cbpe_refuses_a_reference_without_usable_rows() -> None:
    reference = predictions(100, seed=6).assign(label=np.nan)
    with pytest.raises(ValueError, match=r"no reference row .*100 rows dropped: missing label"):
        CBPE(task="binary", y_true="label", y_pred_proba="proba", classes=[0, 1]).fit(reference)


def test_cbpe_multiclass_with_float_labels_and_text_keys() -> None:
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(900, 3)) * 2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random((900, 1)) > np.cumsum(p, axis=1)).sum(axis=1).astype(float)
    data = pd.DataFrame({"y": y, "a": p[:, 0], "b": p[:, 1], "c": p[:, 2]})
    data["pred"] = p.argmax(axis=1)
    estimator = CBPE(
        task="multiclass", y_true="y", y_pred_proba={"0": "a", "1": "b", "2": "c"}, y_pred="pred"
    )
    report = estimator.fit(data[:600]).estimate(data[600:])
    assert report.classes == ("0", "1", "2") and report.whole.n_rows == 300
    accuracy = report.whole.metric("accuracy")
    assert accuracy.realized == pytest.approx(float((data["pred"][600:] == y[600:]).mean()))


def test_fractional_labels_are_an_error_naming_the_column() -> None:
    data = predictions(50, seed=8)
    with pytest.raises(LabelValueError, match="'proba' holds"):
        realized_performance(data, task="binary", target="proba", prediction="pred")
    labels = data[["id"]].assign(label=data["proba"])
    with pytest.raises(InvalidArgumentError, match="the column 'label' holds"):
        late_label_performance(
            data.drop(columns=["label"]), labels, id_column="id", task="binary", prediction="pred"
        )


def test_late_labels_say_what_the_realized_metrics_left_out() -> None:
    data = predictions(200, seed=9).astype({"pred": float})
    data.loc[:9, "pred"] = np.nan
    perf = late_label_performance(
        data.drop(columns=["label"]),
        data[["id", "label"]][:150],
        id_column="id",
        task="binary",
        prediction="pred",
        classes=[0, 1],
        chunk_by=100,
    )
    assert "realized metrics: 10 rows dropped: missing prediction" in perf.messages
    assert not any("missing label" in m for m in perf.messages)  # that is coverage
    first, second = perf.windows()
    assert first["notes"] == ["realized metrics: 10 rows dropped: missing prediction"]
    assert second["notes"] == [] and second["n_scored"] == 50


def test_monitor_classes_are_compared_as_labels(ctx: ServiceContext, tmp_path: Path) -> None:
    current = predictions(200, seed=10)
    save_profile(ctx, profile_from(current[["x", "proba"]]), "ref")
    current.to_csv(tmp_path / "preds.csv", index=False)
    config = {
        "task": "binary",
        "id_column": "id",
        "prediction": "pred",
        "labels": str(tmp_path / "preds.csv"),
    }
    with pytest.raises(InvalidArgumentError, match="distinct"):
        create_monitor(
            ctx,
            "m",
            str(tmp_path / "preds.csv"),
            "ref",
            performance={**config, "classes": [1, "1"]},
        )
    multiclass = {**config, "task": "multiclass", "scores": {"0": "p0", "1": "p1", "2": "p2"}}
    with pytest.raises(InvalidArgumentError, match="must be the same"):
        create_monitor(
            ctx,
            "m",
            str(tmp_path / "preds.csv"),
            "ref",
            performance={**multiclass, "classes": [0, 1, 3]},
        )
    created = create_monitor(
        ctx,
        "m",
        str(tmp_path / "preds.csv"),
        "ref",
        performance={**multiclass, "classes": [0, 1, 2]},
    )
    assert created.performance is not None and created.performance["classes"] == [0, 1, 2]
