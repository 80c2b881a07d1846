"""Realized metrics per chunk, and CBPE estimates that track realized performance."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from mlsteward.engines.drift import CBPE, Chunker, realized_performance
from mlsteward.engines.drift.cbpe import expected_auc


def _binary(rng: np.random.Generator, n: int, difficulty: float = 1.0) -> pd.DataFrame:
    """A calibrated model: the label is drawn from the true probability; scores are exact."""
    z = rng.normal(size=n) * 2.0 / difficulty
    p = 1 / (1 + np.exp(-z))
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"y": y, "proba": p, "pred": (p >= 0.5).astype(int)})


def test_realized_binary_and_regression_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    df = _binary(rng, 10_000)
    rep = realized_performance(
        df,
        task="binary",
        target="y",
        prediction="pred",
        scores="proba",
        chunker=Chunker(size=2_500),
    )
    m = rep.whole.metrics
    assert m["accuracy"] == pytest.approx(metrics.accuracy_score(df.y, df.pred))
    assert m["precision"] == pytest.approx(metrics.precision_score(df.y, df.pred))
    assert m["recall"] == pytest.approx(metrics.recall_score(df.y, df.pred))
    assert m["f1"] == pytest.approx(metrics.f1_score(df.y, df.pred))
    assert m["roc_auc"] == pytest.approx(metrics.roc_auc_score(df.y, df.proba))
    assert len(rep.chunks) == 4
    y = rng.normal(size=1_000) + 5
    pred = y + rng.normal(scale=0.5, size=1_000)
    pred[3] = np.nan
    reg = realized_performance(
        pd.DataFrame({"y": y, "p": pred}), task="regression", target="y", prediction="p"
    ).whole
    ok = np.isfinite(pred)
    assert reg.n_dropped == 1
    assert reg.metrics["mae"] == pytest.approx(metrics.mean_absolute_error(y[ok], pred[ok]))
    assert reg.metrics["r2"] == pytest.approx(metrics.r2_score(y[ok], pred[ok]))
    json.dumps(rep.to_dict(), allow_nan=False)


def test_multiclass_realized_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(1)
    proba = rng.dirichlet(np.ones(3), size=3_000)
    y = np.array([rng.choice(3, p=p) for p in proba])
    df = pd.DataFrame(
        {"y": y, "pred": proba.argmax(1), "p0": proba[:, 0], "p1": proba[:, 1], "p2": proba[:, 2]}
    )
    rep = realized_performance(
        df,
        task="multiclass",
        target="y",
        prediction="pred",
        scores=["p0", "p1", "p2"],
        classes=[0, 1, 2],
    )
    m = rep.whole.metrics
    assert m["f1"] == pytest.approx(metrics.f1_score(y, df.pred, average="macro"))
    assert m["roc_auc"] == pytest.approx(
        metrics.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )


def test_expected_auc_equals_auc_when_probabilities_are_zero_or_one() -> None:
    rng = np.random.default_rng(2)
    scores = rng.random(500)
    y = (rng.random(500) < scores).astype(float)
    assert expected_auc(scores, y) == pytest.approx(metrics.roc_auc_score(y, scores))


def test_cbpe_binary_estimates_track_realized_with_bands() -> None:
    rng = np.random.default_rng(3)
    ref = _binary(rng, 20_000)
    # Covariate shift: harder cases later on; the model stays calibrated (no concept drift).
    cur = pd.concat([_binary(rng, 10_000), _binary(rng, 10_000, difficulty=3.0)])
    cur = cur.reset_index(drop=True)
    cbpe = CBPE(
        task="binary",
        y_true="y",
        y_pred_proba="proba",
        y_pred="pred",
        chunker=Chunker(size=5_000),
        n_simulations=200,
    ).fit(ref)
    report = cbpe.estimate(cur)
    assert report.classes == ("0", "1")
    for ch in report.chunks:
        for name in ("accuracy", "roc_auc", "f1"):
            m = ch.metric(name)
            assert m.realized is not None and m.estimate is not None
            assert m.lower is not None and m.upper is not None and m.lower <= m.estimate <= m.upper
            assert abs(m.estimate - m.realized) < 0.03, (name, m)
    acc = [ch.metric("accuracy") for ch in report.chunks]
    assert acc[3].estimate < acc[0].estimate - 0.1
    assert [a.alert for a in acc] == [False, False, True, True]
    json.dumps(report.to_dict(), allow_nan=False)


def test_cbpe_binary_positive_class_named_by_classes() -> None:
    """The positive class need not sort last: ``classes`` names it (last), and its
    probability column is read as such."""
    rng = np.random.default_rng(5)
    ref, cur = _binary(rng, 20_000), _binary(rng, 10_000)
    for df in (ref, cur):
        df["y"] = np.where(df["y"] == 1, "accept", "reject")  # "accept" sorts first
        df["pred"] = np.where(df["pred"] == 1, "accept", "reject")
    cbpe = CBPE(
        task="binary",
        y_true="y",
        y_pred_proba="proba",
        y_pred="pred",
        classes=["reject", "accept"],
        chunker=Chunker(size=5_000),
    ).fit(ref)
    report = cbpe.estimate(cur)
    assert report.classes == ("reject", "accept")
    for ch in report.chunks:
        m = ch.metric("roc_auc")
        assert m.realized is not None and m.estimate is not None
        assert abs(m.estimate - m.realized) < 0.03
        assert m.realized > 0.8
    with pytest.raises(ValueError, match="not one of the classes"):
        CBPE(task="binary", y_true="y", y_pred_proba="proba", classes=["a", "b"]).fit(ref)
    with pytest.raises(ValueError, match="two classes"):
        CBPE(task="binary", y_true="y", y_pred_proba="proba", classes=["a"])


def test_cbpe_multiclass_without_labels() -> None:
    rng = np.random.default_rng(4)

    def table(n: int, sharp: float) -> pd.DataFrame:
        logits = rng.normal(size=(n, 3)) * sharp
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        y = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
        return pd.DataFrame({"y": y, "a": p[:, 0], "b": p[:, 1], "c": p[:, 2]})

    ref = table(15_000, 2.0)
    cur = table(8_000, 0.7).drop(columns=["y"])
    cbpe = CBPE(task="multiclass", y_true="y", y_pred_proba={0: "a", 1: "b", 2: "c"}).fit(ref)
    est = cbpe.estimate(cur).whole
    assert est.n_rows == 8_000
    acc = est.metric("accuracy")
    assert acc.realized is None
    assert acc.estimate is not None and 0.4 < acc.estimate < 0.65
    ref_est = cbpe.estimate(ref).whole.metric("accuracy")
    assert ref_est.realized == pytest.approx(ref_est.estimate, abs=0.02)
