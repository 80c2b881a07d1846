"""The deployment SQL store (SQLite and PostgreSQL).

A change updates the record only where its revision is still the one the caller read (one
``UPDATE ... WHERE revision = :expected``), and appends the event in the same transaction, so
two concurrent changes cannot both apply on one revision. A replica's report is one upsert
of its row, with the forgetting of silent replicas in the same transaction.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import Row, delete, exc, func, insert, select, update

from mlsteward.domain.deployments import (
    Batching,
    Deployment,
    DeploymentEvent,
    FieldChange,
    LogSettings,
    ReplicaReport,
    Rollout,
    RouteTarget,
)
from mlsteward.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlsteward.storage.deployments_base import DeploymentStore
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.store_base import SqlStoreBase
from mlsteward.storage.sql.upsert import dialect_insert

DE = t.deployments
EV = t.deployment_events
RE = t.deployment_replicas


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class SqlDeploymentStore(SqlStoreBase, DeploymentStore):
    """The :class:`DeploymentStore` over a database it shares with the other domains'."""

    def create_deployment(self, deployment: Deployment, event: DeploymentEvent) -> Deployment:
        try:
            with self._write() as conn:
                conn.execute(insert(DE).values(**_row(deployment)))
                conn.execute(insert(EV).values(**_event_row(event)))
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"A deployment named {deployment.name!r} exists") from error
        return deployment

    def get_deployment(self, name: str) -> Deployment:
        with self._read() as conn:
            row = conn.execute(select(DE).where(DE.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"No deployment named {name!r}")
        return _deployment(row)

    def list_deployments(self) -> list[Deployment]:
        with self._read() as conn:
            rows = conn.execute(select(DE).order_by(DE.c.name)).all()
        return [_deployment(row) for row in rows]

    def update_deployment(
        self, deployment: Deployment, event: DeploymentEvent, expected_revision: int
    ) -> Deployment:
        values = _row(deployment)
        del values["name"], values["created_by"], values["creation_time"]
        with self._write() as conn:
            changed = conn.execute(
                update(DE)
                .where(DE.c.name == deployment.name, DE.c.revision == expected_revision)
                .values(**values)
            ).rowcount
            if changed == 0:
                self._refuse_change(conn, deployment.name, expected_revision)
            conn.execute(insert(EV).values(**_event_row(event)))
        return deployment

    def delete_deployment(self, name: str, event: DeploymentEvent, expected_revision: int) -> None:
        with self._write() as conn:
            removed = conn.execute(
                delete(DE).where(DE.c.name == name, DE.c.revision == expected_revision)
            ).rowcount
            if removed == 0:
                self._refuse_change(conn, name, expected_revision)
            conn.execute(delete(RE).where(RE.c.deployment == name))
            conn.execute(insert(EV).values(**_event_row(event)))

    def list_deployment_events(self, name: str, limit: int) -> list[DeploymentEvent]:
        with self._read() as conn:
            rows = conn.execute(
                select(EV).where(EV.c.deployment == name).order_by(EV.c.seq.desc()).limit(limit)
            ).all()
        return [_event(row) for row in rows]

    def last_revision(self, name: str) -> int:
        with self._read() as conn:
            found = conn.execute(
                select(func.max(EV.c.revision)).where(EV.c.deployment == name)
            ).scalar()
        return int(found or 0)

    def put_replica_report(
        self, report: ReplicaReport, *, forget_before_ms: int, max_replicas: int
    ) -> None:
        row = _replica_row(report)
        with self._write() as conn:
            stmt = dialect_insert(conn, RE).values(**row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["deployment", "replica"],
                    set_={k: v for k, v in row.items() if k not in ("deployment", "replica")},
                )
            )
            conn.execute(delete(RE).where(RE.c.received_ms < forget_before_ms))
            mine = RE.c.deployment == report.deployment
            count = conn.execute(select(func.count()).select_from(RE).where(mine)).scalar_one()
            if count > max_replicas:
                oldest = (
                    select(RE.c.replica)
                    .where(mine)
                    .order_by(RE.c.received_ms, RE.c.replica)
                    .limit(count - max_replicas)
                )
                doomed = [r for (r,) in conn.execute(oldest).all()]
                conn.execute(delete(RE).where(mine, RE.c.replica.in_(doomed)))

    def list_replica_reports(self, deployment: str) -> list[ReplicaReport]:
        with self._read() as conn:
            rows = conn.execute(
                select(RE)
                .where(RE.c.deployment == deployment)
                .order_by(RE.c.received_ms.desc(), RE.c.replica)
            ).all()
        return [_replica(row) for row in rows]

    @staticmethod
    def _refuse_change(conn: Any, name: str, expected: int) -> None:
        """Raise why a compare-and-set matched no row: gone, or changed meanwhile."""
        stored = conn.execute(select(DE.c.revision).where(DE.c.name == name)).scalar()
        if stored is None:
            raise NotFoundError(f"No deployment named {name!r}")
        raise ConflictError(
            f"Deployment {name!r} changed meanwhile (revision {stored}, not {expected}): "
            "read it again and retry"
        )


