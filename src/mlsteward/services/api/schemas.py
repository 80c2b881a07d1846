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
from pydantic.json_schema import SkipJsonSchema

from mlsteward.services.api.documented_types import (
    Int64,
    NewRunName,
    RunStatusName,
    SearchMaxResults,
    Tags,
    TagValue,
    TrackingKey,
    TrackingName,
    limited,
)

# A metric value on the wire: a JSON number, or one of the strings JSON needs for NaN/inf.
WireFloat = StrictFloat | Literal["NaN", "Infinity", "-Infinity"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------
class CreateExperimentRequest(_Request):
    name: TrackingName
    tags: Tags | None = None


class ExperimentNameRequest(_Request):
    name: TrackingName


class TagRequest(_Request):
    key: TrackingKey
    value: TagValue


class CreateRunRequest(_Request):
    experiment_id: str
    run_name: NewRunName | None = None
    tags: Tags | None = None
    parent_run_id: str | None = None
    start_time: Int64 | None = Field(default=None, description="milliseconds since the epoch")


class UpdateRunRequest(_Request):
    status: RunStatusName | None = None
    end_time: Int64 | None = Field(default=None, description="milliseconds since the epoch")
    run_name: TrackingName | None = None


def _batch_list(limit: str) -> Any:
    """A log-batch list: the schema states its largest size, the ``limit`` field of the
    server's limits (the service refuses more, in the same words as the local SDK), and
    validation stops at its first bad item, so a batch of bad points costs one error rather
    than one per point."""
    return Field(fail_fast=True, json_schema_extra=limited({}, maxItems=limit))


_POINTS = "max_metrics_per_batch"


class MetricColumns(_Request):
    """Points as parallel arrays: point ``i`` is (keys[i], values[i], timestamps[i], steps[i])."""

    keys: Annotated[list[TrackingKey], _batch_list(_POINTS)]
    values: Annotated[list[WireFloat], _batch_list(_POINTS)]
    timestamps: Annotated[list[Int64], _batch_list(_POINTS)]
    steps: Annotated[list[Int64], _batch_list(_POINTS)]

    @model_validator(mode="after")
    def _same_lengths(self) -> Self:
        lengths = {len(self.keys), len(self.values), len(self.timestamps), len(self.steps)}
        if len(lengths) != 1:
            raise ValueError("keys, values, timestamps and steps must have the same length")
        return self


class MetricPoint(_Request):
    """One point, for clients that prefer objects to columns (slower for large batches)."""

    key: TrackingKey
    value: WireFloat
    timestamp: Int64
    step: Int64 = 0


class KeyValue(_Request):
    key: TrackingKey
    value: str


def _metrics_shape(value: Any) -> str:
    return "columns" if isinstance(value, dict | MetricColumns) else "points"


# Chosen by shape, so a bad batch reports the errors of its own form only.
MetricsBody = Annotated[
    Annotated[MetricColumns, Tag("columns")]
    | Annotated[list[MetricPoint], _batch_list(_POINTS), Tag("points")],
    Discriminator(_metrics_shape),
]


class LogBatchRequest(_Request):
    """Metrics, params and tags written all or nothing.

    ``idempotency_key`` (1-128 characters) makes retries safe: a batch whose key the server
    has already applied is acknowledged with ``applied: false`` and changes nothing.

    The lists hold at most the ``maxItems`` the schema states (``/api/v1/server-info`` reports
    the point limit too). A body holding more values, or more bytes, than a batch within those
    limits can is refused with 413 before it is parsed.
    """

    metrics: MetricsBody | None = None
    params: Annotated[list[KeyValue], _batch_list("max_params_per_batch")] = Field(
        default_factory=list
    )
    tags: Annotated[list[KeyValue], _batch_list("max_tags_per_batch")] = Field(default_factory=list)
    idempotency_key: str | None = None


class SearchRunsRequest(_Request):
    experiment_ids: list[str] | None = None
    filter: str | None = Field(
        default=None, examples=["metrics.loss < 0.5 AND params.model = 'tree'"]
    )
    order_by: list[str] | None = Field(default=None, examples=[["metrics.loss ASC"]])
    run_view_type: Literal["active_only", "deleted_only", "all"] = "active_only"
    max_results: SearchMaxResults = 1000
    page_token: str | None = None


# -- responses (documentation of what the wire encoders write) ---------------------------
class ErrorBody(BaseModel):
    """An error: its stable ``code`` and a message; a service error also names its class
    (``type``) and may add that class's public fields (a gate's ``reasons``, say)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["NOT_FOUND"])
    message: str
    type: str | SkipJsonSchema[None] = Field(
        default=None,
        examples=["FilterSyntaxError"],
        description=(
            "the error's class, a stable name a client may use to raise the same class as "
            "the server did (finer than code, which stays the one to switch on); absent "
            "from errors the router itself produces (unknown route, malformed request)"
        ),
    )


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
