"""The quickstart's workload: a small tracked hyperparameter sweep, written as a user would.

Only the public SDK is used (``import mlsteward``), so this doubles as a worked example: a
parent run for the sweep, one nested run per ``max_depth`` of a gradient-boosting classifier, a
learning curve logged per boosting stage, final metrics, figures and a JSON report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import mlsteward

MAX_DEPTHS = (2, 3, 4)
N_ESTIMATORS = 100
TREES_PER_FIT = 10  # warm-start chunk: the progress bar moves while trees are added
LEARNING_RATE = 0.1
N_SAMPLES = 2000
N_FEATURES = 20
VALIDATION_FRACTION = 0.25
SELECTION_METRIC = "val_log_loss"  # lower is better: a proper score, not thresholded

#: Called as ``(run_label, trees_fitted, trees_total)`` while a candidate trains.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CandidateResult:
    run_id: str
    run_name: str
    max_depth: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class QuickstartResult:
    experiment_id: str
    experiment_name: str
    parent_run_id: str
    candidates: list[CandidateResult]
    best: CandidateResult
    artifacts: list[str] = field(default_factory=list)
    skipped_figures: bool = False


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    picked = proba[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0))))


def _figure_class() -> Any | None:
    """matplotlib's ``Figure`` (no GUI backend needed), or None without the ``plots`` extra."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure


def _log_figures(
    figure_class: Any, confusion: np.ndarray, curves: dict[str, list[float]], title: str
) -> list[str]:
    fig = figure_class(figsize=(4.2, 3.6))
    ax = fig.subplots()
    ax.imshow(confusion, cmap="Blues")
    for (row, col), count in np.ndenumerate(confusion):
        dark = count > confusion.max() / 2
        ax.text(col, row, str(count), ha="center", va="center", color="white" if dark else "black")
    ax.set(xlabel="predicted", ylabel="actual", title=f"Confusion matrix, {title}")
    ax.set_xticks(range(confusion.shape[1]))
    ax.set_yticks(range(confusion.shape[0]))
    fig.tight_layout()
    mlsteward.log_figure(fig, "confusion_matrix.png")

    fig = figure_class(figsize=(5, 3.4))
    ax = fig.subplots()
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set(xlabel="boosting stage (trees)", ylabel="log loss", title=f"Learning curve, {title}")
    ax.legend()
    fig.tight_layout()
    mlsteward.log_figure(fig, "learning_curve.png")
    return ["confusion_matrix.png", "learning_curve.png"]


def _train_candidate(
    max_depth: int,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    on_progress: ProgressCallback,
) -> tuple[CandidateResult, list[str], bool]:
    # The classic estimator, not HistGradientBoosting: it uses no OpenMP, whose thread pool
    # slows several-fold when another library in the process (PyTorch, say) brings its own.
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import classification_report, confusion_matrix, f1_score, roc_auc_score

    x_train, x_val, y_train, y_val = data
    name = f"max_depth={max_depth}"
    with mlsteward.start_run(run_name=name, nested=True) as run:
        params: dict[str, Any] = {
            "max_depth": max_depth,
            "n_estimators": N_ESTIMATORS,
            "learning_rate": LEARNING_RATE,
            "subsample": 0.8,
            "random_state": seed,
        }
        mlsteward.log_params(params)
        model = GradientBoostingClassifier(**params, warm_start=True)
        started = time.perf_counter()
        for trees in range(TREES_PER_FIT, N_ESTIMATORS + 1, TREES_PER_FIT):
            model.set_params(n_estimators=trees)
            model.fit(x_train, y_train)
            on_progress(name, trees, N_ESTIMATORS)
        fit_seconds = time.perf_counter() - started

        # The learning curve: one point per boosting stage, as a training loop would log it.
        curves: dict[str, list[float]] = {"train_log_loss": [], "val_log_loss": []}
        point: dict[str, float] = {}
        stages = zip(
            model.staged_predict_proba(x_train), model.staged_predict_proba(x_val), strict=True
        )
        for step, (train_proba, val_proba) in enumerate(stages, start=1):
            point = {
                "train_log_loss": _log_loss(y_train, train_proba),
                "val_log_loss": _log_loss(y_val, val_proba),
                "val_accuracy": float(np.mean(val_proba.argmax(axis=1) == y_val)),
            }
            mlsteward.log_metrics(point, step=step)
            curves["train_log_loss"].append(point["train_log_loss"])
            curves["val_log_loss"].append(point["val_log_loss"])

        predicted = model.predict(x_val)
        final = {
            "val_f1": float(f1_score(y_val, predicted)),
            "val_roc_auc": float(roc_auc_score(y_val, model.predict_proba(x_val)[:, 1])),
            "train_accuracy": float(model.score(x_train, y_train)),
            "fit_seconds": fit_seconds,
        }
        mlsteward.log_metrics(final, step=N_ESTIMATORS)
        confusion = confusion_matrix(y_val, predicted)
        mlsteward.log_dict(
            {
                "params": params,
                "metrics": {**final, **point},
                "confusion_matrix": confusion.tolist(),
                "classification_report": classification_report(y_val, predicted, output_dict=True),
            },
            "report.json",
        )
        logged = ["report.json"]
        figure_class = _figure_class()
        if figure_class is not None:
            logged += _log_figures(figure_class, confusion, curves, name)
        metrics = {**point, **final}
        result = CandidateResult(run.info.run_id, name, max_depth, metrics)
    return result, logged, figure_class is None


