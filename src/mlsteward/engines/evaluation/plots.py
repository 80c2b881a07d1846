"""Evaluation plots (ROC, precision-recall, calibration, residuals, confusion matrix).

matplotlib is optional (the ``plots`` extra): :func:`plots_available` says whether it is
installed. Figures are built with the object API (``matplotlib.figure.Figure``), never
pyplot, so no global backend or figure registry is touched and nothing leaks between calls.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from mlsteward.engines.evaluation.metrics import Encoded, confusion


def plots_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _figure(width: float = 5.0, height: float = 4.5) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _proba(data: Encoded) -> np.ndarray:
    if data.proba is None:
        raise ValueError("this plot needs predicted probabilities; the model gave none")
    return data.proba


def _one_vs_rest(data: Encoded) -> list[tuple[str, np.ndarray, np.ndarray]]:
    proba = _proba(data)
    if data.binary:
        return [(str(data.classes[1]), data.truth == 1, proba[:, 1])]
    return [(str(label), data.truth == k, proba[:, k]) for k, label in enumerate(data.classes)]


def roc_figure(data: Encoded) -> Any:
    from sklearn.metrics import roc_curve

    fig = _figure()
    ax = fig.add_subplot()
    for label, positive, score in _one_vs_rest(data):
        if positive.any() and (~positive).any():
            fpr, tpr, _ = roc_curve(positive, score)
            ax.plot(fpr, tpr, label=f"class {label}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def precision_recall_figure(data: Encoded) -> Any:
    from sklearn.metrics import precision_recall_curve

    fig = _figure()
    ax = fig.add_subplot()
    for label, positive, score in _one_vs_rest(data):
        if positive.any():
            precision, recall, _ = precision_recall_curve(positive, score)
            ax.plot(recall, precision, label=f"class {label}")
    ax.set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve", ylim=(0, 1.02))
    ax.legend(loc="lower left", fontsize="small")
    return fig


def calibration_figure(data: Encoded, bins: int = 10) -> Any:
    """Reliability diagram: predicted probability against observed frequency, per bin.

    Binary: P(second class). Several classes: the top class's probability against accuracy.
    """
    proba = _proba(data)
    if data.binary:
        score, hit = proba[:, 1], (data.truth == 1).astype(float)
        xlabel = f"Predicted P(class {data.classes[1]})"
    else:
        score = proba.max(axis=1)
        hit = (proba.argmax(axis=1) == data.truth).astype(float)
        xlabel = "Confidence (top-class probability)"
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    mean_score = np.bincount(which, weights=score, minlength=bins)
    mean_hit = np.bincount(which, weights=hit, minlength=bins)
    filled = counts > 0
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    ax.plot(
        mean_score[filled] / counts[filled], mean_hit[filled] / counts[filled], "o-", label="model"
    )
    ax.set(
        xlabel=xlabel, ylabel="Observed frequency", title="Calibration", xlim=(0, 1), ylim=(0, 1)
    )
    ax.legend(loc="upper left", fontsize="small")
    return fig


def confusion_figure(data: Encoded) -> Any:
    matrix = confusion(data)
    fig = _figure()
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ticks = range(len(data.classes))
    labels = [str(c) for c in data.classes]
    ax.set_xticks(list(ticks), labels=labels, rotation=45)
    ax.set_yticks(list(ticks), labels=labels)
    for i in ticks:
        for j in ticks:
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize="small")
    ax.set(xlabel="Predicted", ylabel="True", title="Confusion matrix")
    return fig


def residuals_figure(truth: np.ndarray, predicted: np.ndarray) -> Any:
    residual = truth - predicted
    fig = _figure(9.0, 4.0)
    left, right = fig.subplots(1, 2)
    left.scatter(predicted, residual, s=6, alpha=0.5)
    left.axhline(0.0, color="grey", linestyle="--", linewidth=1)
    left.set(xlabel="Predicted", ylabel="Residual (true - predicted)", title="Residuals")
    right.hist(residual, bins=40)
    right.set(xlabel="Residual", ylabel="Rows", title="Residual distribution")
    return fig


def classification_figures(data: Encoded) -> dict[str, Any]:
    figures = {"confusion_matrix": confusion_figure(data)}
    if data.proba is not None:
        figures["roc"] = roc_figure(data)
        figures["precision_recall"] = precision_recall_figure(data)
        figures["calibration"] = calibration_figure(data)
    return figures
