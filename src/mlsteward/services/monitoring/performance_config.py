"""The performance check's configuration: validated once, when a monitor is created.

A monitor that checks performance joins late labels to its predictions by an id column. Its
configuration (a JSON-able dict stored with the monitor) says::

    {
        "task": "binary",                  # "binary" | "multiclass" | "regression"
        "id_column": "request_id",
        "prediction": "predicted",         # predicted label/value column
        "scores": "p_churn",               # binary: positive-class column;
                                           # multiclass: {"class": "column", ...}
        "classes": [0, 1],                 # optional: label order (the last is positive);
                                           # compared by value: 1, 1.0, True, "1" are one
        "labels": "dataset:churn-labels",  # a target, like the monitor's: file, glob, dataset:
                                           # (a deployment target: "feedback:[NAME]", the
                                           # default, its feedback log; id_column defaults
                                           # to "prediction_id")
        "label_column": "label",
        "reference": "dataset:validation@2",  # optional labelled data: CBPE estimates
        "reference_label": "label",        # its label column (default: label_column)
        "bounds": {"accuracy": 0.8, "roc_auc": 0.7},  # "mae": 2.0 is an upper bound
        "min_labels": 50,                  # labelled rows a chunk needs to be judged
    }

Bounds point the way each metric is good: scores (accuracy, precision, recall, f1, roc_auc,
r2) alert below their bound, errors (mae, mse, rmse, mape) above it. Label and reference
sources go through the same target validation as the monitor's own target, so a client of a
server can name only files under its ``--monitor-data-root`` folders, or datasets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.drift.label_values import Label, LabelValueError, class_list
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.deployment_target import (
    ID_COLUMNS,
    feedback_source,
    is_deployment_target,
)
from mlsteward.services.monitoring.targets import validate_target

TASKS = ("binary", "multiclass", "regression")
#: Metrics each task reports; "higher" metrics alert below their bound, "lower" above it.
METRIC_DIRECTIONS: dict[str, dict[str, str]] = {
    "binary": {m: "higher" for m in ("accuracy", "precision", "recall", "f1", "roc_auc")},
    "multiclass": {m: "higher" for m in ("accuracy", "precision", "recall", "f1", "roc_auc")},
    "regression": {
        "mae": "lower",
        "mse": "lower",
        "rmse": "lower",
        "mape": "lower",
        "r2": "higher",
    },
}
DEFAULT_MIN_LABELS = 50
_KEYS = (
    "task",
    "id_column",
    "prediction",
    "scores",
    "classes",
    "labels",
    "label_column",
    "reference",
    "reference_label",
    "bounds",
    "min_labels",
)


def direction(task: str, metric: str) -> str:
    """``"higher"`` when bigger is better (the bound is a minimum), else ``"lower"``."""
    return METRIC_DIRECTIONS[task][metric]


def _column(config: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = config.get(key)
    if value is None:
        if required:
            raise InvalidArgumentError(f"The performance check needs {key!r} (a column name)")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"Performance {key!r} must be a column name, got {value!r}")
    return value


def _scores(task: str, value: object) -> str | dict[str, str] | None:
    if value is None:
        return None
    if task == "regression":
        raise InvalidArgumentError("A regression performance check takes no 'scores'")
    if task == "binary":
        if not isinstance(value, str) or not value:
            raise InvalidArgumentError(
                "Binary 'scores' is the positive-class probability column (one name)"
            )
        return value
    if not isinstance(value, Mapping) or len(value) < 2:
        raise InvalidArgumentError(
            "Multiclass 'scores' maps each class to its probability column, e.g. "
            '{"cat": "p_cat", "dog": "p_dog"}'
        )
    out = {}
    for cls, col in value.items():
        if not isinstance(col, str) or not col:
            raise InvalidArgumentError(f"Score column for class {cls!r} must be a column name")
        out[str(cls)] = col
    if len(out) != len(value):
        raise InvalidArgumentError("The classes of 'scores' must be distinct")
    _score_classes(out)
    return out


def _classes(task: str, value: object) -> list[Any] | None:
    if value is None:
        return None
    if task == "regression":
        raise InvalidArgumentError("A regression performance check takes no 'classes'")
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise InvalidArgumentError("'classes' lists at least two class labels")
    if any(not isinstance(c, str | int) or isinstance(c, bool) for c in value):
        raise InvalidArgumentError("Class labels must be strings or whole numbers")
    try:
        class_list(value)  # compared as labels are: 1 and "1" are one class
    except LabelValueError as error:
        raise InvalidArgumentError(f"Class labels must be distinct: {error}") from None
    if task == "binary" and len(value) != 2:
        raise InvalidArgumentError("A binary task has exactly two classes")
    return list(value)


def _score_classes(scores: Mapping[str, str]) -> list[Label]:
    """The classes a multiclass ``scores`` mapping names, compared as labels."""
    try:
        return class_list(scores)
    except LabelValueError as error:
        raise InvalidArgumentError(f"The classes of 'scores' must be distinct: {error}") from None


def _bounds(task: str, value: object) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError('Performance bounds map a metric to a number, e.g. {"f1": 0.7}')
    known = METRIC_DIRECTIONS[task]
    out = {}
    for metric, bound in value.items():
        if metric not in known:
            raise InvalidArgumentError(
                f"Unknown metric {metric!r} for a {task} task; known: {', '.join(known)}"
            )
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise InvalidArgumentError(f"The bound for {metric!r} must be a number")
        if not math.isfinite(bound):
            raise InvalidArgumentError(f"The bound for {metric!r} must be a finite number")
        out[str(metric)] = float(bound)
    return out


def _min_labels(value: object) -> int:
    if value is None:
        return DEFAULT_MIN_LABELS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError("min_labels must be a whole number of labelled rows, >= 1")
    return value


def validate_performance(
    ctx: ServiceContext, config: Mapping[str, Any], *, deployment: str | None = None
) -> dict[str, Any]:
    """The configuration with defaults filled in, or ``InvalidArgumentError`` saying why not.

    Label and reference targets are checked like the monitor's target (``PermissionDeniedError``
    outside a server's data roots). For a monitor of ``deployment`` the labels default to its
    feedback log (``feedback:NAME``) and the id column to ``prediction_id``: labels join by
    prediction ID and the row's position in its request.
    """
    if not isinstance(config, Mapping):
        raise InvalidArgumentError("The performance configuration must be a mapping")
    unknown = sorted(set(config) - set(_KEYS))
    if unknown:
        raise InvalidArgumentError(
            f"Unknown performance settings {unknown}; known: {', '.join(_KEYS)}"
        )
    task = config.get("task")
    if task not in TASKS:
        raise InvalidArgumentError(f"Performance task must be one of {list(TASKS)}, got {task!r}")
    if deployment is not None:
        given_id = config.get("id_column")
        if given_id not in (None, ID_COLUMNS[0]):
            raise InvalidArgumentError(
                f"A deployment's labels join by prediction ID: id_column is {ID_COLUMNS[0]!r}"
            )
        config = {**config, "id_column": ID_COLUMNS[0]}
    id_column = _column(config, "id_column", required=True)
    prediction = _column(config, "prediction")
    scores = _scores(task, config.get("scores"))
    classes = _classes(task, config.get("classes"))
    if (
        isinstance(scores, dict)
        and classes is not None
        and set(class_list(classes)) != set(_score_classes(scores))
    ):
        raise InvalidArgumentError("'classes' and the classes of 'scores' must be the same")
    if prediction is None:
        if task == "regression":
            raise InvalidArgumentError("A regression performance check needs 'prediction'")
        if scores is None or (task == "binary" and classes is None):
            raise InvalidArgumentError(
                "Give the 'prediction' column, or 'scores' (and for binary 'classes') so the "
                "predicted class can be derived"
            )
    labels = config.get("labels")
    if labels is not None and not isinstance(labels, str):
        raise InvalidArgumentError("'labels' is a file, glob, dataset:REF or feedback:NAME")
    feedback = feedback_source(labels, deployment)
    if feedback is not None and deployment is None:
        raise InvalidArgumentError(
            "labels from a feedback log join by prediction ID: the monitor's target must be "
            "a deployment (deployment:NAME)"
        )
    if feedback is None and (not isinstance(labels, str) or not labels.strip()):
        raise InvalidArgumentError(
            "The performance check needs 'labels': a file, glob or dataset:REF of (id, label)"
        )
    if isinstance(labels, str) and is_deployment_target(labels):
        raise InvalidArgumentError("Labels come from a feedback log: feedback:NAME")
    reference = config.get("reference")
    if reference is not None:
        if task == "regression":
            raise InvalidArgumentError(
                "Estimates (CBPE) are for classifiers: a regression check takes no 'reference'"
            )
        if scores is None:
            raise InvalidArgumentError("Estimating performance from a 'reference' needs 'scores'")
        if not isinstance(reference, str) or is_deployment_target(reference):
            raise InvalidArgumentError("'reference' is a file, glob or dataset:REF")
        reference = validate_target(ctx, reference)
    return {
        "task": task,
        "id_column": id_column,
        "prediction": prediction,
        "scores": scores,
        "classes": classes,
        "labels": feedback or validate_target(ctx, str(labels)),
        "label_column": _column(config, "label_column") or "label",
        "reference": reference,
        "reference_label": _column(config, "reference_label"),
        "bounds": _bounds(task, config.get("bounds")),
        "min_labels": _min_labels(config.get("min_labels")),
    }


def breaks_bound(value: float | None, bound: float, way: str) -> bool:
    """True when ``value`` is on the wrong side of a bound (``way``: ``direction()``);
    missing or NaN values break nothing, an infinite error does."""
    if value is None:
        return False
    return value < bound if way == "higher" else value > bound


def rule(task: str, metric: str, bound: float) -> str:
    """``"accuracy >= 0.8"`` or ``"mae <= 2"``: one bound as people read it."""
    return f"{metric} {'>=' if direction(task, metric) == 'higher' else '<='} {bound:g}"


def describe_bounds(config: Mapping[str, Any]) -> list[str]:
    """``["accuracy >= 0.8", "mae <= 2"]``: the bounds as people read them."""
    return [rule(config["task"], m, b) for m, b in config.get("bounds", {}).items()]
