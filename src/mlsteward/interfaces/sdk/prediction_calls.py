"""``PredictionCalls``: the prediction log of one platform as typed methods.

``Client(...).predictions`` returns one: ``get`` a prediction by ID, ``query`` a time range
as a pandas DataFrame, and send ``feedback`` (labels by prediction ID). Names and IDs that
go into a URL are checked here first with the service's own rules, so both doors refuse a
bad one in the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mlsteward.domain.predictions import PredictionRecord
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.predictions import operations as ops
from mlsteward.services.predictions.predictions import check_deployment, check_prediction_id
from mlsteward.services.predictions.wire import (
    DEFAULT_QUERY_ROWS,
    FeedbackReceipt,
    PredictionPage,
    PruneReceipt,
    encode_prediction,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_QUERY_ROWS",
    "FeedbackReceipt",
    "PredictionCalls",
    "PredictionPage",
    "PruneReceipt",
    "prediction_row",
]


def prediction_row(record: PredictionRecord) -> dict[str, Any]:
    """A record as the JSON the REST API answers (for tables, JSON output and files)."""
    return encode_prediction(record)


class PredictionCalls(OperationCaller):
    """Reads the prediction log and records feedback on one SDK backend's platform."""

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    def get(self, prediction_id: str, deployment: str | None = None) -> PredictionRecord:
        """The logged prediction ``prediction_id`` (NotFoundError when not logged)."""
        check_prediction_id(prediction_id)
        if deployment is None:
            return self._call(ops.find, prediction_id=prediction_id)
        check_deployment(deployment)
        return self._call(ops.get, name=deployment, prediction_id=prediction_id)

    def page(
        self, deployment: str, start_ms: int, end_ms: int, limit: int = DEFAULT_QUERY_ROWS
    ) -> PredictionPage:
        """The records made in ``[start_ms, end_ms)``, oldest first, at most ``limit``."""
        check_deployment(deployment)
        return self._call(ops.query, name=deployment, start=start_ms, end=end_ms, limit=limit)

    def query(
        self, deployment: str, start_ms: int, end_ms: int, limit: int = DEFAULT_QUERY_ROWS
    ) -> pd.DataFrame:
        """:meth:`page` as a DataFrame, one row per prediction (``inputs`` and ``outputs``
        hold each request's columns as dicts); ``attrs["truncated"]`` when ``limit`` cut it."""
        import pandas as pd

        page = self.page(deployment, start_ms, end_ms, limit)
        rows = [prediction_row(record) for record in page.predictions]
        columns = list(PredictionRecord.__dataclass_fields__)
        frame = pd.DataFrame(rows, columns=columns)
        frame.attrs["truncated"] = page.truncated
        return frame

    def feedback(
        self, deployment: str, items: Iterable[Mapping[str, Any]] | Mapping[str, Any]
    ) -> FeedbackReceipt:
        """Store labels by prediction ID: ``items`` as ``[{"prediction_id": ..., "labels":
        [...]}]``, or a mapping ``{prediction_id: label or [labels]}``. The receipt lists
        well-formed IDs the log does not hold (yet) in ``unknown``."""
        check_deployment(deployment)
        if isinstance(items, Mapping):
            listed = [
                {"prediction_id": pid, "labels": list(v) if isinstance(v, list | tuple) else [v]}
                for pid, v in items.items()
            ]
        else:
            listed = [dict(item) for item in items]
        return self._call(ops.feedback, name=deployment, items=listed)

    def prune(self, deployment: str, older_than_days: int) -> PruneReceipt:
        """Remove ``deployment``'s logged predictions and labels older than
        ``older_than_days`` days (what its retention setting does daily on a server)."""
        check_deployment(deployment)
        return self._call(ops.prune, name=deployment, older_than_days=older_than_days)