def run_quickstart(
    experiment_name: str = "quickstart",
    seed: int = 42,
    on_progress: ProgressCallback = lambda *_: None,
) -> QuickstartResult:
    """Train and track the sweep in the SDK's current tracking URI; return what was recorded."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    mlsteward.seed_everything(seed)
    x, y = make_classification(
        n_samples=N_SAMPLES,
        n_features=N_FEATURES,
        n_informative=8,
        n_redundant=4,
        flip_y=0.03,
        random_state=seed,
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=VALIDATION_FRACTION, stratify=y, random_state=seed
    )
    experiment = mlsteward.set_experiment(experiment_name)
    with mlsteward.start_run(
        run_name="gbm-max-depth-sweep",
        description="mlsteward quickstart: GradientBoostingClassifier over max_depth",
    ) as parent:
        mlsteward.log_params(
            {
                "dataset": "make_classification",
                "n_samples": N_SAMPLES,
                "n_features": N_FEATURES,
                "validation_fraction": VALIDATION_FRACTION,
                "seed": seed,
                "model": "GradientBoostingClassifier",
                "sweep_param": "max_depth",
                "sweep_values": ",".join(map(str, MAX_DEPTHS)),
                "selection_metric": SELECTION_METRIC,
            }
        )
        candidates: list[CandidateResult] = []
        artifacts: list[str] = []
        skipped = False
        for depth in MAX_DEPTHS:
            result, logged, skipped = _train_candidate(
                depth, (x_train, x_val, y_train, y_val), seed, on_progress
            )
            candidates.append(result)
            artifacts = logged
        best = min(candidates, key=lambda c: c.metrics[SELECTION_METRIC])
        mlsteward.log_metrics(
            {
                f"best_{SELECTION_METRIC}": best.metrics[SELECTION_METRIC],
                "best_val_accuracy": best.metrics["val_accuracy"],
                "best_max_depth": float(best.max_depth),
            }
        )
        mlsteward.set_tags({"best_run_id": best.run_id, "best_run_name": best.run_name})
        mlsteward.log_dict(
            {
                "selection_metric": SELECTION_METRIC,
                "best_run_id": best.run_id,
                "candidates": [
                    {"run_id": c.run_id, "max_depth": c.max_depth, "metrics": c.metrics}
                    for c in candidates
                ],
            },
            "sweep_summary.json",
        )
    return QuickstartResult(
        experiment_id=experiment.experiment_id,
        experiment_name=experiment.name,
        parent_run_id=parent.info.run_id,
        candidates=candidates,
        best=best,
        artifacts=artifacts,
        skipped_figures=skipped,
    )
