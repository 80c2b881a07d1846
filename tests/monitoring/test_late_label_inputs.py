"""Late labels as they really arrive: gaps, stray values, string classes, broken files.

Realized metrics are checked against scikit-learn on the labelled rows of each chunk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from typer.testing import CliRunner

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.main import app
from mlsteward.monitoring import late_label_performance
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    list_alerts,
    profile_from,
    run_monitor,
    save_profile,
)
from mlsteward.services.monitoring.late_labels import NO_REFERENCE

from .perf_data import predictions


def _sklearn_binary(rows: pd.DataFrame) -> dict[str, float]:
    y, p = rows["label"].astype(int), rows["pred"].astype(int)
    return {
        "accuracy": skm.accuracy_score(y, p),
        "precision": skm.precision_score(y, p),
        "recall": skm.recall_score(y, p),
        "f1": skm.f1_score(y, p),
        "roc_auc": skm.roc_auc_score(y, rows["proba"]),
    }


def test_labels_with_empty_cells_still_match_int_predictions(tmp_path: Path) -> None:
    """A CSV label column with a gap reads as 1.0/0.0; it must still be scored (as 1/0)."""
    current = predictions(900, seed=4)
    labels = current[["id", "label"]].astype({"label": float})
    labels.loc[labels.index[::4], "label"] = np.nan
    labels.to_csv(tmp_path / "labels.csv", index=False)
    read_back = pd.read_csv(tmp_path / "labels.csv")
    assert read_back["label"].dtype == np.float64
    perf = late_label_performance(
        current.drop(columns=["label"]),
        read_back,
        id_column="id",
        task="binary",
        prediction="pred",
        scores="proba",
        reference=predictions(1000, seed=5),
        chunk_by=300,
    )
    assert "225 label row(s) without a value ignored" in perf.messages
    assert NO_REFERENCE not in perf.messages
    labelled = current.assign(label=labels["label"].to_numpy()).dropna(subset=["label"])
    for i, window in enumerate(perf.windows()):
        rows = labelled[(labelled.index >= i * 300) & (labelled.index < (i + 1) * 300)]
        assert window["n_labelled"] == window["n_scored"] == len(rows)
        assert window["n_predictions"] == 300
        for metric, expected in _sklearn_binary(rows).items():
            assert window["realized"][metric] == pytest.approx(expected, abs=1e-12)
        assert window["estimated"]["accuracy"]["estimate"] is not None


def test_empty_label_does_not_replace_an_earlier_one() -> None:
    preds = pd.DataFrame({"id": [1, 2], "pred": [1, 0], "proba": [0.9, 0.1]})
    labels = pd.DataFrame({"id": [1, 1, 2], "label": [1.0, np.nan, 0.0]})
    perf = late_label_performance(preds, labels, id_column="id", task="binary", prediction="pred")
    assert perf.coverage[0].n_labelled == 2
    assert perf.realized.whole.metrics["accuracy"] == 1.0


def test_a_stray_label_value_in_a_binary_task_is_an_error_not_perfect_metrics() -> None:
    current = predictions(200, seed=6)
    labels = current[["id", "label"]].astype({"label": str})
    labels.loc[labels.index[::5], "label"] = "yes"
    with pytest.raises(InvalidArgumentError, match=r"two classes.*3: 0, 1, yes"):
        late_label_performance(
            current.drop(columns=["label"]),
            labels,
            id_column="id",
            task="binary",
            prediction="pred",
        )
    # With the classes named, the stray labels are left out and counted.
    perf = late_label_performance(
        current.drop(columns=["label"]),
        labels,
        id_column="id",
        task="binary",
        prediction="pred",
        classes=[0, 1],
    )
    assert perf.realized.whole.n_rows == 160
    assert any("40 label(s) are none of the classes" in m for m in perf.messages)
    kept = current[labels["label"].to_numpy() != "yes"]
    expected = skm.accuracy_score(kept["label"], kept["pred"])
    assert perf.realized.whole.metrics["accuracy"] == pytest.approx(expected)


def test_multiclass_scores_in_their_own_order_with_string_classes() -> None:
    """Probability columns follow the order of ``scores``, not the sorted class names."""
    rng = np.random.default_rng(7)
    names = np.array(["dog", "cat", "bird"])  # deliberately not sorted
    logits = rng.normal(size=(600, 3)) * 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(3, p=p) for p in proba])
    preds = pd.DataFrame({"id": range(600), "p_dog": proba[:, 0], "p_cat": proba[:, 1]})
    preds["p_bird"] = proba[:, 2]
    labelled = rng.random(600) < 0.7
    labels = pd.DataFrame({"id": np.arange(600)[labelled], "label": names[truth[labelled]]})
    perf = late_label_performance(
        preds,
        labels,
        id_column="id",
        task="multiclass",
        scores={"dog": "p_dog", "cat": "p_cat", "bird": "p_bird"},
        chunk_by=200,
    )
    for i, window in enumerate(perf.windows()):
        part = slice(i * 200, (i + 1) * 200)
        keep = labelled[part]
        y = names[truth[part][keep]]
        p = names[proba[part][keep].argmax(axis=1)]
        assert window["n_labelled"] == window["n_scored"] == int(keep.sum())
        realized = window["realized"]
        assert realized["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
        assert realized["f1"] == pytest.approx(skm.f1_score(y, p, average="macro"))
        by_name = proba[part][keep][:, [2, 1, 0]]  # bird, cat, dog: sklearn sorts classes
        auc = skm.roc_auc_score(y, by_name, multi_class="ovr")
        assert realized["roc_auc"] == pytest.approx(auc)


def test_int_classes_with_text_keyed_scores_from_json() -> None:
    preds = pd.DataFrame({"id": [1, 2, 3], "p0": [0.8, 0.1, 0.3], "p1": [0.2, 0.9, 0.7]})
    labels = pd.DataFrame({"id": [1, 2, 3], "label": [0, 1, 0]})
    perf = late_label_performance(
        preds,
        labels,
        id_column="id",
        task="multiclass",
        scores={"0": "p0", "1": "p1"},
        classes=[0, 1],
    )
    assert perf.realized.whole.metrics["accuracy"] == pytest.approx(2 / 3)
    with pytest.raises(InvalidArgumentError, match="no probability column for the class 2"):
        late_label_performance(
            preds, labels, id_column="id", task="multiclass", scores={"0": "p0"}, classes=[0, 2]
        )


def _world(ctx: ServiceContext, tmp_path: Path, **perf: Any) -> None:
    current = predictions(800, seed=8)
    save_profile(ctx, profile_from(current[["x", "proba"]]), "ref")
    current.drop(columns=["label"]).to_csv(tmp_path / "preds.csv", index=False)
    current[["id", "label"]].to_csv(tmp_path / "labels.csv", index=False)
    current.to_csv(tmp_path / "reference.csv", index=False)
    config = {
        "task": "binary",
        "id_column": "id",
        "prediction": "pred",
        "scores": "proba",
        "labels": str(tmp_path / "labels.csv"),
        "bounds": {"accuracy": 0.99},
        "min_labels": 50,
        **perf,
    }
    create_monitor(
        ctx, "m", str(tmp_path / "preds.csv"), "ref", chunking={"size": 400}, performance=config
    )


def test_reference_without_its_label_column_says_so_once(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    _world(ctx, tmp_path, reference=str(tmp_path / "reference.csv"), reference_label="truth")
    result = run_monitor(ctx, "m")
    message = result.run.message or ""
    assert "the reference has no label column 'truth'" in message
    assert NO_REFERENCE not in message and "__label__" not in message
    assert [a.column for a in result.opened if a.check == "performance"] == ["accuracy"]


def test_stray_labels_fail_the_check_and_leave_its_alert_open(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    _world(ctx, tmp_path)
    assert [a.check for a in run_monitor(ctx, "m").opened] == ["performance"]
    ids = pd.read_csv(tmp_path / "preds.csv")["id"].iloc[:9]
    (tmp_path / "labels.csv").write_text("id,label\n" + "".join(f"{i},maybe\n" for i in ids))
    result = run_monitor(ctx, "m")
    assert "performance check failed: A binary task has two classes" in (result.run.message or "")
    assert result.resolved == []
    assert [a.check for a in list_alerts(ctx, "m", "open")] == ["performance"]


def test_one_shot_cli_refuses_unknown_metric_and_unreadable_labels(tmp_path: Path) -> None:
    current = predictions(100, seed=9)
    current.drop(columns=["label"]).to_csv(tmp_path / "preds.csv", index=False)
    current[["id", "label"]].to_csv(tmp_path / "labels.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    runner = CliRunner()
    base = ["monitor", "performance", str(tmp_path / "preds.csv")]
    opts = ["--id-column", "id", "--task", "binary", "--prediction", "pred"]
    result = runner.invoke(app, [*base, str(tmp_path / "labels.csv"), *opts, "--metric", "auc"])
    assert result.exit_code == 1
    assert "Unknown --metric auc for a binary task; known: accuracy" in result.output
    result = runner.invoke(app, [*base, str(tmp_path / "empty.csv"), *opts])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Cannot read the labels" in result.output
