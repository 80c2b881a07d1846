"""Reading the prediction log and taking labels for it: every rule the doors share.

Deployment names and prediction IDs are checked before anything is opened, so a hostile
value (``../x``, a glob, a huge list) is refused with a 400 and reaches no file. A
deployment record need not exist: a one-off ``serve models:/churn@champion`` logs under
``churn@champion``.

Feedback takes labels by prediction ID. IDs must be well formed and not from the future (a
minute of clock difference between data plane and control plane is allowed); a well-formed
ID the log does not hold is still stored, since labels may arrive before the data plane
flushed its log, and is reported in ``unknown`` so the caller can tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.prediction_ids import is_prediction_id, prediction_id_time
from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.services.context import ServiceContext
from mlsteward.services.predictions import location
from mlsteward.services.predictions.wire import (
    DEFAULT_QUERY_ROWS,
    MAX_FEEDBACK_ITEMS,
    MAX_LABELS,
    MAX_QUERY_ROWS,
    MAX_RETENTION_DAYS,
    FeedbackReceipt,
    PredictionPage,
    PruneReceipt,
)
from mlsteward.storage.prediction_log import is_deployment_name, records_of

#: How far in the future a prediction ID's time may be (clocks differ between machines).
CLOCK_SKEW_MS = 60_000
DAY_MS = 86_400_000
MAX_LABEL_TEXT = 4_096
_SHOWN = 20


def check_deployment(name: object) -> str:
    if not is_deployment_name(name):
        raise InvalidArgumentError(
            f"Invalid deployment name {str(name)[:80]!r}: letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, optionally followed by @alias or @version"
        )
    return str(name)


def check_prediction_id(value: object) -> str:
    if not is_prediction_id(value):
        raise InvalidArgumentError(
            f"Invalid prediction ID {str(value)[:64]!r}: expected a UUIDv7 in lower case"
        )
    return str(value)


def get_prediction(
    ctx: ServiceContext, deployment: str | None, prediction_id: str
) -> PredictionRecord:
    """One logged prediction, of ``deployment`` or of any when None."""
    if deployment is not None:
        check_deployment(deployment)
    check_prediction_id(prediction_id)
    found = location.log_reader(ctx).get(prediction_id, deployment)
    if found is None:
        where = f" of deployment {deployment!r}" if deployment else ""
        raise NotFoundError(
            f"No logged prediction {prediction_id}{where} (it may not be flushed yet, or "
            "was sampled out or removed by retention)"
        )
    return found


def query_predictions(
    ctx: ServiceContext, deployment: str, start_ms: int, end_ms: int, limit: int | None = None
) -> PredictionPage:
    """The predictions made in ``[start_ms, end_ms)``, oldest first, at most ``limit``."""
    check_deployment(deployment)
    for name, value in (("start", start_ms), ("end", end_ms)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**48:
            raise InvalidArgumentError(f"{name} must be a time in epoch milliseconds: {value!r}")
    if end_ms < start_ms:
        raise InvalidArgumentError(f"end ({end_ms}) is before start ({start_ms})")
    rows = DEFAULT_QUERY_ROWS if limit is None else limit
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_QUERY_ROWS:
        raise InvalidArgumentError(f"limit must be between 1 and {MAX_QUERY_ROWS}: {limit!r}")
    table = location.log_reader(ctx).query(deployment, start_ms, end_ms, limit=rows + 1)
    records = records_of(table.slice(0, rows))
    return PredictionPage(records, truncated=table.num_rows > rows)


def prune_predictions(ctx: ServiceContext, deployment: str, older_than_days: int) -> PruneReceipt:
    """Remove a deployment's logged predictions (whole hours) and labels (whole days) that
    ended more than ``older_than_days`` days ago; what a deployment's retention setting runs."""
    check_deployment(deployment)
    days = older_than_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
        raise InvalidArgumentError(
            f"older_than_days must be a whole number of days from 1 to {MAX_RETENTION_DAYS}: "
            f"{older_than_days!r}"
        )
    cutoff = ctx.clock() - days * DAY_MS
    removed = location.log_reader(ctx).prune(deployment, cutoff)
    labels = location.feedback_log(ctx).prune(deployment, cutoff)
    return PruneReceipt(removed, labels)


def record_feedback(ctx: ServiceContext, deployment: str, items: Sequence[Any]) -> FeedbackReceipt:
    """Store labels for logged predictions (see the module docstring for what is refused)."""
    check_deployment(deployment)
    if not isinstance(items, Sequence) or isinstance(items, str | bytes) or not items:
        raise InvalidArgumentError("items must be a non-empty list of {prediction_id, labels}")
    if len(items) > MAX_FEEDBACK_ITEMS:
        raise InvalidArgumentError(
            f"Too many feedback items: {len(items)} (at most {MAX_FEEDBACK_ITEMS} per request)"
        )
    pairs = [_pair(item) for item in items]
    total = sum(len(labels) for _, labels in pairs)
    if total > MAX_LABELS:
        raise InvalidArgumentError(f"Too many labels: {total} (at most {MAX_LABELS} per request)")
    now = ctx.clock()
    malformed = [str(pid)[:64] for pid, _ in pairs if not is_prediction_id(pid)]
    if malformed:
        raise InvalidArgumentError(
            f"{len(malformed)} malformed prediction ID(s) (expected UUIDv7): "
            f"{malformed[:_SHOWN]}{' ...' if len(malformed) > _SHOWN else ''}"
        )
    future = [pid for pid, _ in pairs if prediction_id_time(pid) > now + CLOCK_SKEW_MS]
    if future:
        raise InvalidArgumentError(
            f"{len(future)} prediction ID(s) from the future: "
            f"{future[:_SHOWN]}{' ...' if len(future) > _SHOWN else ''}"
        )
    for pid, labels in pairs:
        _check_labels(pid, labels)
    known = location.log_reader(ctx).find_ids(deployment, [pid for pid, _ in pairs])
    feedback = [Feedback(pid, deployment, list(labels), now, ctx.actor) for pid, labels in pairs]
    location.feedback_log(ctx).append(deployment, feedback)
    unknown = sorted({pid for pid, _ in pairs if pid not in known})
    return FeedbackReceipt(accepted=len(feedback), unknown=unknown)


def _pair(item: Any) -> tuple[Any, Any]:
    """``(prediction_id, labels)`` of an item given as a model or a mapping."""
    if isinstance(item, dict):
        pid, labels = item.get("prediction_id"), item.get("labels")
    else:
        pid, labels = getattr(item, "prediction_id", None), getattr(item, "labels", None)
    return pid, labels


def _check_labels(prediction_id: str, labels: Any) -> None:
    if not isinstance(labels, list | tuple) or not labels:
        raise InvalidArgumentError(
            f"labels of {prediction_id} must be a non-empty list (one label per row)"
        )
    for label in labels:
        if label is None or isinstance(label, bool | int | float):
            continue
        if isinstance(label, str) and len(label) <= MAX_LABEL_TEXT:
            continue
        raise InvalidArgumentError(
            f"labels of {prediction_id} must be numbers, booleans, text (at most "
            f"{MAX_LABEL_TEXT} characters) or null: {str(label)[:40]!r}"
        )
