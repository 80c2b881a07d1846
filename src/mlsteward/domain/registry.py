"""Registry entities: registered models, versions, aliases, stages, approvals, thresholds.

Frozen values with no I/O. Version numbers start at 1 and grow by one per registered model;
alias moves, stage transitions and approval decisions are append-only records.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError


class ModelStage(enum.StrEnum):
    """Optional lifecycle stages, for teams that prefer them to aliases."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, value: str | ModelStage | None) -> ModelStage:
        if isinstance(value, ModelStage):
            return value
        text = "none" if value is None else str(value).strip().lower()
        for stage in cls:
            if stage.value.lower() == text:
                return stage
        known = ", ".join(s.value for s in cls)
        raise InvalidArgumentError(f"Unknown stage {value!r}; use one of {known}")


class ModelVersionStatus(enum.StrEnum):
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


class ApprovalDecision(enum.StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class AliasAction(enum.StrEnum):
    """What happened to an alias: the kinds of entry in its history."""

    SET = "set"
    DELETE = "delete"
    ROLLBACK = "rollback"
    PROTECT = "protect"
    UNPROTECT = "unprotect"


#: ``metric op value``, matched whole; public, and without named groups (Python-only syntax),
#: so the OpenAPI document states this very expression.
THRESHOLD_PATTERN = re.compile(r"^\s*([\w.\-/:]+)\s*(>=|<=|==|=|>|<)\s*(\S+)\s*$")
THRESHOLD_OPS = (">=", ">", "<=", "<", "==")


@dataclass(frozen=True)
class AcceptanceThreshold:
    """``metric op value``, e.g. ``roc_auc >= 0.85``, that a version must meet."""

    metric: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in THRESHOLD_OPS:
            raise InvalidArgumentError(
                f"Unknown threshold operator {self.op!r}; use one of {', '.join(THRESHOLD_OPS)}"
            )
        if not self.metric:
            raise InvalidArgumentError("A threshold needs a metric name")
        if math.isnan(self.value):
            raise InvalidArgumentError(f"Threshold on {self.metric!r} compares with NaN")

    @classmethod
    def parse(cls, text: str) -> AcceptanceThreshold:
        match = THRESHOLD_PATTERN.fullmatch(text)
        if match is None:
            raise InvalidArgumentError(
                f"Invalid threshold {text!r}: write it as 'metric op value', e.g. "
                "'roc_auc >= 0.85' (operators: >=, >, <=, <, ==)"
            )
        metric, op, number = match.groups()
        try:
            value = float(number)
        except ValueError:
            raise InvalidArgumentError(
                f"Invalid threshold {text!r}: {number!r} is not a number"
            ) from None
        return cls(metric, "==" if op == "=" else op, value)

    def is_met_by(self, observed: float) -> bool:
        """NaN never meets a threshold."""
        if math.isnan(observed):
            return False
        match self.op:
            case ">=":
                return observed >= self.value
            case ">":
                return observed > self.value
            case "<=":
                return observed <= self.value
            case "<":
                return observed < self.value
        return observed == self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    created_by: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    protected_aliases: tuple[str, ...] = ()
    acceptance_thresholds: tuple[AcceptanceThreshold, ...] = ()
    card: dict[str, str] = field(default_factory=dict)
    latest_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_by": self.created_by,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "description": self.description,
            "tags": dict(self.tags),
            "aliases": dict(self.aliases),
            "protected_aliases": list(self.protected_aliases),
            "acceptance_thresholds": [t.to_dict() for t in self.acceptance_thresholds],
            "card": dict(self.card),
            "latest_version": self.latest_version,
        }


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: what it points at (run, artifact, commit, environment, data)."""

    name: str
    version: int
    source: str
    run_id: str | None
    status: ModelVersionStatus
    current_stage: ModelStage
    created_by: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    git_commit: str | None = None
    environment_digest: str | None = None
    dataset_version_ids: tuple[str, ...] = ()
    evaluation: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "run_id": self.run_id,
            "status": self.status.value,
            "current_stage": self.current_stage.value,
            "created_by": self.created_by,
            "creation_timestamp": self.creation_timestamp,
            "last_updated_timestamp": self.last_updated_timestamp,
            "description": self.description,
            "tags": dict(self.tags),
            "aliases": list(self.aliases),
            "git_commit": self.git_commit,
            "environment_digest": self.environment_digest,
            "dataset_version_ids": list(self.dataset_version_ids),
            "evaluation": dict(self.evaluation),
        }


@dataclass(frozen=True)
class AliasEvent:
    """One entry of an alias's history: who moved it, when, why, from which version to which."""

    event_id: int
    name: str
    alias: str
    action: AliasAction
    from_version: int | None
    to_version: int | None
    actor: str
    timestamp: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "name": self.name,
            "alias": self.alias,
            "action": self.action.value,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "actor": self.actor,
            "timestamp": self.timestamp,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StageTransition:
    event_id: int
    name: str
    version: int
    from_stage: ModelStage
    to_stage: ModelStage
    actor: str
    timestamp: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "name": self.name,
            "version": self.version,
            "from_stage": self.from_stage.value,
            "to_stage": self.to_stage.value,
            "actor": self.actor,
            "timestamp": self.timestamp,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Approval:
    """A reviewer's decision on a version. Decisions are appended, never edited.

    ``evaluation_digest`` is the digest of the version's attached evaluation when the
    decision was recorded (see ``registry_evaluation``): an approval counts only while the
    evaluation is still that one.
    """

    approval_id: int
    name: str
    version: int
    actor: str
    decision: ApprovalDecision
    comment: str
    timestamp: int
    evaluation_digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "approval_id": self.approval_id,
            "name": self.name,
            "version": self.version,
            "actor": self.actor,
            "decision": self.decision.value,
            "comment": self.comment,
            "timestamp": self.timestamp,
            "evaluation_digest": self.evaluation_digest,
        }


