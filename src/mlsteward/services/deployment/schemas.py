"""Request and response bodies of the deployment operations, for validation and the document.

Requests refuse unknown fields and state the services' bounds in their schema; the service
still judges every value, so both doors refuse bad input with the same words. Responses are
written by :mod:`.wire`; the ``*Out`` models describe their shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict

from mlsteward.domain.deployments import (
    HEALTH_STATUSES,
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    REPLICA_KINDS,
    REPLICA_STATES,
    ROLLOUT_STRATEGIES,
    RUNTIMES,
)
from mlsteward.services.api.documented_types import documented
from mlsteward.services.deployment import replica_reports as rr
from mlsteward.services.deployment import validation as check
from mlsteward.services.deployment.records import MAX_HISTORY

DeploymentName = Annotated[
    str,
    documented(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_NAME_LENGTH,
            "pattern": NAME_PATTERN.pattern,
        }
    ),
]
ModelUri = Annotated[
    str,
    documented(
        {
            "type": "string",
            "pattern": check.MODEL_URI_PATTERN.pattern,
            "description": "models:/NAME@ALIAS (follows the alias) or models:/NAME/VERSION",
        }
    ),
]
Runtime = Annotated[str, documented({"type": "string", "enum": list(RUNTIMES)})]
Replicas = Annotated[int, documented({"type": "integer", "minimum": 1, "maximum": 1000})]
MaxBatchSize = Annotated[
    int, documented({"type": "integer", "minimum": 1, "maximum": check.MAX_BATCH_SIZE})
]
MaxWaitMs = Annotated[
    float, documented({"type": "number", "minimum": 0, "maximum": check.MAX_WAIT_MS})
]
SampleRate = Annotated[float, documented({"type": "number", "minimum": 0, "maximum": 1})]
RetentionDays = Annotated[
    int, documented({"type": "integer", "minimum": 1, "maximum": check.MAX_RETENTION_DAYS})
]
Reason = Annotated[
    str,
    documented(
        {
            "type": "string",
            "pattern": r"\S",
            "maxLength": check.MAX_REASON_LENGTH,
            "description": "why the deployment changes",
        }
    ),
]
OptionalReason = Annotated[
    str, documented({"type": "string", "maxLength": check.MAX_REASON_LENGTH})
]
HistoryLimit = Annotated[int, documented({"type": "integer", "minimum": 1, "maximum": MAX_HISTORY})]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateDeploymentRequest(_Request):
    name: DeploymentName
    model_uri: ModelUri
    runtime: Runtime = "auto"
    replicas: Replicas = 1
    max_batch_size: MaxBatchSize = 32
    max_wait_ms: MaxWaitMs = 2.0
    log_enabled: bool = True
    log_sample_rate: SampleRate = 1.0
    log_retention_days: RetentionDays = 30
    reason: OptionalReason | None = None


class UpdateDeploymentRequest(_Request):
    """The settings to change (absent: kept) and why."""

    reason: Reason
    model_uri: ModelUri | None = None
    runtime: Runtime | None = None
    replicas: Replicas | None = None
    max_batch_size: MaxBatchSize | None = None
    max_wait_ms: MaxWaitMs | None = None
    log_enabled: bool | None = None
    log_sample_rate: SampleRate | None = None
    log_retention_days: RetentionDays | None = None


# -- responses ---------------------------------------------------------------------------
class BatchingOut(BaseModel):
    max_batch_size: int
    max_wait_ms: float


class LogSettingsOut(BaseModel):
    enabled: bool
    sample_rate: float
    retention_days: int
    queue_size: int


class RolloutCriteriaIn(_Request):
    """The analysis criteria to set (absent: the default)."""

    interval_s: float | None = None
    max_error_rate: float | None = None
    max_p99_latency_ms: float | None = None
    check_drift: bool | None = None
    drift_p_value: float | None = None
    min_requests: int | None = None
    min_labels: int | None = None
    max_accuracy_drop: float | None = None


class StartRolloutRequest(_Request):
    """A version of the deployment's model to bring in, how, and why."""

    version: int
    strategy: Annotated[str, documented({"type": "string", "enum": list(ROLLOUT_STRATEGIES)})] = (
        "canary"
    )
    steps: list[float] | None = None
    criteria: RolloutCriteriaIn | None = None
    sticky_key: (
        Annotated[
            str,
            documented(
                {
                    "type": "string",
                    "description": "header:NAME or input:NAME: a caller keeps its route",
                }
            ),
        ]
        | None
    ) = None
    reason: Reason


class RolloutActionRequest(_Request):
    reason: Reason


class RolloutCriteriaOut(BaseModel):
    interval_s: float
    max_error_rate: float
    max_p99_latency_ms: float
    check_drift: bool
    drift_p_value: float
    min_requests: int
    min_labels: int
    max_accuracy_drop: float


class RolloutOut(BaseModel):
    strategy: str
    model_name: str
    stable_version: int
    candidate_version: int
    steps: list[float]
    criteria: RolloutCriteriaOut
    step: int
    state: str
    started_ms: int
    step_started_ms: int
    sticky_key: str | None
    message: str
    evidence: dict[str, Any] | None


