"""Evaluate predictions: metrics, bootstrap intervals, slices, baseline comparison, plots.

Pure computation on arrays already predicted; calling the model and logging the results to
a run is the SDK's part (``mlsteward.evaluate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.evaluation.bootstrap import as_json_number, bootstrap
from mlsteward.engines.evaluation.metrics import (
    HIGHER_IS_BETTER,
    Encoded,
    classification_metrics,
    confusion,
    encode,
    regression_metrics,
)
from mlsteward.engines.evaluation.plots import classification_figures, residuals_figure

Task = Literal["classification", "regression"]


@dataclass
class EvaluationResult:
    """Everything one evaluation measured (``to_dict`` is what gets logged as JSON)."""

    task: str
    rows: int
    metrics: dict[str, float | None]
    intervals: dict[str, list[float | None]] = field(default_factory=dict)
    confidence: float = 0.95
    resamples: int = 0
    classes: list[Any] | None = None
    confusion_matrix: list[list[int]] | None = None
    slices: list[dict[str, Any]] = field(default_factory=list)
    baseline: dict[str, Any] | None = None
    artifacts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "rows": self.rows,
            "metrics": self.metrics,
            "intervals": self.intervals,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "classes": self.classes,
            "confusion_matrix": self.confusion_matrix,
            "slices": self.slices,
            "baseline": self.baseline,
            "artifacts": self.artifacts,
            "notes": self.notes,
            "run_id": self.run_id,
        }


@dataclass(frozen=True)
class Predictions:
    """What a model said about the evaluation rows."""

    predicted: np.ndarray
    proba: np.ndarray | None = None


def _clean(values: dict[str, float]) -> dict[str, float | None]:
    return {k: as_json_number(v) for k, v in values.items()}


class _Scorer:
    """Metric function of row indices, for one task and one model's predictions."""

    def __init__(
        self, task: Task, truth: np.ndarray, preds: Predictions, classes: list[Any] | None
    ) -> None:
        self.task = task
        if task == "classification":
            self.encoded: Encoded | None = encode(truth, preds.predicted, preds.proba, classes)
            self.truth = self.predicted = np.empty(0)
        else:
            self.encoded = None
            self.truth = np.asarray(truth, dtype=np.float64).ravel()
            self.predicted = np.asarray(preds.predicted, dtype=np.float64).ravel()
            if self.truth.shape != self.predicted.shape:
                raise InvalidArgumentError(
                    f"{self.predicted.size} predictions for {self.truth.size} targets"
                )

    def __call__(self, rows: np.ndarray | None = None) -> dict[str, float]:
        if self.encoded is not None:
            data = self.encoded if rows is None else self.encoded.take(rows)
            return classification_metrics(data)
        if rows is None:
            return regression_metrics(self.truth, self.predicted)
        return regression_metrics(self.truth[rows], self.predicted[rows])


def _comparison(
    model: dict[str, float | None], base: dict[str, float | None]
) -> tuple[dict[str, float | None], dict[str, bool | None]]:
    delta: dict[str, float | None] = {}
    improved: dict[str, bool | None] = {}
    for metric, value in model.items():
        other = base.get(metric)
        if value is None or other is None:
            delta[metric], improved[metric] = None, None
            continue
        delta[metric] = value - other
        better = HIGHER_IS_BETTER.get(metric, True)
        improved[metric] = value > other if better else value < other
    return delta, improved


def evaluate_predictions(
    task: Task,
    truth: Any,
    preds: Predictions,
    *,
    classes: Sequence[Any] | None = None,
    baseline: Predictions | None = None,
    frame: pd.DataFrame | None = None,
    slices: Sequence[str] | None = None,
    resamples: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    plots: bool = True,
) -> tuple[EvaluationResult, dict[str, Any]]:
    """Metrics of ``preds`` against ``truth``; returns the result and figures by name."""
    if task not in ("classification", "regression"):
        raise InvalidArgumentError(f"task must be classification or regression, got {task!r}")
    if not 0.0 < confidence < 1.0:
        raise InvalidArgumentError(f"confidence must be between 0 and 1, got {confidence}")
    y = np.asarray(truth).ravel()
    if len(y) != len(preds.predicted):
        raise InvalidArgumentError(f"{len(preds.predicted)} predictions for {len(y)} targets")
    if len(y) == 0:
        raise InvalidArgumentError("Cannot evaluate on zero rows")
    labels = list(classes) if classes is not None else None
    scorer = _Scorer(task, y, preds, labels)
    if scorer.encoded is not None:
        labels = scorer.encoded.classes
    result = EvaluationResult(
        task=task,
        rows=len(y),
        metrics=_clean(scorer()),
        confidence=confidence,
        resamples=resamples,
        classes=labels,
    )
    fns = {"model": scorer}
    if baseline is not None:
        base = _Scorer(task, y, baseline, labels)
        base_metrics = _clean(base())
        delta, improved = _comparison(result.metrics, base_metrics)
        result.baseline = {"metrics": base_metrics, "delta": delta, "improved": improved}
        fns["baseline"] = base
    intervals = bootstrap(len(y), dict(fns), resamples, confidence, seed)
    result.intervals = intervals.get("model", {})
    if result.baseline is not None:
        result.baseline["intervals"] = intervals.get("baseline", {})
        result.baseline["delta_intervals"] = intervals.get("delta", {})
    if scorer.encoded is not None:
        result.confusion_matrix = confusion(scorer.encoded).tolist()
    if slices:
        result.slices = _slice_results(scorer, frame, slices)
    figures: dict[str, Any] = {}
    if plots:
        if scorer.encoded is not None:
            figures = classification_figures(scorer.encoded)
        else:
            figures = {"residuals": residuals_figure(scorer.truth, scorer.predicted)}
    return result, figures


def _slice_results(
    scorer: _Scorer, frame: pd.DataFrame | None, columns: Sequence[str]
) -> list[dict[str, Any]]:
    from mlsteward.engines.evaluation.slices import slice_masks

    if frame is None:
        raise InvalidArgumentError("slices need the evaluation data as a DataFrame")
    out = []
    for column, value, mask in slice_masks(frame, columns):
        rows = np.flatnonzero(mask)
        if rows.size:
            out.append(
                {
                    "column": column,
                    "value": value,
                    "rows": int(rows.size),
                    "metrics": _clean(scorer(rows)),
                }
            )
    return out
