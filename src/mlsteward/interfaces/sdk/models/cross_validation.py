"""``cross_validate``: fit and score a model on k folds, each fold a nested run."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.engines.evaluation.report import EvaluationResult, Task
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.models.evaluate import evaluate, split_targets


@dataclass
class CrossValidationResult:
    """Per-fold results and, for each metric, the mean and standard deviation over folds."""

    folds: list[EvaluationResult]
    fold_run_ids: list[str]
    mean: dict[str, float] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)
    parent_run_id: str | None = None


def _fresh(estimator: Any) -> Any:
    """An unfitted copy: ``sklearn.clone`` for estimators, a factory's product, or a deepcopy."""
    if callable(estimator) and not hasattr(estimator, "fit"):
        return estimator()
    try:
        from sklearn.base import clone

        return clone(estimator)
    except TypeError:
        return copy.deepcopy(estimator)


def _rows(data: Any, index: np.ndarray) -> Any:
    return data.iloc[index] if isinstance(data, pd.DataFrame | pd.Series) else data[index]


def cross_validate(
    estimator: Any | Callable[[], Any],
    data: Any,
    targets: Any,
    task: Task = "classification",
    folds: int | Any = 5,
    *,
    seed: int = 0,
    slices: Sequence[str] | None = None,
    resamples: int = 0,
    log_models: bool = False,
    run_name: str | None = None,
) -> CrossValidationResult:
    """Fit a fresh copy of ``estimator`` on each training split and evaluate it on the rest.

    ``folds`` is a number (stratified k-fold for classification, shuffled k-fold for
    regression) or any scikit-learn splitter. Each fold is a nested run (``fold-1``...)
    under the active run (started, and named ``run_name``, if none is active) holding that
    fold's metrics and, with ``log_models``, its model; the parent gets ``cv/<metric>_mean``
    and ``cv/<metric>_std``. Bootstrap intervals are off by default (``resamples=0``):
    the spread across folds already shows the variance.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    features, truth = split_targets(data, targets)
    if isinstance(folds, int):
        splitter: Any = (
            StratifiedKFold(folds, shuffle=True, random_state=seed)
            if task == "classification"
            else KFold(folds, shuffle=True, random_state=seed)
        )
    else:
        splitter = folds
    started = fluent.active_run() is None
    parent = fluent.active_run() or fluent.start_run(run_name=run_name)
    outcome = CrossValidationResult([], [], parent_run_id=parent.info.run_id)
    try:
        for number, (train, test) in enumerate(splitter.split(features, truth), start=1):
            with fluent.start_run(run_name=f"fold-{number}", nested=True) as run:
                fluent.log_params(
                    {"fold": number, "train_rows": len(train), "test_rows": len(test)}
                )
                model = _fresh(estimator)
                model.fit(_rows(features, train), truth[train])
                test_x = _rows(features, test)
                result = evaluate(
                    model,
                    test_x,
                    truth[test],
                    task,
                    slices=slices,
                    resamples=resamples,
                    seed=seed,
                    plots=False,
                )
                if log_models:
                    from mlsteward.interfaces.sdk.models.log import log_model

                    log_model(
                        model, "model", input_example=_rows(test_x, np.arange(min(5, len(test))))
                    )
                outcome.folds.append(result)
                outcome.fold_run_ids.append(run.info.run_id)
        keys = sorted({k for r in outcome.folds for k, v in r.metrics.items() if v is not None})
        for key in keys:
            values = np.array(
                [r.metrics[key] for r in outcome.folds if r.metrics.get(key) is not None]
            )
            outcome.mean[key] = float(values.mean())
            outcome.std[key] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        fluent.log_metrics(
            {f"cv/{k}_mean": v for k, v in outcome.mean.items()}
            | {f"cv/{k}_std": v for k, v in outcome.std.items()}
        )
        fluent.log_param("cv_folds", len(outcome.folds))
    except BaseException:
        if started:
            fluent.end_run("FAILED")
        raise
    if started:
        fluent.end_run()
    return outcome