@dataclass(frozen=True)
class ThresholdChange:
    """One replacement of a model's acceptance thresholds: who, when, why, before and after."""

    event_id: int
    name: str
    from_thresholds: tuple[AcceptanceThreshold, ...]
    to_thresholds: tuple[AcceptanceThreshold, ...]
    actor: str
    timestamp: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "name": self.name,
            "from_thresholds": [t.to_dict() for t in self.from_thresholds],
            "to_thresholds": [t.to_dict() for t in self.to_thresholds],
            "actor": self.actor,
            "timestamp": self.timestamp,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AliasGuard:
    """What a service saw before moving an alias; the store refuses the move if it changed.

    ``latest_decision_id`` is the newest approval/rejection id of the target version (None
    when it had none), so a rejection recorded between the gate check and the write wins.
    ``protected`` (when not None) is whether the alias was protected, ``thresholds``
    (when not None) the model's thresholds the gates judged by, and ``evaluation_digest``
    (when not None) the digest of the target version's attached evaluation they judged: a
    protection added, thresholds changed or an evaluation swapped while the move was checked
    refuse it too. Stage transitions check the version's part (decision, thresholds,
    evaluation); ``current_version`` and ``protected`` are the alias's.
    """

    current_version: int | None
    latest_decision_id: int | None = None
    check_decision: bool = False
    protected: bool | None = None
    thresholds: tuple[AcceptanceThreshold, ...] | None = None
    evaluation_digest: str | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class RegistryPage(Generic[T]):
    """One page of registry search results; ``next_page_token`` is None on the last page."""

    items: list[T]
    next_page_token: str | None


class GateError(PermissionDeniedError):
    """A protected alias (or gated stage) may not point at a version yet; ``reasons`` say why."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = list(reasons or [])

    def details(self) -> dict[str, Any]:
        return {"reasons": list(self.reasons)}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        reasons = details.get("reasons")
        return cls(message, [str(r) for r in reasons] if isinstance(reasons, list) else [])


#: The formats a model card renders in.
CARD_FORMATS = ("markdown", "html")
