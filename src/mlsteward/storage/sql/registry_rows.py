"""Turn registry rows into entities, loading tags, aliases and evaluations in a few queries."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

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
    StageTransition,
    ThresholdChange,
)
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.in_chunks import in_chunks


def thresholds_to_json(thresholds: Sequence[AcceptanceThreshold]) -> str:
    return json.dumps([th.to_dict() for th in thresholds])


def thresholds_from_json(text: str) -> tuple[AcceptanceThreshold, ...]:
    return tuple(
        AcceptanceThreshold(d["metric"], d["op"], float(d["value"])) for d in json.loads(text)
    )


def models_from_rows(conn: Connection, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
    names = [row.name for row in rows]
    tags: dict[str, dict[str, str]] = {n: {} for n in names}
    aliases: dict[str, dict[str, int]] = {n: {} for n in names}
    protected: dict[str, list[str]] = {n: [] for n in names}
    for chunk in in_chunks(names):
        tag = t.registered_model_tags.c
        for r in conn.execute(select(tag.name, tag.key, tag.value).where(tag.name.in_(chunk))):
            tags[r.name][r.key] = r.value
        al = t.model_aliases.c
        for a in conn.execute(select(al.name, al.alias, al.version).where(al.name.in_(chunk))):
            aliases[a.name][a.alias] = a.version
        pa = t.model_protected_aliases.c
        for p in conn.execute(select(pa.name, pa.alias).where(pa.name.in_(chunk))):
            protected[p.name].append(p.alias)
    return [
        RegisteredModel(
            name=row.name,
            created_by=row.created_by,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            description=row.description,
            tags=tags[row.name],
            aliases=dict(sorted(aliases[row.name].items())),
            protected_aliases=tuple(sorted(protected[row.name])),
            acceptance_thresholds=thresholds_from_json(row.acceptance_thresholds),
            card=json.loads(row.card),
            latest_version=row.latest_version,
        )
        for row in rows
    ]


def versions_from_rows(conn: Connection, rows: Sequence[Row[Any]]) -> list[ModelVersion]:
    keys = {(row.name, row.version) for row in rows}
    tags: dict[tuple[str, int], dict[str, str]] = {k: {} for k in keys}
    aliases: dict[tuple[str, int], list[str]] = {k: [] for k in keys}
    evaluation: dict[tuple[str, int], dict[str, float]] = {k: {} for k in keys}
    for chunk in in_chunks(sorted({row.name for row in rows})):
        tag = t.model_version_tags.c
        query = select(tag.name, tag.version, tag.key, tag.value).where(tag.name.in_(chunk))
        for r in conn.execute(query):
            if (r.name, r.version) in keys:
                tags[(r.name, r.version)][r.key] = r.value
        al = t.model_aliases.c
        for a in conn.execute(select(al.name, al.alias, al.version).where(al.name.in_(chunk))):
            if (a.name, a.version) in keys:
                aliases[(a.name, a.version)].append(a.alias)
        ev = t.model_version_evaluations.c
        query2 = select(ev.name, ev.version, ev.key, ev.value, ev.is_nan).where(ev.name.in_(chunk))
        for e in conn.execute(query2):
            if (e.name, e.version) in keys:
                evaluation[(e.name, e.version)][e.key] = math.nan if e.is_nan else e.value
    return [
        ModelVersion(
            name=row.name,
            version=row.version,
            source=row.source,
            run_id=row.run_id,
            status=ModelVersionStatus(row.status),
            current_stage=ModelStage(row.stage),
            created_by=row.created_by,
            creation_timestamp=row.creation_time,
            last_updated_timestamp=row.last_updated_time,
            description=row.description,
            tags=tags[(row.name, row.version)],
            aliases=tuple(sorted(aliases[(row.name, row.version)])),
            git_commit=row.git_commit,
            environment_digest=row.environment_digest,
            dataset_version_ids=tuple(json.loads(row.dataset_version_ids)),
            evaluation=evaluation[(row.name, row.version)],
        )
        for row in rows
    ]


def alias_event(row: Row[Any]) -> AliasEvent:
    return AliasEvent(
        event_id=row.id,
        name=row.name,
        alias=row.alias,
        action=AliasAction(row.action),
        from_version=row.from_version,
        to_version=row.to_version,
        actor=row.actor,
        timestamp=row.timestamp,
        reason=row.reason,
    )


def stage_transition(row: Row[Any]) -> StageTransition:
    return StageTransition(
        event_id=row.id,
        name=row.name,
        version=row.version,
        from_stage=ModelStage(row.from_stage),
        to_stage=ModelStage(row.to_stage),
        actor=row.actor,
        timestamp=row.timestamp,
        reason=row.reason,
    )


def approval(row: Row[Any]) -> Approval:
    return Approval(
        approval_id=row.id,
        name=row.name,
        version=row.version,
        actor=row.actor,
        decision=ApprovalDecision(row.decision),
        comment=row.comment,
        timestamp=row.timestamp,
        evaluation_digest=row.evaluation_digest,
    )


def threshold_change(row: Row[Any]) -> ThresholdChange:
    return ThresholdChange(
        event_id=row.id,
        name=row.name,
        from_thresholds=thresholds_from_json(row.from_thresholds),
        to_thresholds=thresholds_from_json(row.to_thresholds),
        actor=row.actor,
        timestamp=row.timestamp,
        reason=row.reason,
    )


def metrics_to_json(metrics: Mapping[str, float]) -> str:
    """Metric values as a JSON object; NaN and infinities as JSON's NaN/Infinity tokens."""
    return json.dumps(dict(metrics), sort_keys=True)


def evaluation_change(row: Row[Any]) -> EvaluationChange:
    return EvaluationChange(
        event_id=row.id,
        name=row.name,
        version=row.version,
        actor=row.actor,
        timestamp=row.timestamp,
        evaluation_digest=row.evaluation_digest,
        from_metrics={k: float(v) for k, v in json.loads(row.from_metrics).items()},
        to_metrics={k: float(v) for k, v in json.loads(row.to_metrics).items()},
    )
