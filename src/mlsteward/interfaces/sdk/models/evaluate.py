"""``evaluate``: score a model and record the results in a run (and its registered version)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.domain.registry import ModelVersion
from mlsteward.engines.evaluation.plots import plots_available
from mlsteward.engines.evaluation.report import (
    EvaluationResult,
    Predictions,
    Task,
    evaluate_predictions,
)
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.model_uri import ModelLocation, parse_runs_uri
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.models.load import load_model

_UNSAFE = re.compile(r"[^\w\-. :]+")


def _as_model(model: Any) -> Any:
    if isinstance(model, str):
        return load_model(model)
    if not callable(getattr(model, "predict", None)):
        raise InvalidArgumentError(
            f"evaluate needs a model with predict(), a LoadedModel or a model URI; got "
            f"{type(model).__name__}"
        )
    return model


def _stored_at(model: Any) -> ModelLocation | None:
    """The run artifact a LoadedModel's files came from, as its manifest recorded it."""
    if not isinstance(model, LoadedModel):
        return None
    manifest = model.manifest
    if not manifest.run_id or not manifest.artifact_path:
        return None
    return ModelLocation(manifest.run_id, manifest.artifact_path.strip("/"))


def _check_same_files(version: ModelVersion, scored: Any, how: str) -> None:
    """Refuse to attach results to a version whose artifact is not the model scored."""
    stored = _stored_at(scored)
    if stored is None or not version.source.startswith("runs:"):
        return
    source = parse_runs_uri(version.source)
    if source != stored:
        raise ConflictError(
            f"{how} is version {version.version} of {version.name!r} ({version.source}), but "
            f"the model being evaluated was logged at {stored.uri}; nothing was evaluated. "
            "Load the version again, or name the right one with model_version=(name, version)"
        )


def _target(model: Any, model_version: Any) -> tuple[Any, ModelVersion | None]:
    """The model to score and the registered version its results belong to (if any).

    A ``models:/`` URI is resolved once and its version's own files are loaded, so an alias
    that moves meanwhile cannot split the two; a LoadedModel remembers the URI it came from.
    """
    version: ModelVersion | None = None
    if isinstance(model, str) and model.startswith("models:"):
        version = Client().resolve_model_uri(model)
        scored = load_model(version.source if version.source.startswith("runs:") else model)
    else:
        scored = _as_model(model)
        source_uri = scored.source_uri if isinstance(scored, LoadedModel) else None
        if source_uri and source_uri.startswith("models:"):
            version = Client().resolve_model_uri(source_uri)
            _check_same_files(version, scored, f"{source_uri} now")
    if model_version is not None:
        if isinstance(model_version, ModelVersion):
            name, number = model_version.name, model_version.version
        elif isinstance(model_version, tuple | list) and len(model_version) == 2:
            name, number = model_version
        else:
            raise InvalidArgumentError(
                f"model_version is (name, version) or a ModelVersion, got {model_version!r}"
            )
        version = Client().get_model_version(str(name), number)
        _check_same_files(version, scored, f"model_version={(version.name, version.version)}")
    return scored, version


def _predict(model: Any, data: Any, task: str) -> Predictions:
    predicted = np.asarray(model.predict(data))
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted.ravel()
    proba = None
    has_proba = getattr(model, "has_predict_proba", None)
    if task == "classification" and (
        has_proba if has_proba is not None else hasattr(model, "predict_proba")
    ):
        proba = np.asarray(model.predict_proba(data))
    return Predictions(predicted, proba)


def _classes(model: Any) -> list[Any] | None:
    found = getattr(model, "classes", None)
    if found is None or callable(found):
        found = getattr(model, "classes_", None)
    return list(found) if found is not None else None


def split_targets(data: Any, targets: Any) -> tuple[Any, np.ndarray]:
    if isinstance(targets, str):
        if not isinstance(data, pd.DataFrame) or targets not in data.columns:
            raise InvalidArgumentError(f"Target column {targets!r} is not in the data")
        return data.drop(columns=[targets]), data[targets].to_numpy()
    return data, np.asarray(targets)


def _key(*parts: str) -> str:
    return "/".join(_UNSAFE.sub("_", p).strip() or "_" for p in parts)


