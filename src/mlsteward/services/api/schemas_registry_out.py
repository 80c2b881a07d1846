"""Response bodies of the registry routes, for the OpenAPI document.

Responses are written by :mod:`wire_registry` directly; these models describe their shape.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mlsteward.services.api.schemas import WireFloat

Stage = Literal["None", "Staging", "Production", "Archived"]


class ThresholdOut(BaseModel):
    metric: str
    op: Literal[">=", ">", "<=", "<", "=="]
    value: WireFloat


class RegisteredModelOut(BaseModel):
    name: str
    created_by: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None
    tags: dict[str, str]
    aliases: dict[str, int] = Field(description="alias -> version")
    protected_aliases: list[str]
    acceptance_thresholds: list[ThresholdOut]
    card: dict[str, str] = Field(description="model-card fields a person filled in")
    latest_version: int


class ModelVersionOut(BaseModel):
    name: str
    version: int
    source: str
    run_id: str | None
    status: Literal["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"]
    current_stage: Stage
    created_by: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None
    tags: dict[str, str]
    aliases: list[str]
    git_commit: str | None
    environment_digest: str | None
    dataset_version_ids: list[str]
    evaluation: dict[str, WireFloat]


class RegisteredModelPageOut(BaseModel):
    registered_models: list[RegisteredModelOut]
    next_page_token: str | None


class ModelVersionPageOut(BaseModel):
    model_versions: list[ModelVersionOut]
    next_page_token: str | None


class ModelVersionListOut(BaseModel):
    model_versions: list[ModelVersionOut]


class AliasEventOut(BaseModel):
    event_id: int
    name: str
    alias: str
    action: Literal["set", "delete", "rollback", "protect", "unprotect"]
    from_version: int | None
    to_version: int | None
    actor: str
    timestamp: int
    reason: str | None


class AliasHistoryOut(BaseModel):
    events: list[AliasEventOut] = Field(description="oldest first")


class ThresholdChangeOut(BaseModel):
    event_id: int
    name: str
    from_thresholds: list[ThresholdOut]
    to_thresholds: list[ThresholdOut]
    actor: str
    timestamp: int
    reason: str | None


class ThresholdHistoryOut(BaseModel):
    changes: list[ThresholdChangeOut] = Field(description="oldest first")


class StageTransitionOut(BaseModel):
    event_id: int
    name: str
    version: int
    from_stage: Stage
    to_stage: Stage
    actor: str
    timestamp: int
    reason: str | None


class StageHistoryOut(BaseModel):
    transitions: list[StageTransitionOut]


class EvaluationChangeOut(BaseModel):
    event_id: int
    name: str
    version: int
    from_metrics: dict[str, WireFloat] = Field(
        description="the earlier values of the metrics that changed (absent: newly attached)"
    )
    to_metrics: dict[str, WireFloat] = Field(description="their new values")
    evaluation_digest: str = Field(
        description="SHA-256 of the whole evaluation after the change; approvals given on "
        "it record the same digest"
    )
    actor: str
    timestamp: int


class EvaluationHistoryOut(BaseModel):
    changes: list[EvaluationChangeOut] = Field(description="oldest first")


class ApprovalOut(BaseModel):
    approval_id: int
    name: str
    version: int
    actor: str
    decision: Literal["APPROVED", "REJECTED"]
    comment: str
    timestamp: int
    evaluation_digest: str | None = Field(
        description="SHA-256 of the version's evaluation when the decision was recorded; an "
        "approval counts at the gates only while the evaluation still has this digest"
    )


class ApprovalListOut(BaseModel):
    approvals: list[ApprovalOut]


class GateErrorBody(BaseModel):
    code: str = Field(examples=["PERMISSION_DENIED"])
    message: str
    reasons: list[str] = Field(description="every unmet condition, one per entry")


class GateErrorResponse(BaseModel):
    error: GateErrorBody
