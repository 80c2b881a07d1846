"""Request and response bodies of the REST API (pydantic v2), which the OpenAPI document shows.

Requests are validated against these models; unknown fields are refused so a misspelt field
is an error rather than silently ignored. Responses are written by the ``wire`` encoders
directly (skipping a second validation pass on large payloads); the response models here
document their shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictFloat,
    Tag,
    model_validator,
)

# A metric value on the wire: a JSON number, or one of the strings JSON needs for NaN/inf.
WireFloat = StrictFloat | Literal["NaN", "Infinity", "-Infinity"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------
class CreateExperimentRequest(_Request):
    name: str
    tags: dict[str, str] | None = None


class ExperimentNameRequest(_Request):
    name: str


class TagRequest(_Request):
    key: str
    value: str


class CreateRunRequest(_Request):
    experiment_id: str
    run_name: str | None = None
    tags: dict[str, str] | None = None
    parent_run_id: str | None = None
    start_time: int | None = None


class UpdateRunRequest(_Request):
    status: str | None = None
    end_time: int | None = None
    run_name: str | None = None


class MetricColumns(_Request):
    """Points as parallel arrays: point ``i`` is (keys[i], values[i], timestamps[i], steps[i])."""

    keys: list[str]
    values: list[WireFloat]
    timestamps: list[int]
    steps: list[int]

    @model_validator(mode="after")
    def _same_lengths(self) -> Self:
        lengths = {len(self.keys), len(self.values), len(self.timestamps), len(self.steps)}
        if len(lengths) != 1:
            raise ValueError("keys, values, timestamps and steps must have the same length")
        return self


class MetricPoint(_Request):
    """One point, for clients that prefer objects to columns (slower for large batches)."""

    key: str
    value: WireFloat
    timestamp: int
    step: int = 0


class KeyValue(_Request):
    key: str
    value: str


def _metrics_shape(value: Any) -> str:
    return "columns" if isinstance(value, dict | MetricColumns) else "points"


# Chosen by shape, so a bad batch reports the errors of its own form only.
MetricsBody = Annotated[
    Annotated[MetricColumns, Tag("columns")] | Annotated[list[MetricPoint], Tag("points")],
    Discriminator(_metrics_shape),
]


class LogBatchRequest(_Request):
    """Metrics, params and tags written all or nothing.

    ``idempotency_key`` (1-128 characters) makes retries safe: a batch whose key the server
    has already applied is acknowledged with ``applied: false`` and changes nothing.
    """

    metrics: MetricsBody | None = None
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)
    idempotency_key: str | None = None


class SearchRunsRequest(_Request):
    experiment_ids: list[str] | None = None
    filter: str | None = Field(
        default=None, examples=["metrics.loss < 0.5 AND params.model = 'tree'"]
    )
    order_by: list[str] | None = Field(default=None, examples=[["metrics.loss ASC"]])
    run_view_type: Literal["active_only", "deleted_only", "all"] = "active_only"
    max_results: int = 1000
    page_token: str | None = None


# -- responses (documentation of what the wire encoders write) ---------------------------
class ErrorBody(BaseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ExperimentOut(BaseModel):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: Literal["active", "deleted"]
    creation_time: int
    last_update_time: int
    tags: dict[str, str]


class ExperimentListOut(BaseModel):
    experiments: list[ExperimentOut]


class RunInfoOut(BaseModel):
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: Literal["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
    start_time: int
    end_time: int | None
    lifecycle_stage: Literal["active", "deleted"]
    artifact_uri: str
    parent_run_id: str | None


class RunDataOut(BaseModel):
    params: dict[str, str]
    metrics: dict[str, WireFloat]
    tags: dict[str, str]


class RunOut(BaseModel):
    info: RunInfoOut
    data: RunDataOut


class RunPageOut(BaseModel):
    runs: list[RunOut]
    next_page_token: str | None


class LogBatchOut(BaseModel):
    applied: bool = Field(description="False when the idempotency key had already been applied")


class MetricHistoryOut(BaseModel):
    """Columns as JSON lists, or (``encoding="base64-le"``) as base64 strings."""

    key: str
    values: list[WireFloat] | str
    timestamps: list[int] | str
    steps: list[int] | str
    encoding: str | None = None


class MetricKeysOut(BaseModel):
    keys: list[str]


class ArtifactEntryOut(BaseModel):
    path: str
    is_dir: bool
    size: int | None
    digest: str | None


class ArtifactListOut(BaseModel):
    files: list[ArtifactEntryOut]


class ArtifactRecordOut(BaseModel):
    path: str
    digest: str
    size: int


class HealthOut(BaseModel):
    status: str


class ServerInfoOut(BaseModel):
    version: str
    max_json_body_bytes: int
    max_artifact_bytes: int
    max_metrics_per_batch: int
