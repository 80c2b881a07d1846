"""How predictions and feedback travel: the JSON shapes, documented, and their codecs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel

from mlsteward.domain.predictions import PredictionRecord
from mlsteward.services.api.documented_types import documented
from mlsteward.storage.prediction_log import DEPLOYMENT_PATTERN

#: Most predictions one query answers, most feedback items (and labels) one request carries.
MAX_QUERY_ROWS = 10_000
DEFAULT_QUERY_ROWS = 1_000
MAX_FEEDBACK_ITEMS = 10_000
MAX_LABELS = 100_000
#: A prediction ID as ``new_prediction_id`` makes it (UUIDv7, lower case).
PREDICTION_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

DeploymentName = Annotated[
    str,
    documented({"type": "string", "minLength": 1, "pattern": DEPLOYMENT_PATTERN.pattern}),
]
PredictionId = Annotated[
    str, documented({"type": "string", "minLength": 36, "pattern": PREDICTION_ID_PATTERN})
]
QueryLimit = Annotated[
    int, documented({"type": "integer", "minimum": 1, "maximum": MAX_QUERY_ROWS})
]
TimeMs = Annotated[int, documented({"type": "integer", "minimum": 0, "maximum": 2**48 - 1})]
#: Retention in whole days: at least one, at most about 100 years.
MAX_RETENTION_DAYS = 36_500
RetentionDays = Annotated[
    int, documented({"type": "integer", "minimum": 1, "maximum": MAX_RETENTION_DAYS})
]


@dataclass(frozen=True)
class PredictionPage:
    """The predictions of a time range, oldest first; ``truncated`` when the limit cut it."""

    predictions: list[PredictionRecord] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class FeedbackReceipt:
    """How many labels were stored, and which of their IDs the log does not hold (yet)."""

    accepted: int
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PruneReceipt:
    """How many prediction-log and feedback files a prune removed."""

    prediction_files: int
    feedback_files: int


class PredictionOut(BaseModel):
    prediction_id: str
    deployment: str
    model_name: str
    model_version: int
    route: str
    time_ms: int
    latency_ms: float
    rows: int
    inputs: dict[str, list[Any]]
    outputs: dict[str, list[Any]]
    status: int
    error: str | None
    #: A shadow copy's: the prediction ID of the answered request it copied.
    shadow_of: str | None = None


class PredictionPageOut(BaseModel):
    predictions: list[PredictionOut]
    truncated: bool


class FeedbackItemIn(BaseModel):
    prediction_id: str
    #: One label per row of the request the prediction answered.
    labels: list[Any]


class FeedbackIn(BaseModel):
    #: At most ``MAX_FEEDBACK_ITEMS`` items and ``MAX_LABELS`` labels in all.
    items: list[FeedbackItemIn]


class PruneReceiptOut(BaseModel):
    prediction_files: int
    feedback_files: int


class FeedbackReceiptOut(BaseModel):
    accepted: int
    unknown: list[str]


def encode_prediction(record: PredictionRecord) -> dict[str, Any]:
    return {
        "prediction_id": record.prediction_id,
        "deployment": record.deployment,
        "model_name": record.model_name,
        "model_version": record.model_version,
        "route": record.route,
        "time_ms": record.time_ms,
        "latency_ms": record.latency_ms,
        "rows": record.rows,
        "inputs": record.inputs,
        "outputs": record.outputs,
        "status": record.status,
        "error": record.error,
        "shadow_of": record.shadow_of,
    }


def decode_prediction(raw: dict[str, Any]) -> PredictionRecord:
    return PredictionRecord(**raw)


def encode_page(page: PredictionPage) -> dict[str, Any]:
    return {
        "predictions": [encode_prediction(record) for record in page.predictions],
        "truncated": page.truncated,
    }


def decode_page(raw: dict[str, Any]) -> PredictionPage:
    return PredictionPage(
        [decode_prediction(item) for item in raw["predictions"]], raw["truncated"]
    )


def encode_receipt(receipt: FeedbackReceipt) -> dict[str, Any]:
    return {"accepted": receipt.accepted, "unknown": list(receipt.unknown)}


def decode_receipt(raw: dict[str, Any]) -> FeedbackReceipt:
    return FeedbackReceipt(int(raw["accepted"]), list(raw["unknown"]))


def encode_prune(receipt: PruneReceipt) -> dict[str, Any]:
    return {"prediction_files": receipt.prediction_files, "feedback_files": receipt.feedback_files}


def decode_prune(raw: dict[str, Any]) -> PruneReceipt:
    return PruneReceipt(int(raw["prediction_files"]), int(raw["feedback_files"]))
