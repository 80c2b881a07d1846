"""Request and response bodies of the monitoring operations, for validation and the document.

Requests refuse unknown fields; the services still judge every value's meaning. Responses are
written by :mod:`wire_monitoring`; the ``*Out`` models describe their shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_serializer,
)

from mlsteward.domain.monitoring import DEFAULT_CHECKS, DEFAULT_LOOKBACK_S
from mlsteward.services.api.documented_types import (
    CheckNames,
    DriftShare,
    IntervalSeconds,
    MonitoringName,
    Webhooks,
)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------
class ProfileRequest(_Request):
    """A computed ``profile``, or ``from_dataset`` (``dataset:NAME@VERSION``) to profile a
    stored dataset version on the server (with ``chunk_size``), tied to that version."""

    name: MonitoringName | None = None
    profile: dict[str, Any] | None = None
    from_dataset: StrictStr | None = None
    chunk_size: StrictInt | None = None
    run_id: str | None = None
    model_name: str | None = None
    model_version: StrictInt | None = None
    dataset_name: StrictStr | None = None
    dataset_version: StrictInt | None = None
    replace: bool = True
    sample_size: StrictInt | None = Field(
        default=None,
        description="rows kept as a seeded reservoir sample for multivariate checks "
        "(from_dataset only; default 5000, 0 keeps none, at most 1000000)",
    )


class PerformanceRequest(_Request):
    """The performance check's settings; the service validates their meaning. A monitor of
    a deployment may leave out ``id_column`` (``prediction_id``) and ``labels`` (its
    feedback log, ``feedback:``)."""

    task: Literal["binary", "multiclass", "regression"]
    id_column: StrictStr | None = None
    labels: StrictStr | None = None
    label_column: StrictStr = "label"
    prediction: StrictStr | None = None
    scores: StrictStr | dict[str, StrictStr] | None = None
    classes: list[StrictStr | StrictInt] | None = None
    reference: StrictStr | None = None
    reference_label: StrictStr | None = None
    bounds: dict[str, StrictFloat | StrictInt] = {}
    min_labels: StrictInt = 50


class MonitorRequest(_Request):
    name: MonitoringName
    target: str = Field(
        description="a file, a glob of new files, dataset:REF, or deployment:NAME (its "
        "prediction log since the last run)"
    )
    profile: MonitoringName
    checks: CheckNames = list(DEFAULT_CHECKS)
    columns: list[str] | None = None
    tests: dict[str, list[str]] = {}
    thresholds: dict[str, float] = {}
    drift_share: DriftShare = 0.5
    chunking: dict[str, Any] = {}
    learn_thresholds: StrictBool = False
    interval_s: Annotated[IntervalSeconds, Strict()] = 0
    webhooks: Webhooks = []
    enabled: bool = True
    performance: PerformanceRequest | None = None
    multivariate: list[StrictStr] = Field(
        default=[],
        description="joint-distribution methods (pca_reconstruction, domain_classifier) run "
        "against the profile's row sample; adds the multivariate_drift check",
    )
    identifier_columns: list[StrictStr] = Field(
        default=[], description="columns never tested (ids, keys)"
    )
    prediction_columns: list[StrictStr] = Field(
        default=[], description="the model's output columns: tested and marked as predictions"
    )
    lookback_s: StrictInt | None = Field(
        default=DEFAULT_LOOKBACK_S,
        description="seconds a prediction file of a glob stays in the performance check "
        "after its first read (null: no limit)",
    )
    operational: dict[StrictStr, StrictFloat | StrictInt] = Field(
        default={},
        description="bounds of a deployment target's operational check: p50_latency_ms and "
        "p99_latency_ms (at most), error_rate (a share of requests, at most), "
        "min_throughput_rps (requests/s, at least)",
    )

    @field_serializer("performance")
    def _performance_as_given(self, value: Any) -> Any:
        """A request the SDK builds holds the settings as the mapping its caller gave (the
        service judges them), so it is written as it is."""
        return value.model_dump() if isinstance(value, BaseModel) else value


# -- responses ---------------------------------------------------------------------------
class ProfileRecordOut(BaseModel):
    name: str
    blob_digest: str
    n_rows: int
    columns: list[str]
    run_id: str | None
    model_name: str | None
    model_version: int | None
    created_by: str
    creation_time: int
    dataset_name: str | None
    dataset_version: int | None


class ProfileListOut(BaseModel):
    profiles: list[ProfileRecordOut]


class StoredProfileOut(BaseModel):
    record: ProfileRecordOut
    profile: dict[str, Any] = Field(description="the reference profile's per-column summaries")


class MonitorOut(BaseModel):
    name: str
    target: str
    profile: str
    checks: list[str]
    columns: list[str] | None
    tests: dict[str, list[str]]
    thresholds: dict[str, float]
    drift_share: float
    chunking: dict[str, Any]
    learn_thresholds: bool
    interval_s: int
    webhooks: list[str]
    enabled: bool
    state: dict[str, Any]
    performance: dict[str, Any] | None
    created_by: str
    creation_time: int
    last_run_time: int | None
    next_run_time: int | None
    multivariate: list[str]
    identifier_columns: list[str]
    prediction_columns: list[str]
    lookback_s: int | None
    operational: dict[str, float] = {}


class MonitorListOut(BaseModel):
    monitors: list[MonitorOut]


class MonitorRunOut(BaseModel):
    run_id: str
    monitor: str
    status: Literal["ok", "empty", "error"]
    drifted: bool
    n_rows: int
    message: str | None
    summary: dict[str, Any]
    report_digest: str | None
    json_digest: str | None
    start_time: int
    end_time: int


class MonitorRunListOut(BaseModel):
    runs: list[MonitorRunOut]


class AlertOut(BaseModel):
    alert_id: str
    monitor: str
    check: str
    column: str
    severity: Literal["info", "warning", "critical"]
    status: Literal["open", "resolved"]
    evidence: dict[str, Any]
    count: int
    first_seen: int
    last_seen: int
    run_id: str | None
    resolved_time: int | None


class AlertListOut(BaseModel):
    alerts: list[AlertOut]


class DeliveryOut(BaseModel):
    url: str
    event: str
    status: int | None = Field(description="the webhook's HTTP status; null when not reached")
    error: str | None


class MonitorRunResultOut(BaseModel):
    run: MonitorRunOut
    opened: list[AlertOut]
    resolved: list[AlertOut]
    deliveries: list[DeliveryOut]


class MonitoringEventOut(BaseModel):
    seq: int
    event_type: Literal["monitor.run", "alert.opened", "alert.resolved"]
    monitor: str
    payload: dict[str, Any]
    timestamp: int


class EventListOut(BaseModel):
    events: list[MonitoringEventOut]