def _row(deployment: Deployment) -> dict[str, Any]:
    return {
        "name": deployment.name,
        "model_uri": deployment.model_uri,
        "runtime": deployment.runtime,
        "replicas": deployment.replicas,
        "settings": _dumps(
            {
                "batching": dataclasses.asdict(deployment.batching),
                "log": dataclasses.asdict(deployment.log),
                # The rollout rides in the settings' JSON: no column, no migration.
                "rollout": None if deployment.rollout is None else deployment.rollout.to_dict(),
            }
        ),
        "revision": deployment.revision,
        "created_by": deployment.created_by,
        "creation_time": deployment.creation_time,
        "last_updated_by": deployment.last_updated_by,
        "last_update_time": deployment.last_update_time,
    }


def _deployment(row: Row[Any]) -> Deployment:
    settings = json.loads(row.settings)
    return Deployment(
        name=row.name,
        model_uri=row.model_uri,
        runtime=row.runtime,
        replicas=int(row.replicas),
        batching=Batching(**settings["batching"]),
        log=LogSettings(**settings["log"]),
        revision=int(row.revision),
        created_by=row.created_by,
        creation_time=int(row.creation_time),
        last_updated_by=row.last_updated_by,
        last_update_time=int(row.last_update_time),
        rollout=None if settings.get("rollout") is None else Rollout.from_dict(settings["rollout"]),
    )


def _event_row(event: DeploymentEvent) -> dict[str, Any]:
    return {
        "deployment": event.deployment,
        "revision": event.revision,
        "action": event.action,
        "actor": event.actor,
        "time_ms": event.time_ms,
        "reason": event.reason,
        "changes": _dumps([dataclasses.asdict(change) for change in event.changes]),
        "model_version": event.model_version,
        "warnings": _dumps(list(event.warnings)),
    }


def _event(row: Row[Any]) -> DeploymentEvent:
    return DeploymentEvent(
        deployment=row.deployment,
        revision=int(row.revision),
        action=row.action,
        actor=row.actor,
        time_ms=int(row.time_ms),
        reason=row.reason,
        changes=tuple(FieldChange(**change) for change in json.loads(row.changes)),
        model_version=None if row.model_version is None else int(row.model_version),
        warnings=tuple(json.loads(row.warnings)),
    )


def _replica_row(report: ReplicaReport) -> dict[str, Any]:
    status = report.to_dict()
    for column in ("deployment", "replica", "received_ms", "started_ms", "revision", "ready"):
        del status[column]
    return {
        "deployment": report.deployment,
        "replica": report.replica,
        "received_ms": report.received_ms,
        "started_ms": report.started_ms,
        "revision": report.revision,
        "ready": report.ready,
        "status": _dumps(status),
    }


def _replica(row: Row[Any]) -> ReplicaReport:
    status = json.loads(row.status)
    status["routes"] = tuple(RouteTarget(**route) for route in status.get("routes", ()))
    return ReplicaReport(
        deployment=row.deployment,
        replica=row.replica,
        received_ms=int(row.received_ms),
        started_ms=int(row.started_ms),
        revision=int(row.revision),
        ready=bool(row.ready),
        **status,
    )
