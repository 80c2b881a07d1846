"""Realized model performance per chunk, once labels are known.

Classification: accuracy, precision, recall, F1 (binary for two classes, macro averages
otherwise) and ROC AUC from scores when given. Regression: MAE, MSE, RMSE, MAPE and R².
Rows with a missing label or prediction, or one that is none of the classes, are left out and
counted per reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mlsteward.engines.drift.chunking import Chunker
from mlsteward.engines.drift.domain_classifier import auc_from_scores
from mlsteward.engines.drift.frames import Frame
from mlsteward.engines.drift.label_values import (
    MISSING,
    MISSING_LABEL,
    MISSING_PREDICTION,
    UNKNOWN,
    Label,
    class_list,
    count_reasons,
    distinct_labels,
    dropped_messages,
    infer_classes,
    label_codes,
    label_text,
    not_a_class,
)
from mlsteward.engines.drift.results import ChunkInfo, _Jsonable

#: The report's first message when no row of the whole window could be scored.
NO_ROW_TO_SCORE = "no row left to score: every metric is empty"
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION_METRICS = ("mae", "mse", "rmse", "mape", "r2")


@dataclass(frozen=True)
class MetricsResult(_Jsonable):
    """Metrics of one window on ``n_rows`` rows; ``n_dropped`` rows were left out, counted
    per reason in ``dropped`` and said in ``message``."""

    chunk: ChunkInfo | None
    n_rows: int
    metrics: dict[str, float | None]
    n_dropped: int = 0
    message: str | None = None
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PerformanceReport(_Jsonable):
    """Whole-window and per-chunk realized metrics; ``messages`` say which rows the whole
    window left out and why."""

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
    order of ``classes``. Labels and classes are compared by value whatever their type (see
    :mod:`~mlsteward.engines.drift.label_values`): ``1``, ``1.0``, ``True`` and ``"1"`` are one
    class. Rows left out are counted per reason, in each result and in the report's messages.
    """
    frame = Frame(data)
    score_cols = [scores] if isinstance(scores, str) else list(scores or [])
    for col in [target, prediction, *score_cols]:
        if not frame.has(col):
            raise ValueError(f"column {col!r} not found")
    chunks = chunker.split(frame).chunks if chunker is not None else ()
    notes: list[str] = []
    if task == "regression":
        y = frame.numeric(target)
        p = frame.numeric(prediction)
        reasons = [(MISSING_LABEL, ~np.isfinite(y)), (MISSING_PREDICTION, ~np.isfinite(p))]

        def metrics(ok: NDArray[np.bool_], rows: slice | NDArray[np.int64]) -> dict[str, float]:
            return regression_metrics(y[rows][ok], p[rows][ok])
    elif task in ("binary", "multiclass"):
        labels = _classes(task, frame, target, prediction, classes)
        yi = label_codes(frame.series(target), labels, target)
        pi = label_codes(frame.series(prediction), labels, prediction)
        reasons = [
            (MISSING_LABEL, yi == MISSING),
            (not_a_class("label", labels), yi == UNKNOWN),
            (MISSING_PREDICTION, pi == MISSING),
            (not_a_class("prediction", labels), pi == UNKNOWN),
        ]
        sc = np.column_stack([frame.numeric(c) for c in score_cols]) if score_cols else None
        if sc is not None:
            unscored = int(np.count_nonzero(~np.isfinite(sc).all(axis=1) & (yi >= 0) & (pi >= 0)))
            if unscored:
                notes.append(f"roc_auc leaves out {unscored} scored row(s) without a probability")

        def metrics(ok: NDArray[np.bool_], rows: slice | NDArray[np.int64]) -> dict[str, float]:
            yt, yp = yi[rows][ok], pi[rows][ok]
            if task == "binary":
                pos = len(labels) - 1
                out = binary_metrics(yt == pos, yp == pos, None)
            else:
                out = multiclass_metrics(yt, yp, len(labels), None)
            if sc is not None:  # ROC AUC on the scored rows that have their probabilities
                s = sc[rows][ok]
                has = np.isfinite(s).all(axis=1)
                if task == "binary":
                    out["roc_auc"] = auc_from_scores(s[has, -1], yt[has] == pos)
                else:
                    auc = multiclass_metrics(yt[has], yp[has], len(labels), s[has])
                    out["roc_auc"] = auc["roc_auc"]
            return out
    else:
        raise ValueError(f"task must be binary, multiclass or regression, got {task!r}")
    usable = ~np.logical_or.reduce([mask for _, mask in reasons])

    def window(rows: slice | NDArray[np.int64], info: ChunkInfo | None) -> MetricsResult:
        ok = usable[rows]
        dropped = count_reasons(reasons, rows)
        n_rows = int(ok.sum())
        return MetricsResult(
            info,
            n_rows,
            _nan_to_none(metrics(ok, rows)),
            int(ok.size) - n_rows,
            _window_message(n_rows, int(ok.size), dropped),
            dropped,
        )

    whole = window(slice(None), None)
    messages = dropped_messages(whole.dropped)
    if whole.n_rows == 0:
        messages.insert(0, NO_ROW_TO_SCORE)
    return PerformanceReport(
        task,
        whole,
        tuple(window(c.rows, c.info) for c in chunks),
        tuple(messages + notes),
    )


def _classes(
    task: str, frame: Frame, target: str, prediction: str, classes: Sequence[object] | None
) -> list[Label]:
    """The named classes, else the distinct labels and predictions (a binary task with more
    than two is an error: its positive class would be a guess)."""
    if classes is not None:
        named = class_list(classes)
        if task == "binary" and len(named) != 2:
            raise ValueError(f"a binary task has two classes, got {[label_text(c) for c in named]}")
        return named
    found = distinct_labels(
        frame.series(target), frame.series(prediction), names=(target, prediction)
    )
    return infer_classes(task, found, "labels and predictions")


def _window_message(n_rows: int, size: int, dropped: Mapping[str, int]) -> str | None:
    """Why rows of a window were left out; a window with none left says so first."""
    parts = dropped_messages(dropped)
    if n_rows == 0:
        parts.insert(0, "no row to score" if size else "no rows")
    return "; ".join(parts) or None
