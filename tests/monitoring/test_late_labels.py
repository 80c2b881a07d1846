"""Labels joined by id and arriving late: realized per chunk beside CBPE estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.monitoring import drift_report, late_label_performance
from mlsteward.services.monitoring.late_labels import LABEL_TARGET, join_labels


def _binary(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-2.0 * x))
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame(
        {
            "id": np.arange(n) + 10 * seed * n,
            "ts": pd.Timestamp("2026-03-01") + pd.to_timedelta(np.arange(n) * 60, "s"),
            "x": x,
            "proba": p,
            "pred": (p >= 0.5).astype(int),
            "label": y,
        }
    )


def test_join_keeps_predictions_and_counts_repeats_and_orphans() -> None:
    preds = pd.DataFrame({"id": [1, 2, 3, 4], "pred": [0, 1, 1, 0]})
    labels = pd.DataFrame({"id": ["2", "4", "4", "9"], "label": [1, 0, 1, 1]})
    joined, messages = join_labels(preds, labels, id_column="id")
    assert list(joined["id"]) == [1, 2, 3, 4]
    assert joined[LABEL_TARGET].isna().tolist() == [True, False, True, False]
    assert joined[LABEL_TARGET].tolist()[3] == 1  # the last label for id 4 wins
    assert any("repeated" in m for m in messages)
    assert any("without a prediction" in m for m in messages)


def test_realized_per_chunk_on_labelled_rows_with_estimates() -> None:
    reference = _binary(4_000, 1)
    current = _binary(3_000, 2)
    labelled = current.iloc[:1_700]  # labels for the oldest predictions only
    labels = labelled[["id", "label"]].sample(frac=1.0, random_state=0)  # any order
    preds = current.drop(columns=["label"])
    perf = late_label_performance(
        preds,
        labels,
        id_column="id",
        task="binary",
        prediction="pred",
        scores="proba",
        classes=[0, 1],
        reference=reference,
        chunk_by=1_000,
    )
    # Coverage per chunk: 1000, 700 and 0 labelled rows.
    assert [(c.n_predictions, c.n_labelled) for c in perf.coverage] == [
        (3_000, 1_700),
        (1_000, 1_000),
        (1_000, 700),
        (1_000, 0),
    ]
    # Realized metrics use only labelled rows; they match computing them directly.
    first = perf.realized.chunks[0]
    part = current.iloc[:1_000]
    assert first.n_rows == 1_000
    assert first.metrics["accuracy"] == pytest.approx((part["pred"] == part["label"]).mean())
    assert perf.realized.chunks[1].n_rows == 700
    assert perf.realized.chunks[2].metrics["accuracy"] is None
    # Estimates cover every prediction; realized sits beside them where labels exist.
    assert perf.estimated is not None
    chunks = perf.estimated.chunks
    assert chunks[0].metric("accuracy").realized == pytest.approx(first.metrics["accuracy"])
    assert chunks[2].metric("accuracy").estimate is not None
    assert chunks[2].metric("accuracy").realized is None
    # The drift report's performance section shows both.
    report = drift_report(
        reference.drop(columns=["label"]), preds, chunk_by=1_000, performance=perf.for_report
    )
    doc = report.to_dict()["performance"]
    assert doc["chunks"][0]["metrics"][0]["realized"] is not None
    assert "realized" in report.to_html().lower()
    assert perf.to_dict()["coverage"][2]["share"] == pytest.approx(0.7)


def test_regression_by_time_chunks_without_reference() -> None:
    rng = np.random.default_rng(5)
    n = 2_000
    preds = pd.DataFrame(
        {
            "rid": [f"r{i}" for i in range(n)],
            "ts": pd.Timestamp("2026-03-01") + pd.to_timedelta(np.arange(n) * 90, "s"),
            "yhat": rng.normal(size=n),
        }
    )
    truth = preds["yhat"] + rng.normal(scale=0.1, size=n)
    labels = pd.DataFrame({"rid": preds["rid"], "y": truth})[preds["ts"].dt.hour < 12]
    perf = late_label_performance(
        preds,
        labels,
        id_column="rid",
        task="regression",
        prediction="yhat",
        label_column="y",
        chunk_by="day",
        timestamp_column="ts",
    )
    assert perf.estimated is None
    assert perf.for_report is perf.realized
    assert perf.coverage[0].n_labelled == len(labels)
    assert perf.realized.whole.n_rows == len(labels)
    assert perf.realized.whole.metrics["mae"] == pytest.approx(0.08, abs=0.02)


def test_bad_input_is_a_clear_error() -> None:
    preds = pd.DataFrame({"id": [1, 1], "pred": [0, 1]})
    labels = pd.DataFrame({"id": [1], "label": [1]})
    with pytest.raises(InvalidArgumentError, match="unique"):
        late_label_performance(preds, labels, id_column="id", task="binary", prediction="pred")
    with pytest.raises(InvalidArgumentError, match="id column"):
        late_label_performance(preds, labels, id_column="key", task="binary", prediction="pred")