class DeploymentOut(BaseModel):
    name: str
    model_uri: str
    runtime: str
    replicas: int
    batching: BatchingOut
    log: LogSettingsOut
    revision: int
    created_by: str
    creation_time: int
    last_updated_by: str
    last_update_time: int
    rollout: RolloutOut | None = None


class DeploymentListOut(BaseModel):
    deployments: list[DeploymentOut]


class FieldChangeOut(BaseModel):
    field: str
    before: Any
    after: Any


class DeploymentEventOut(BaseModel):
    deployment: str
    revision: int
    action: str
    actor: str
    time_ms: int
    reason: str
    changes: list[FieldChangeOut]
    model_version: int | None
    warnings: list[str]


class DeploymentHistoryOut(BaseModel):
    events: list[DeploymentEventOut]


class RouteTargetOut(BaseModel):
    route: str
    model_name: str
    version: int
    weight: float


class ServingPlanOut(BaseModel):
    deployment: str
    revision: int
    runtime: str
    routes: list[RouteTargetOut]
    batching: BatchingOut
    log: LogSettingsOut
    log_root: str
    sticky_key: str | None


# -- replica reports and health ----------------------------------------------------------
ReplicaName = Annotated[
    str,
    documented(
        {
            "type": "string",
            "pattern": rr.REPLICA_PATTERN.pattern,
            "maxLength": rr.MAX_REPLICA_LENGTH,
            "description": "host:port:pid, and :wN for worker N of several",
        }
    ),
]
Count = Annotated[int, documented({"type": "integer", "minimum": 0, "maximum": rr.MAX_COUNT})]
LatencyMs = Annotated[
    float, documented({"type": "number", "minimum": 0, "maximum": rr.MAX_LATENCY_MS})
]


class ReplicaRouteIn(_Request):
    route: Annotated[str, documented({"type": "string", "pattern": rr.ROUTE_PATTERN.pattern})]
    model_name: str
    version: Annotated[int, documented({"type": "integer", "minimum": 1})]
    weight: SampleRate


class ReplicaReportRequest(_Request):
    """What a replica says about itself after a plan poll; counters since it started."""

    started_ms: Count
    interval_s: Annotated[
        float,
        documented(
            {
                "type": "number",
                "minimum": rr.MIN_INTERVAL_S,
                "maximum": rr.MAX_INTERVAL_S,
                "description": "seconds between the replica's plan polls",
            }
        ),
    ]
    ready: bool
    revision: Count = 0
    #: At most ``replica_reports.MAX_ROUTES`` (the service refuses more).
    routes: list[ReplicaRouteIn] = []
    requests: Count = 0
    errors: Count = 0
    predictions_logged: Count = 0
    log_dropped: Count = 0
    p50_ms: LatencyMs | None = None
    p99_ms: LatencyMs | None = None
    message: Annotated[str, documented({"type": "string", "maxLength": rr.MAX_MESSAGE_LENGTH})] = ""
    #: ``stream``: a ``mlsteward stream`` consumer, with the consumer fields below.
    kind: Annotated[str, documented({"type": "string", "enum": list(REPLICA_KINDS)})] = "serve"
    source: Annotated[
        str,
        documented(
            {
                "type": "string",
                "maxLength": rr.MAX_SOURCE_LENGTH,
                "description": "the broker's URL, without credentials",
            }
        ),
    ] = ""
    subject: Annotated[str, documented({"type": "string", "maxLength": rr.MAX_SUBJECT_LENGTH})] = ""
    group: Annotated[str, documented({"type": "string", "maxLength": rr.MAX_SUBJECT_LENGTH})] = ""
    scored: Count = 0
    dead_lettered: Count = 0
    redelivered: Count = 0
    stream_errors: Count = 0
    consumer_lag: Count | None = None
    unacknowledged: Count | None = None


class ReplicaReportOut(BaseModel):
    deployment: str
    replica: str
    started_ms: int
    interval_s: float
    revision: int
    ready: bool
    routes: list[RouteTargetOut]
    requests: int
    errors: int
    predictions_logged: int
    log_dropped: int
    p50_ms: float | None
    p99_ms: float | None
    message: str
    received_ms: int
    kind: str = "serve"
    source: str = ""
    subject: str = ""
    group: str = ""
    scored: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    stream_errors: int = 0
    consumer_lag: int | None = None
    unacknowledged: int | None = None


class ReplicaHealthOut(BaseModel):
    report: ReplicaReportOut
    age_ms: int
    state: Annotated[str, documented({"type": "string", "enum": list(REPLICA_STATES)})]
    lagging: bool


class DeploymentHealthOut(BaseModel):
    deployment: str
    status: Annotated[str, documented({"type": "string", "enum": list(HEALTH_STATUSES)})]
    reasons: list[str]
    desired: int
    live: int
    ready: int
    revision: int
    error_rate: float | None
    checked_ms: int
    replicas: list[ReplicaHealthOut]
