"""The registry's JSON wire format, shared by the REST routes and the SDK's HTTP transport.

Entities travel as their ``to_dict()`` shape, except that floats (evaluation results and
threshold values) use the agreed strings for NaN and infinities (see :mod:`wire`). Decoders
rebuild equal entities, so a value read over HTTP compares equal to the same value read
locally. Free of FastAPI imports, like :mod:`wire`.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.registry import (
    AcceptanceThreshold,
    AliasAction,
    AliasEvent,
    Approval,
    ApprovalDecision,
    ModelStage,
    ModelVersion,
    ModelVersionStatus,
    RegisteredModel,
    RegistryPage,
    StageTransition,
    ThresholdChange,
)
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.services.api.wire import decode_float, encode_float

REGISTRY_PREFIX = "/registered-models"
VERSIONS_PREFIX = "/model-versions"


# -- encoders (server side) --------------------------------------------------------------
def encode_model(model: RegisteredModel) -> dict[str, Any]:
    raw = model.to_dict()
    for threshold in raw["acceptance_thresholds"]:
        threshold["value"] = encode_float(threshold["value"])
    return raw


def _encode_thresholds(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**threshold, "value": encode_float(threshold["value"])} for threshold in raw]


def encode_threshold_change(change: ThresholdChange) -> dict[str, Any]:
    raw = change.to_dict()
    raw["from_thresholds"] = _encode_thresholds(raw["from_thresholds"])
    raw["to_thresholds"] = _encode_thresholds(raw["to_thresholds"])
    return raw


def _encode_metrics(metrics: dict[str, float]) -> dict[str, float | str]:
    return {key: encode_float(value) for key, value in metrics.items()}


def encode_evaluation_change(change: EvaluationChange) -> dict[str, Any]:
    raw = change.to_dict()
    raw["from_metrics"] = _encode_metrics(change.from_metrics)
    raw["to_metrics"] = _encode_metrics(change.to_metrics)
    return raw


def encode_version(version: ModelVersion) -> dict[str, Any]:
    raw = version.to_dict()
    raw["evaluation"] = {k: encode_float(v) for k, v in version.evaluation.items()}
    return raw


def encode_alias_event(event: AliasEvent) -> dict[str, Any]:
    return event.to_dict()


def encode_alias_move(event: AliasEvent | None) -> dict[str, Any] | None:
    """An alias move; ``None`` (no content) when the alias already pointed there."""
    return None if event is None else event.to_dict()


def encode_stage_transition(transition: StageTransition) -> dict[str, Any]:
    return transition.to_dict()


def encode_approval(approval: Approval) -> dict[str, Any]:
    return approval.to_dict()


def encode_model_page(page: RegistryPage[RegisteredModel]) -> dict[str, Any]:
    return {
        "registered_models": [encode_model(m) for m in page.items],
        "next_page_token": page.next_page_token,
    }


def encode_version_page(page: RegistryPage[ModelVersion]) -> dict[str, Any]:
    return {
        "model_versions": [encode_version(v) for v in page.items],
        "next_page_token": page.next_page_token,
    }


# -- decoders (client side) --------------------------------------------------------------
def _decode_thresholds(raw: list[dict[str, Any]] | None) -> tuple[AcceptanceThreshold, ...]:
    return tuple(
        AcceptanceThreshold(t["metric"], t["op"], decode_float(t["value"])) for t in raw or ()
    )


def decode_model(raw: dict[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=raw["name"],
        created_by=raw["created_by"],
        creation_timestamp=raw["creation_timestamp"],
        last_updated_timestamp=raw["last_updated_timestamp"],
        description=raw.get("description"),
        tags=dict(raw.get("tags") or {}),
        aliases={k: int(v) for k, v in (raw.get("aliases") or {}).items()},
        protected_aliases=tuple(raw.get("protected_aliases") or ()),
        acceptance_thresholds=_decode_thresholds(raw.get("acceptance_thresholds")),
        card=dict(raw.get("card") or {}),
        latest_version=int(raw.get("latest_version") or 0),
    )


def decode_version(raw: dict[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=raw["name"],
        version=int(raw["version"]),
        source=raw["source"],
        run_id=raw.get("run_id"),
        status=ModelVersionStatus(raw["status"]),
        current_stage=ModelStage(raw["current_stage"]),
        created_by=raw["created_by"],
        creation_timestamp=raw["creation_timestamp"],
        last_updated_timestamp=raw["last_updated_timestamp"],
        description=raw.get("description"),
        tags=dict(raw.get("tags") or {}),
        aliases=tuple(raw.get("aliases") or ()),
        git_commit=raw.get("git_commit"),
        environment_digest=raw.get("environment_digest"),
        dataset_version_ids=tuple(raw.get("dataset_version_ids") or ()),
        evaluation={k: decode_float(v) for k, v in (raw.get("evaluation") or {}).items()},
    )


def decode_alias_event(raw: dict[str, Any]) -> AliasEvent:
    return AliasEvent(
        event_id=raw["event_id"],
        name=raw["name"],
        alias=raw["alias"],
        action=AliasAction(raw["action"]),
        from_version=raw.get("from_version"),
        to_version=raw.get("to_version"),
        actor=raw["actor"],
        timestamp=raw["timestamp"],
        reason=raw.get("reason"),
    )


def decode_alias_move(raw: dict[str, Any] | None) -> AliasEvent | None:
    """Inverse of :func:`encode_alias_move` (an empty answer is ``None``)."""
    return None if raw is None else decode_alias_event(raw)


def decode_stage_transition(raw: dict[str, Any]) -> StageTransition:
    return StageTransition(
        event_id=raw["event_id"],
        name=raw["name"],
        version=int(raw["version"]),
        from_stage=ModelStage(raw["from_stage"]),
        to_stage=ModelStage(raw["to_stage"]),
        actor=raw["actor"],
        timestamp=raw["timestamp"],
        reason=raw.get("reason"),
    )


def decode_threshold_change(raw: dict[str, Any]) -> ThresholdChange:
    return ThresholdChange(
        event_id=raw["event_id"],
        name=raw["name"],
        from_thresholds=_decode_thresholds(raw.get("from_thresholds")),
        to_thresholds=_decode_thresholds(raw.get("to_thresholds")),
        actor=raw["actor"],
        timestamp=raw["timestamp"],
        reason=raw.get("reason"),
    )


def decode_approval(raw: dict[str, Any]) -> Approval:
    return Approval(
        approval_id=raw["approval_id"],
        name=raw["name"],
        version=int(raw["version"]),
        actor=raw["actor"],
        decision=ApprovalDecision(raw["decision"]),
        comment=raw["comment"],
        timestamp=raw["timestamp"],
        evaluation_digest=raw.get("evaluation_digest"),
    )


def _decode_metrics(raw: dict[str, Any] | None) -> dict[str, float]:
    return {key: decode_float(value) for key, value in (raw or {}).items()}


def decode_evaluation_change(raw: dict[str, Any]) -> EvaluationChange:
    return EvaluationChange(
        event_id=raw["event_id"],
        name=raw["name"],
        version=int(raw["version"]),
        actor=raw["actor"],
        timestamp=raw["timestamp"],
        evaluation_digest=raw["evaluation_digest"],
        from_metrics=_decode_metrics(raw.get("from_metrics")),
        to_metrics=_decode_metrics(raw.get("to_metrics")),
    )


def decode_model_page(raw: dict[str, Any]) -> RegistryPage[RegisteredModel]:
    models = [decode_model(m) for m in raw["registered_models"]]
    return RegistryPage(models, raw.get("next_page_token"))


def decode_version_page(raw: dict[str, Any]) -> RegistryPage[ModelVersion]:
    versions = [decode_version(v) for v in raw["model_versions"]]
    return RegistryPage(versions, raw.get("next_page_token"))


def decode_card(content: bytes) -> str:
    """A rendered model card, as the text the server wrote (UTF-8, Markdown or HTML)."""
    return content.decode("utf-8")
