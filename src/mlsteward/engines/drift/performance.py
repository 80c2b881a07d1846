"""Realized model performance per chunk, once labels are known.

Classification: accuracy, precision, recall, F1 (binary for two classes, macro averages
otherwise) and ROC AUC from scores when given. Regression: MAE, MSE, RMSE, MAPE and R².
Rows with a missing label or prediction are left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mlsteward.engines.drift.chunking import Chunker
from mlsteward.engines.drift.domain_classifier import auc_from_scores
from mlsteward.engines.drift.frames import Frame
from mlsteward.engines.drift.results import ChunkInfo, _Jsonable

CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION_METRICS = ("mae", "mse", "rmse", "mape", "r2")


@dataclass(frozen=True)
class MetricsResult(_Jsonable):
    """Metrics of one window; ``n_dropped`` rows lacked a label or prediction."""

    chunk: ChunkInfo | None
    n_rows: int
    metrics: dict[str, float | None]
    n_dropped: int = 0
    message: str | None = None


@dataclass(frozen=True)
class PerformanceReport(_Jsonable):
    """Whole-window and per-chunk realized metrics."""

    task: str
    whole: MetricsResult
    chunks: tuple[MetricsResult, ...] = ()
    messages: tuple[str, ...] = field(default_factory=tuple)


def _nan_to_none(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (v if math.isfinite(v) else None) for k, v in d.items()}


def binary_metrics(
    y_true: NDArray[np.bool_], y_pred: NDArray[np.bool_], score: NDArray[np.float64] | None
) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and (with scores) ROC AUC for a binary task."""
    tp = float(np.count_nonzero(y_true & y_pred))
    fp = float(np.count_nonzero(~y_true & y_pred))
    fn = float(np.count_nonzero(y_true & ~y_pred))
    out = binary_rates(tp, fp, fn, y_true.size)
    if score is not None:
        out["roc_auc"] = auc_from_scores(score, y_true)
    return out


def binary_rates(tp: float, fp: float, fn: float, n: float) -> dict[str, float]:
    """Accuracy, precision, recall and F1 from (counted or expected) confusion counts."""
    return {
        "accuracy": (n - fp - fn) / n if n else math.nan,
        "precision": tp / (tp + fp) if tp + fp else math.nan,
        "recall": tp / (tp + fn) if tp + fn else math.nan,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan,
    }


def multiclass_metrics(
    y_true: NDArray[np.int64],
    y_pred: NDArray[np.int64],
    n_classes: int,
    scores: NDArray[np.float64] | None,
) -> dict[str, float]:
    """Accuracy, macro precision/recall/F1 and (with scores) macro one-vs-rest ROC AUC."""
    cm = np.zeros((n_classes, n_classes))
    np.add.at(cm, (y_true, y_pred), 1.0)
    return metrics_from_confusion(cm, None if scores is None else (y_true, scores))


def metrics_from_confusion(
    cm: NDArray[np.float64],
    auc_inputs: tuple[NDArray[np.int64], NDArray[np.float64]] | None = None,
) -> dict[str, float]:
    """Metrics from a (true x predicted) confusion matrix, expected or counted."""
    n = cm.sum()
    diag = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = diag / cm.sum(axis=0)
        recall = diag / cm.sum(axis=1)
        f1 = 2 * diag / (cm.sum(axis=0) + cm.sum(axis=1))
    out = {
        "accuracy": float(diag.sum() / n) if n else math.nan,
        "precision": float(np.nanmean(precision)) if np.isfinite(precision).any() else math.nan,
        "recall": float(np.nanmean(recall)) if np.isfinite(recall).any() else math.nan,
        "f1": float(np.nanmean(f1)) if np.isfinite(f1).any() else math.nan,
    }
    if auc_inputs is not None:
        y_true, scores = auc_inputs
        aucs = [auc_from_scores(scores[:, k], y_true == k) for k in range(scores.shape[1])]
        finite = [a for a in aucs if math.isfinite(a)]
        out["roc_auc"] = float(np.mean(finite)) if finite else math.nan
    return out