def _metric_items(result: EvaluationResult, prefix: str) -> dict[str, float]:
    """Flatten the result into run metrics (None values are left out)."""
    out: dict[str, float] = {}

    def put(key: str, value: float | None) -> None:
        if value is not None:
            out[prefix + key] = value

    for metric, value in result.metrics.items():
        put(metric, value)
        low, high = result.intervals.get(metric, [None, None])
        put(f"{metric}_ci_low", low)
        put(f"{metric}_ci_high", high)
    if result.baseline:
        for metric, value in result.baseline["metrics"].items():
            put(_key("baseline", metric), value)
        for metric, value in result.baseline["delta"].items():
            put(_key("delta", metric), value)
    for entry in result.slices:
        for metric, value in entry["metrics"].items():
            put(_key("slice", f"{entry['column']}:{entry['value']}", metric), value)
    return out


def evaluate(
    model: Any,
    data: Any,
    targets: Any,
    task: Task = "classification",
    baseline: Any = None,
    slices: Sequence[str] | None = None,
    *,
    resamples: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    plots: bool = True,
    log: bool = True,
    metric_prefix: str = "",
    artifact_dir: str = "evaluation",
    run_id: str | None = None,
    model_version: tuple[str, int | str] | ModelVersion | None = None,
) -> EvaluationResult:
    """Score ``model`` on ``data`` against ``targets`` (an array, or a column name of data).

    Classification: accuracy, precision, recall, F1 (binary: of the second class, else
    macro), ROC AUC, log loss and the confusion matrix; regression: MAE, RMSE, R², MAPE.
    Each metric gets a percentile bootstrap interval (``resamples`` draws). ``baseline``
    (a model or URI, e.g. a DummyClassifier or the current champion) is scored on the same
    rows, with paired intervals of the difference. ``slices`` names columns of ``data``
    whose values (quartiles for many-valued numbers) are scored separately. With ``log``,
    metrics go to the active run (started if none), the full result to
    ``<artifact_dir>/results.json`` and plots (if matplotlib is installed) beside it.

    When ``model`` is a ``models:/`` URI (or a LoadedModel loaded from one), or
    ``model_version=(name, version)`` names a registered version, the logged metrics are
    also attached to that version (with ``log`` only), where acceptance thresholds and the
    model card read them. A version whose artifact is not the model scored is refused.
    """
    scored, version = _target(model, model_version)
    features, truth = split_targets(data, targets)
    preds = _predict(scored, features, task)
    base = _predict(_as_model(baseline), features, task) if baseline is not None else None
    frame = features if isinstance(features, pd.DataFrame) else None
    want_plots = plots and plots_available()
    result, figures = evaluate_predictions(
        task,
        truth,
        preds,
        classes=_classes(scored) if task == "classification" else None,
        baseline=base,
        frame=frame,
        slices=slices,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
        plots=want_plots,
    )
    if plots and not want_plots:
        result.notes.append("plots skipped: matplotlib is not installed (mlsteward[plots])")
    if log:
        if version is not None:
            result.notes.append(
                f"evaluated version {version.version} of registered model {version.name!r}; "
                "these metrics are attached to it"
            )
        _log_result(result, figures, metric_prefix, artifact_dir.strip("/"), run_id)
        attached = _metric_items(result, metric_prefix)
        if version is not None and attached:
            Client().attach_evaluation(version.name, version.version, attached)
    return result


def _log_result(
    result: EvaluationResult,
    figures: dict[str, Any],
    prefix: str,
    folder: str,
    run_id: str | None,
) -> None:
    rid = run_id or (fluent.active_run() or fluent.start_run()).info.run_id
    result.run_id = rid
    fluent.log_metrics(_metric_items(result, prefix), run_id=rid)
    for name, figure in figures.items():
        path = f"{folder}/{name}.png"
        fluent.log_figure(figure, path, run_id=rid)
        result.artifacts.append(path)
    results_path = f"{folder}/results.json"
    result.artifacts.append(results_path)
    fluent.log_text(json.dumps(result.to_dict(), indent=2, default=str), results_path, rid)
