"""Classification and regression metrics in plain numpy, fast enough to bootstrap.

Written here rather than called from scikit-learn because a bootstrap recomputes every
metric hundreds of times: the class-encoded inputs are prepared once (:class:`Encoded`) and
each resample only indexes arrays. The tests check every figure against scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlsteward.domain.errors import InvalidArgumentError

#: For each metric, whether a larger value is better (used to compare with a baseline).
HIGHER_IS_BETTER = {
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "roc_auc": True,
    "log_loss": False,
    "mae": False,
    "rmse": False,
    "r2": True,
    "mape": False,
}
_EPS = 1e-15


@dataclass(frozen=True)
class Encoded:
    """Targets and predictions as class indices (0..k-1), plus probabilities if known."""

    classes: list[Any]
    truth: np.ndarray
    predicted: np.ndarray
    proba: np.ndarray | None

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    def take(self, rows: np.ndarray) -> Encoded:
        proba = self.proba[rows] if self.proba is not None else None
        return Encoded(self.classes, self.truth[rows], self.predicted[rows], proba)


def _index_of(classes: list[Any], values: np.ndarray, what: str) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(classes)}
    try:
        return np.fromiter((lookup[v] for v in values.tolist()), dtype=np.int64, count=len(values))
    except KeyError as error:
        raise InvalidArgumentError(
            f"{what} contain the label {error.args[0]!r}, which is not one of the model's "
            f"classes {classes}"
        ) from None


def encode(
    truth: Any, predicted: Any, proba: Any = None, classes: Sequence[Any] | None = None
) -> Encoded:
    """Map labels to class indices; ``classes`` orders ``proba``'s columns."""
    y = np.asarray(truth).ravel()
    p = np.asarray(predicted).ravel()
    if classes is None:
        classes = sorted(set(y.tolist()) | set(p.tolist()))
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    probabilities = None
    if proba is not None:
        probabilities = np.asarray(proba, dtype=np.float64)
        if probabilities.ndim == 1:  # P(positive) only
            probabilities = np.column_stack([1.0 - probabilities, probabilities])
        if probabilities.shape != (len(y), len(labels)):
            raise InvalidArgumentError(
                f"predict_proba gave shape {probabilities.shape}; expected ({len(y)}, "
                f"{len(labels)}) for classes {labels}"
            )
    return Encoded(
        labels, _index_of(labels, y, "Targets"), _index_of(labels, p, "Predictions"), probabilities
    )


def confusion(data: Encoded) -> np.ndarray:
    """Counts: rows are true classes, columns predicted classes, in ``classes`` order."""
    k = len(data.classes)
    return np.bincount(data.truth * k + data.predicted, minlength=k * k).reshape(k, k)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)


def _binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    from scipy.stats import rankdata  # scipy.stats takes ~0.5 s to import: only when used

    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(data: Encoded) -> dict[str, float]:
    """Accuracy, precision, recall, F1 (binary: of the second class; else macro averages),
    ROC AUC (one-vs-rest macro for several classes) and log loss when probabilities exist."""
    matrix = confusion(data)
    tp = np.diag(matrix).astype(np.float64)
    precision = _safe_div(tp, matrix.sum(axis=0).astype(np.float64))
    recall = _safe_div(tp, matrix.sum(axis=1).astype(np.float64))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    n = max(len(data.truth), 1)
    chosen = slice(1, 2) if data.binary else slice(None)
    out = {
        "accuracy": float(tp.sum() / n),
        "precision": float(np.mean(precision[chosen])),
        "recall": float(np.mean(recall[chosen])),
        "f1": float(np.mean(f1[chosen])),
    }
    if data.proba is not None:
        if data.binary:
            out["roc_auc"] = _binary_auc(data.proba[:, 1], data.truth == 1)
        else:
            aucs = [
                _binary_auc(data.proba[:, k], data.truth == k) for k in range(len(data.classes))
            ]
            valid = [a for a in aucs if not np.isnan(a)]
            out["roc_auc"] = float(np.mean(valid)) if len(valid) == len(aucs) else float("nan")
        picked = np.clip(data.proba[np.arange(len(data.truth)), data.truth], _EPS, 1.0)
        rows = data.proba.sum(axis=1)
        picked = picked / np.where(rows > 0, rows, 1.0)
        out["log_loss"] = float(-np.mean(np.log(np.clip(picked, _EPS, 1.0))))
    return out


def regression_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, R² and MAPE (as a fraction; near-zero targets make it explode)."""
    error = predicted - truth
    total = float(np.sum((truth - truth.mean()) ** 2)) if truth.size else 0.0
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "r2": 1.0 - float(np.sum(error**2)) / total if total > 0 else float("nan"),
        "mape": float(np.mean(np.abs(error) / np.maximum(np.abs(truth), np.finfo(float).eps))),
    }