def regression_metrics(
    y_true: NDArray[np.float64], y_pred: NDArray[np.float64]
) -> dict[str, float]:
    """MAE, MSE, RMSE, MAPE (rows with y = 0 left out of MAPE) and R²."""
    err = y_pred - y_true
    mse = float(np.mean(err * err)) if err.size else math.nan
    nz = y_true != 0
    var = float(np.var(y_true)) if y_true.size else math.nan
    return {
        "mae": float(np.mean(np.abs(err))) if err.size else math.nan,
        "mse": mse,
        "rmse": math.sqrt(mse) if math.isfinite(mse) else math.nan,
        "mape": float(np.mean(np.abs(err[nz] / y_true[nz]))) if nz.any() else math.nan,
        "r2": 1.0 - mse / var if var > 0 else math.nan,
    }


def label_codes(values: object, labels: Sequence[object]) -> NDArray[np.int64]:
    """Position of each value in ``labels`` (compared as strings); -1 for missing or unknown."""
    import pandas as pd

    s = values if isinstance(values, pd.Series) else pd.Series(values)
    text = s.astype(str).where(s.notna(), None)
    known = pd.Index(list(dict.fromkeys(str(v) for v in labels)))
    return np.asarray(known.get_indexer(pd.Index(text)), dtype=np.int64)


def realized_performance(
    data: object,
    *,
    task: str,
    target: str,
    prediction: str,
    scores: Sequence[str] | str | None = None,
    classes: Sequence[object] | None = None,
    chunker: Chunker | None = None,
) -> PerformanceReport:
    """Realized metrics for a labelled table, whole and per chunk.

    ``task`` is ``"binary"``, ``"multiclass"`` or ``"regression"``. For binary, ``scores`` is the
    positive-class probability column and the positive class is the last of ``classes`` (or of
    the sorted labels). For multiclass, ``scores`` lists one probability column per class in the
    order of ``classes``.
    """
    frame = Frame(data)
    score_cols = [scores] if isinstance(scores, str) else list(scores or [])
    for col in [target, prediction, *score_cols]:
        if not frame.has(col):
            raise ValueError(f"column {col!r} not found")
    chunks = chunker.split(frame).chunks if chunker is not None else ()
    if task == "regression":
        y = frame.numeric(target)
        p = frame.numeric(prediction)

        def window(rows: slice | np.ndarray, info: ChunkInfo | None) -> MetricsResult:
            yt, yp = y[rows], p[rows]
            ok = np.isfinite(yt) & np.isfinite(yp)
            m = regression_metrics(yt[ok], yp[ok])
            return MetricsResult(info, int(ok.sum()), _nan_to_none(m), int(ok.size - ok.sum()))
    elif task in ("binary", "multiclass"):
        y_series, p_series = frame.series(target), frame.series(prediction)
        labels = (
            list(classes)
            if classes is not None
            else sorted(set(y_series.dropna().unique()) | set(p_series.dropna().unique()), key=str)
        )
        yi = label_codes(y_series, labels)
        pi = label_codes(p_series, labels)
        sc = np.column_stack([frame.numeric(c) for c in score_cols]) if score_cols else None

        def window(rows: slice | np.ndarray, info: ChunkInfo | None) -> MetricsResult:
            yt, yp = yi[rows], pi[rows]
            ok = (yt >= 0) & (yp >= 0)
            s = None if sc is None else sc[rows][ok]
            if s is not None:
                finite = np.isfinite(s).all(axis=1)
                if not finite.all():
                    s = None
            if task == "binary":
                pos = len(labels) - 1
                m = binary_metrics(yt[ok] == pos, yp[ok] == pos, None if s is None else s[:, -1])
            else:
                m = multiclass_metrics(yt[ok], yp[ok], len(labels), s)
            return MetricsResult(info, int(ok.sum()), _nan_to_none(m), int(ok.size - ok.sum()))
    else:
        raise ValueError(f"task must be binary, multiclass or regression, got {task!r}")
    return PerformanceReport(
        task,
        window(slice(None), None),
        tuple(window(c.rows, c.info) for c in chunks),
    )
