"""A monitor of a deployment: its prediction log as the data, its feedback as the labels.

Each run reads the log's records made since the last run (``state["cursor_ms"]``; the first
run looks back ``lookback_s``) up to a little before now: the data plane writes its log
asynchronously, so the newest :data:`SETTLE_MS` are left for the next run rather than read
half-flushed. Only the stable and canary routes count — shadow answers were never returned.

Rows for drift are the model's answered requests expanded to one row per request row: a
column per input and per output (``predict``; a list-valued output such as
``predict_proba`` becomes ``predict_proba_0``, ``predict_proba_1``, ...), beside
``prediction_id``, ``row`` and ``prediction_time`` (never tested). The performance check
joins labels from the feedback log by prediction ID and row, over the predictions made
within ``lookback_s``, since labels arrive late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import Monitor
from mlsteward.services.context import ServiceContext
from mlsteward.services.predictions.location import feedback_log, log_reader
from mlsteward.storage.prediction_log import is_deployment_name, rows_frame

DEPLOYMENT_PREFIX = "deployment:"
FEEDBACK_PREFIX = "feedback:"
#: The newest part of the log a run leaves for the next one (the writer flushes every second).
SETTLE_MS = 10_000
#: Routes whose answers clients received.
SERVED_ROUTES = ("stable", "canary")
#: Columns every row of a deployment's data has besides its inputs and outputs.
ID_COLUMNS = ("prediction_id", "row")
TIME_COLUMN = "prediction_time"
#: The join key of predictions and labels: ``<prediction ID>:<row>``.
KEY_COLUMN = "__prediction_row__"
CURSOR = "cursor_ms"


def is_deployment_target(target: str) -> bool:
    return target.startswith(DEPLOYMENT_PREFIX)


def deployment_name(target: str) -> str:
    """The deployment a ``deployment:NAME`` target names (checked: 400 when malformed)."""
    name = target[len(DEPLOYMENT_PREFIX) :]
    if not is_deployment_name(name):
        raise InvalidArgumentError(
            f"deployment: targets name a deployment (letters, digits, '.', '_', '-', "
            f"optionally @alias or @version), got {name[:80]!r}"
        )
    return name


def feedback_source(labels: str | None, deployment: str | None) -> str | None:
    """``feedback:NAME`` for labels naming the feedback log (``feedback:`` alone: the target
    deployment's); None when ``labels`` names something else. The default for a deployment
    target without labels is its own feedback."""
    if labels is None:
        return f"{FEEDBACK_PREFIX}{deployment}" if deployment is not None else None
    if not labels.startswith(FEEDBACK_PREFIX):
        return None
    name = labels[len(FEEDBACK_PREFIX) :] or deployment
    if name is None:
        raise InvalidArgumentError(
            "labels 'feedback:' means the target deployment's feedback: name one "
            "(feedback:NAME) or monitor a deployment: target"
        )
    return f"{FEEDBACK_PREFIX}{deployment_name(DEPLOYMENT_PREFIX + name)}"


@dataclass
class DeploymentWindow:
    """One run's part of the log: the served records, the rows for drift and the window."""

    records: pa.Table
    frame: pd.DataFrame | None
    start_ms: int | None
    end_ms: int
    cursor_ms: int
    messages: list[str] = field(default_factory=list)

    @property
    def throughput_start(self) -> int | None:
        """Where the window began: the last run's cursor, else the first record's time."""
        if self.start_ms is not None:
            return self.start_ms
        if self.records.num_rows:
            return int(pc.min(self.records.column("time_ms")).as_py())
        return None


def _served(table: pa.Table) -> pa.Table:
    routes = pa.array(SERVED_ROUTES, pa.string())
    return table.filter(pc.is_in(table.column("route"), value_set=routes))


def _answered(table: pa.Table) -> pa.Table:
    return table.filter(pc.less(table.column("status"), 400))


def _expand_lists(frame: pd.DataFrame, keep: tuple[str, ...]) -> pd.DataFrame:
    """A list-valued column as one column per position (``name_0``, ``name_1``, ...)."""
    parts = []
    for name in frame.columns:
        column = frame[name]
        if name not in keep and column.map(lambda v: isinstance(v, list)).any():
            values = [v if isinstance(v, list) else [] for v in column]
            wide = pd.DataFrame(values, index=frame.index)
            wide.columns = [f"{name}_{i}" for i in wide.columns]
            parts.append(wide)
        else:
            parts.append(column.to_frame())
    return pd.concat(parts, axis=1) if parts else frame


def request_rows(table: pa.Table, *, inputs: bool = True) -> pd.DataFrame:
    """One row per request row of ``table`` (answered records): outputs and, with
    ``inputs``, the inputs, plus the id columns and the prediction's time."""
    outputs = _expand_lists(rows_frame(table, "outputs"), ID_COLUMNS)
    if inputs:
        given = _expand_lists(rows_frame(table, "inputs"), ID_COLUMNS)
        frame = given.merge(outputs, on=list(ID_COLUMNS), how="left", suffixes=("", "_output"))
    else:
        frame = outputs
    times = dict(
        zip(
            table.column("prediction_id").to_pylist(),
            table.column("time_ms").to_pylist(),
            strict=True,
        )
    )
    frame[TIME_COLUMN] = pd.to_datetime(frame["prediction_id"].map(times), unit="ms", utc=True)
    return frame


def output_columns(table: pa.Table) -> list[str]:
    """The expanded output columns of answered records (marked as predictions for drift)."""
    frame = _expand_lists(rows_frame(table, "outputs"), ID_COLUMNS)
    return [c for c in frame.columns if c not in ID_COLUMNS]


def read_window(ctx: ServiceContext, monitor: Monitor) -> DeploymentWindow:
    """The served records made since the last run (to ``SETTLE_MS`` before now)."""
    name = deployment_name(monitor.target)
    now = ctx.clock()
    cursor = monitor.state.get(CURSOR)
    start = int(cursor) if isinstance(cursor, int) else None
    lookback = monitor.lookback_s
    read_from = start if start is not None else (now - lookback * 1000 if lookback else 0)
    end = max(now - SETTLE_MS, read_from)
    records = _served(log_reader(ctx).query(name, read_from, end))
    window = DeploymentWindow(records, None, start, end, end)
    answered = _answered(records)
    if answered.num_rows:
        window.frame = request_rows(answered)
    if not records.num_rows:
        window.messages.append(f"no predictions of deployment {name!r} logged in this window")
    return window


def identifier_columns(monitor: Monitor) -> list[str]:
    """Columns of a deployment's rows never tested: its ids, and the time unless chunked by."""
    names = [*ID_COLUMNS, *monitor.identifier_columns]
    if monitor.chunking.get("timestamp_column") != TIME_COLUMN:
        names.append(TIME_COLUMN)
    return list(dict.fromkeys(names))


def performance_frames(
    ctx: ServiceContext, monitor: Monitor, end_ms: int
) -> tuple[pd.DataFrame | None, pd.DataFrame, list[str]]:
    """The predictions made within the lookback and their labels from the feedback log,
    both keyed by :data:`KEY_COLUMN`; notes on what was read."""
    config: Mapping[str, Any] = monitor.performance or {}
    name = deployment_name(monitor.target)
    source = str(config.get("labels") or "")
    labelled = source[len(FEEDBACK_PREFIX) :] if source.startswith(FEEDBACK_PREFIX) else name
    lookback = monitor.lookback_s
    since = ctx.clock() - lookback * 1000 if lookback else 0
    columns = ["prediction_id", "route", "status", "time_ms", "outputs"]
    log = _answered(_served(log_reader(ctx).query(name, since, end_ms, columns=columns)))
    label_column = str(config.get("label_column") or "label")
    feedback = feedback_log(ctx).read(labelled, start_ms=since)
    labels = rows_frame(feedback, "labels").rename(columns={"label": label_column})
    if label_column not in labels.columns:  # no feedback yet: an empty table of labels
        labels[label_column] = pd.Series([], dtype=object)
    labels[KEY_COLUMN] = _keys(labels)
    notes = [f"labels: {feedback.num_rows} feedback item(s) of deployment {labelled!r}"]
    if not log.num_rows:
        return None, labels, notes
    predictions = request_rows(log, inputs=False)
    predictions[KEY_COLUMN] = _keys(predictions)
    return predictions, labels, notes


def _keys(frame: pd.DataFrame) -> pd.Series:
    if not len(frame):
        return pd.Series([], dtype=object)
    return frame["prediction_id"].astype(str) + ":" + frame["row"].astype(int).astype(str)
