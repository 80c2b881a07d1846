"""Performance when labels arrive late: join them to predictions by id, per chunk.

Predictions are logged first (an id column, a timestamp, the predicted label or value and, for
classifiers, probabilities); labels come later in a separate table of ``(id, label)`` that may
cover only some of the predictions. :func:`late_label_performance` joins the two by id, computes
realized metrics per chunk on the labelled rows (and says how many there were), and, given a
labelled reference for a classifier, runs confidence-based estimation on every prediction so the
report shows estimated and realized performance side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.drift import (
    CBPE,
    Chunker,
    Frame,
    PerformanceReport,
    realized_performance,
    to_jsonable,
)
from mlsteward.engines.drift.label_values import (
    MISSING_LABEL,
    UNKNOWN,
    Label,
    LabelValueError,
    class_list,
    class_of,
    distinct_labels,
    dropped_messages,
    infer_classes,
    label_codes,
    label_text,
    not_a_class,
)
from mlsteward.engines.drift.performance import NO_ROW_TO_SCORE
from mlsteward.services.monitoring.late_label_figures import LabelCoverage, LateLabelFigures
from mlsteward.services.monitoring.late_label_report import late_label_html
from mlsteward.services.monitoring.performance_windows import window_rows
from mlsteward.services.monitoring.reports import ChunkBy, make_chunker

LABEL_TARGET = "__label__"
#: The message of a classifier's result without a labelled reference.
NO_REFERENCE = "no labelled reference: realized metrics only, no estimates"


@dataclass(frozen=True)
class LateLabelPerformance(LateLabelFigures):
    """The figures of :func:`late_label_performance`, with their table and HTML page."""

    def windows(self) -> list[dict[str, Any]]:
        """Per chunk (or whole): labelled/total, realized metrics, estimate with band."""
        return window_rows(self)

    def to_html(self, title: str = "Performance with late labels") -> str:
        """One offline page: the per-window table and the metrics over time."""
        return late_label_html(self, title)

    def save_html(self, path: str | Path, title: str = "Performance with late labels") -> Path:
        target = Path(path)
        target.write_text(self.to_html(title), encoding="utf-8")
        return target

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "realized": self.realized.to_dict(),
            "estimated": self.estimated.to_dict() if self.estimated is not None else None,
            "coverage": [{**to_jsonable(c), "share": c.share} for c in self.coverage],
            "messages": list(self.messages),
        }


def join_labels(
    predictions: object, labels: object, *, id_column: str, label_column: str = "label"
) -> tuple[pd.DataFrame, list[str]]:
    """Predictions with a ``__label__`` column joined by id (missing where not labelled yet).

    Row order and count of ``predictions`` are kept. Label rows without a value are ignored;
    a label given twice for one id counts once (the last one wins); labels for ids without a
    prediction are counted and ignored. Each of these is a message.
    """
    pred = _frame(predictions, "predictions")
    lab = _frame(labels, "labels")
    for name, df, col in (("predictions", pred, id_column), ("labels", lab, id_column)):
        if col not in df.columns:
            raise InvalidArgumentError(f"{name} have no id column {col!r}")
    if label_column not in lab.columns:
        raise InvalidArgumentError(f"labels have no column {label_column!r}")
    if pred[id_column].duplicated().any():
        raise InvalidArgumentError(f"prediction ids in {id_column!r} must be unique")
    messages: list[str] = []
    lab = lab[[id_column, label_column]].dropna(subset=[id_column])
    blank = int(lab[label_column].isna().sum())
    if blank:
        # Dropped before de-duplication: an empty cell does not replace a real label.
        messages.append(f"{blank} label row(s) without a value ignored")
        lab = lab.dropna(subset=[label_column])
    repeated = int(lab[id_column].duplicated(keep="last").sum())
    if repeated:
        messages.append(f"{repeated} repeated label(s) for one id: the last one is used")
        lab = lab.drop_duplicates(subset=[id_column], keep="last")
    # Compare ids as text so an int id matches the same id read back as a string.
    keys = lab[id_column].astype(str)
    pred_keys = pred[id_column].astype(str)
    orphans = int((~keys.isin(pred_keys)).sum())
    if orphans:
        messages.append(f"{orphans} label(s) for ids without a prediction ignored")
    where = pd.Index(keys.to_numpy()).get_indexer(pd.Index(pred_keys.to_numpy()))
    found = where >= 0
    values = lab[label_column].to_numpy()
    if pd.api.types.is_float_dtype(values.dtype):
        column: np.ndarray = np.full(where.size, np.nan)
    else:  # object, so a missing label does not turn the label 1 into 1.0
        column = np.full(where.size, None, dtype=object)
    column[found] = values[where[found]]
    joined = pred.copy()
    joined[LABEL_TARGET] = column
    return joined, messages


def late_label_performance(
    predictions: object,
    labels: object,
    *,
    id_column: str,
    task: str,
    prediction: str | None = None,
    label_column: str = "label",
    scores: str | Mapping[Any, str] | None = None,
    classes: Sequence[object] | None = None,
    reference: object | None = None,
    reference_label: str | None = None,
    chunk_by: ChunkBy = None,
    timestamp_column: str | None = None,
) -> LateLabelPerformance:
    """Realized metrics per chunk on labelled predictions, beside CBPE estimates.

    ``task`` is ``"binary"``, ``"multiclass"`` or ``"regression"``; ``prediction`` names the
    predicted label/value column and ``scores`` the positive-class probability column
    (binary) or a mapping class -> probability column (multiclass). With a labelled
    ``reference`` (its label column ``reference_label``, default ``label_column``) a
    classifier's metrics are also estimated on every prediction, labelled or not.
    """
    if task not in ("binary", "multiclass", "regression"):
        raise InvalidArgumentError("task must be 'binary', 'multiclass' or 'regression'")
    joined, messages = join_labels(
        predictions, labels, id_column=id_column, label_column=label_column
    )
    chunker = make_chunker(chunk_by, timestamp_column)
    if prediction is None and task == "regression":
        raise InvalidArgumentError("regression needs the prediction column")
    try:
        predicted = prediction or _argmax_prediction(joined, scores, classes)
        if task != "regression":
            classes = _resolve_classes(joined, task, predicted, scores, classes, messages)
    except LabelValueError as error:
        text = str(error).replace(repr(LABEL_TARGET), repr(label_column))
        raise InvalidArgumentError(text) from error
    try:
        realized = realized_performance(
            joined,
            task=task,
            target=LABEL_TARGET,
            prediction=predicted,
            scores=_score_columns(scores, classes),
            classes=classes,
            chunker=chunker,
        )
    except ValueError as error:
        # Name the user's label column, not the joined frame's internal one.
        text = str(error).replace(repr(LABEL_TARGET), f"{label_column!r} (labels)")
        raise InvalidArgumentError(f"Cannot compute realized performance: {text}") from error
    messages += _realized_notes(realized, classes)
    coverage = _coverage(joined, chunker)
    estimated = None
    if reference is not None and task != "regression":
        if scores is None:
            raise InvalidArgumentError("estimating performance needs probability columns")
        estimator = CBPE(
            task=task,
            y_true=LABEL_TARGET,
            y_pred_proba=scores,
            y_pred=prediction,
            chunker=chunker,
            classes=classes if task == "binary" else None,
        )
        ref_label = reference_label or label_column
        ref = _frame(reference, "reference")
        if ref_label not in ref.columns:
            raise InvalidArgumentError(f"the reference has no label column {ref_label!r}")
        ref = ref.rename(columns={ref_label: LABEL_TARGET})
        try:
            estimated = estimator.fit(ref).estimate(joined)
        except (KeyError, ValueError) as error:
            text = str(error).replace(repr(LABEL_TARGET), f"{ref_label!r} (reference labels)")
            raise InvalidArgumentError(f"Cannot estimate performance: {text}") from error
        messages += estimator.fit_messages
        messages += [f"estimates: {m}" for m in dropped_messages(estimated.whole.dropped)]
    elif reference is None and task != "regression":
        messages.append(NO_REFERENCE)
    return LateLabelPerformance(task, realized, estimated, coverage, tuple(messages))


def _frame(data: object, what: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    try:
        frame = Frame(data)
        return pd.DataFrame({name: frame.series(name) for name in frame.columns})
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Cannot read the {what}: {error}") from error


def _score_of(scores: Mapping[Any, str], cls: object) -> str:
    """The probability column of ``cls``: keys are compared as labels (JSON text keys too)."""
    column = class_of(scores, cls)
    if column is None:
        raise InvalidArgumentError(f"'scores' has no probability column for the class {cls!r}")
    return column


def _score_columns(
    scores: str | Mapping[Any, str] | None, classes: Sequence[object] | None
) -> str | list[str] | None:
    if scores is None or isinstance(scores, str):
        return scores
    order = list(classes) if classes is not None else list(scores)
    return [_score_of(scores, c) for c in order]


def _resolve_classes(
    joined: pd.DataFrame,
    task: str,
    predicted: str,
    scores: str | Mapping[Any, str] | None,
    classes: Sequence[object] | None,
    messages: list[str],
) -> list[Label]:
    """The class order metrics use (binary: the last is positive; multiclass: the order of
    the probability columns), and a message for labels that are none of the classes.

    Without ``classes``, a multiclass mapping gives the order; otherwise the distinct labels
    and predictions (compared by value, sorted), and a binary task with more than two is an error
    rather than metrics computed for a made-up positive class.
    """
    labelled = joined[LABEL_TARGET]
    order: list[Label]
    if classes is not None:
        order = class_list(classes)
    elif isinstance(scores, Mapping):
        order = class_list(scores)
    else:
        seen = [labelled, joined[predicted]] if predicted in joined else [labelled]
        names = (LABEL_TARGET, predicted)
        order = infer_classes(task, distinct_labels(*seen, names=names), "labels and predictions")
    outside = int(np.count_nonzero(label_codes(labelled, order, LABEL_TARGET) == UNKNOWN))
    if outside:
        messages.append(
            f"{outside} label(s) are none of the classes {[label_text(c) for c in order]}: "
            "not scored"
        )
    return order


def _realized_notes(realized: PerformanceReport, classes: Sequence[object] | None) -> list[str]:
    """The realized report's messages, but for rows left out for their label: a missing label
    is coverage, a label outside the classes has its own message."""
    said = {MISSING_LABEL}
    if classes is not None:
        said.add(not_a_class("label", class_list(classes)))
    dropped = realized.whole.dropped
    skip = set(dropped_messages({k: n for k, n in dropped.items() if k in said}))
    if set(dropped) <= said:  # nothing scored only because nothing is labelled yet
        skip.add(NO_ROW_TO_SCORE)
    return [f"realized metrics: {m}" for m in realized.messages if m not in skip]


def _argmax_prediction(
    joined: pd.DataFrame,
    scores: str | Mapping[Any, str] | None,
    classes: Sequence[object] | None,
) -> str:
    """Without a prediction column: add the arg-max class (multiclass) or p >= 0.5 (binary)."""
    name = "__predicted__"
    if isinstance(scores, Mapping):
        order = list(classes) if classes is not None else list(scores)
        matrix = joined[[_score_of(scores, c) for c in order]].to_numpy(dtype=np.float64)
        joined[name] = np.asarray(order, dtype=object)[np.argmax(matrix, axis=1)]
        return name
    if isinstance(scores, str) and classes is not None and len(classes) == 2:
        p = joined[scores].to_numpy(dtype=np.float64)
        pair = np.asarray([classes[0], classes[1]], dtype=object)
        joined[name] = pair[(p >= 0.5).astype(np.int64)]
        return name
    raise InvalidArgumentError("give the prediction column (or probabilities and classes)")


def _coverage(joined: pd.DataFrame, chunker: Chunker | None) -> tuple[LabelCoverage, ...]:
    has = joined[LABEL_TARGET].notna().to_numpy()
    out = [LabelCoverage("whole", int(has.size), int(has.sum()))]
    if chunker is not None:
        for chunk in chunker.split(joined).chunks:
            part = has[chunk.rows]
            out.append(LabelCoverage(chunk.info.key, int(part.size), int(part.sum())))
    return tuple(out)
