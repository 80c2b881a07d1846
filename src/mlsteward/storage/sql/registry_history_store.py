"""Registry history in SQL: alias moves and protection, thresholds, stage transitions,
approvals (each with the digest of the evaluation it was given on).

Each write locks the model's row first, so the ``from`` side of every recorded move is what
the alias or stage really was, and decisions are ordered against the moves that check them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from mlsteward.domain.errors import ConflictError, NotFoundError
from mlsteward.domain.registry import (
    AcceptanceThreshold,
    AliasAction,
    AliasEvent,
    AliasGuard,
    Approval,
    ApprovalDecision,
    ModelStage,
    StageTransition,
    ThresholdChange,
)
from mlsteward.domain.registry_evaluation import evaluation_digest
from mlsteward.storage.registry_base import RegistryStore
from mlsteward.storage.sql import registry_queries as q
from mlsteward.storage.sql import registry_rows as rows
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.store_base import SqlStoreBase
from mlsteward.storage.sql.upsert import dialect_insert


class SqlRegistryHistoryMixin(SqlStoreBase, RegistryStore):
    """The history-keeping half of the SQL registry store."""

    # -- aliases ---------------------------------------------------------------------------
    def set_alias_protection(
        self, name: str, alias: str, protected: bool, actor: str, reason: str | None, now: int
    ) -> AliasEvent | None:
        pa = t.model_protected_aliases
        with self._write() as conn:
            q.lock_model(conn, name)
            is_protected = conn.execute(
                select(pa.c.alias).where(pa.c.name == name, pa.c.alias == alias)
            ).first()
            if bool(is_protected) == protected:
                return None
            if protected:
                conn.execute(insert(pa).values(name=name, alias=alias))
            else:
                conn.execute(delete(pa).where(pa.c.name == name, pa.c.alias == alias))
            current = q.current_alias(conn, name, alias)
            action = AliasAction.PROTECT if protected else AliasAction.UNPROTECT
            event = self._record_alias_event(
                conn, name, alias, action, current, current, actor, reason, now
            )
            q.touch(conn, name, now)
            return event

    @staticmethod
    def _record_alias_event(
        conn: Connection,
        name: str,
        alias: str,
        action: AliasAction,
        from_version: int | None,
        to_version: int | None,
        actor: str,
        reason: str | None,
        now: int,
    ) -> AliasEvent:
        values = {
            "name": name,
            "alias": alias,
            "action": action.value,
            "from_version": from_version,
            "to_version": to_version,
            "actor": actor,
            "timestamp": now,
            "reason": reason,
        }
        result = conn.execute(insert(t.model_alias_events).values(**values))
        event_id = result.inserted_primary_key[0]  # type: ignore[index]
        return AliasEvent(
            event_id, name, alias, action, from_version, to_version, actor, now, reason
        )

    # -- thresholds --------------------------------------------------------------------------
    def set_acceptance_thresholds(
        self,
        name: str,
        thresholds: Sequence[AcceptanceThreshold],
        *,
        expected: Sequence[AcceptanceThreshold],
        actor: str,
        reason: str | None,
        now: int,
    ) -> ThresholdChange | None:
        with self._write() as conn:
            current = rows.thresholds_from_json(q.lock_model(conn, name).acceptance_thresholds)
            if current != tuple(expected):
                raise ConflictError(
                    f"The acceptance thresholds of {name!r} changed while this change was "
                    "being checked; nothing was changed, look again and retry"
                )
            wanted = tuple(thresholds)
            if current == wanted:
                return None
            conn.execute(
                update(q.RM)
                .where(q.RM.c.name == name)
                .values(acceptance_thresholds=rows.thresholds_to_json(wanted))
            )
            values = {
                "name": name,
                "from_thresholds": rows.thresholds_to_json(current),
                "to_thresholds": rows.thresholds_to_json(wanted),
                "actor": actor,
                "timestamp": now,
                "reason": reason,
            }
            result = conn.execute(insert(t.model_threshold_events).values(**values))
            event_id = result.inserted_primary_key[0]  # type: ignore[index]
            q.touch(conn, name, now)
            return ThresholdChange(event_id, name, current, wanted, actor, now, reason)

    def list_threshold_changes(self, name: str) -> list[ThresholdChange]:
        ev = t.model_threshold_events.c
        query = select(t.model_threshold_events).where(ev.name == name).order_by(ev.id)
        with self._read() as conn:
            q.require_model(conn, name)
            return [rows.threshold_change(row) for row in conn.execute(query)]

    # -- aliases (guard) ---------------------------------------------------------------------
    @staticmethod
    def _check_gates_guard(
        conn: Connection, model: Row[Any], version: int | None, guard: AliasGuard
    ) -> None:
        """Refuse when the model's thresholds, or the target version's decisions or
        evaluation, are no longer what the gates judged (``version`` None: no target)."""
        name = model.name
        if guard.thresholds is not None and guard.thresholds != rows.thresholds_from_json(
            model.acceptance_thresholds
        ):
            raise ConflictError(
                f"The acceptance thresholds of {name!r} changed while this move was being "
                "checked; nothing was changed, look again and retry"
            )
        if version is None:
            return
        if guard.check_decision:
            ap = t.model_approvals.c
            latest = conn.execute(
                select(func.max(ap.id)).where(ap.name == name, ap.version == version)
            ).scalar_one_or_none()
            if latest != guard.latest_decision_id:
                raise ConflictError(
                    f"A new approval decision on version {version} of {name!r} was recorded "
                    "while this move was being checked; nothing was changed, retry"
                )
        if guard.evaluation_digest is not None and guard.evaluation_digest != evaluation_digest(
            q.evaluation(conn, name, version)
        ):
            raise ConflictError(
                f"The evaluation attached to version {version} of {name!r} changed while this "
                "move was being checked; nothing was changed, look again and retry"
            )

    @classmethod
    def _check_guard(
        cls,
        conn: Connection,
        model: Row[Any],
        alias: str,
        version: int | None,
        current: int | None,
        guard: AliasGuard | None,
    ) -> None:
        if guard is None:
            return
        name = model.name
        if current != guard.current_version:
            raise ConflictError(
                f"Alias {alias!r} of {name!r} changed (it now points at version {current}) "
                "while this move was being checked; nothing was changed, look again and retry"
            )
        if guard.protected is not None:
            pa = t.model_protected_aliases.c
            protected = conn.execute(
                select(pa.alias).where(pa.name == name, pa.alias == alias)
            ).first()
            if bool(protected) != guard.protected:
                raise ConflictError(
                    f"The protection of alias {alias!r} of {name!r} changed while this move "
                    "was being checked; nothing was changed, look again and retry"
                )
        cls._check_gates_guard(conn, model, version, guard)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        action: AliasAction,
        actor: str,
        reason: str | None,
        now: int,
        guard: AliasGuard | None = None,
    ) -> AliasEvent:
        with self._write() as conn:
            model = q.lock_model(conn, name)
            q.version_row(conn, name, version)
            current = q.current_alias(conn, name, alias)
            self._check_guard(conn, model, alias, version, current, guard)
            stmt = dialect_insert(conn, t.model_aliases).values(
                name=name, alias=alias, version=version
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "alias"], set_={"version": version}
                )
            )
            event = self._record_alias_event(
                conn, name, alias, action, current, version, actor, reason, now
            )
            q.touch(conn, name, now)
            return event

    def delete_alias(
        self,
        name: str,
        alias: str,
        *,
        actor: str,
        reason: str | None,
        now: int,
        guard: AliasGuard | None = None,
    ) -> AliasEvent:
        al = t.model_aliases
        with self._write() as conn:
            model = q.lock_model(conn, name)
            current = q.current_alias(conn, name, alias)
            if current is None:
                raise NotFoundError(f"Registered model {name!r} has no alias {alias!r}")
            self._check_guard(conn, model, alias, None, current, guard)
            conn.execute(delete(al).where(al.c.name == name, al.c.alias == alias))
            event = self._record_alias_event(
                conn, name, alias, AliasAction.DELETE, current, None, actor, reason, now
            )
            q.touch(conn, name, now)
            return event

    def list_alias_events(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        ev = t.model_alias_events.c
        query = select(t.model_alias_events).where(ev.name == name).order_by(ev.id)
        if alias is not None:
            query = query.where(ev.alias == alias)
        with self._read() as conn:
            q.require_model(conn, name)
            return [rows.alias_event(row) for row in conn.execute(query)]

    # -- stages ----------------------------------------------------------------------------
    def transition_stage(
        self,
        name: str,
        version: int,
        stage: ModelStage,
        *,
        archive_existing: bool,
        actor: str,
        reason: str | None,
        now: int,
        guard: AliasGuard | None = None,
    ) -> list[StageTransition]:
        with self._write() as conn:
            model = q.lock_model(conn, name)
            row = q.version_row(conn, name, version)
            if guard is not None:
                self._check_gates_guard(conn, model, version, guard)
            moves: list[tuple[int, str, ModelStage]] = []
            if archive_existing:
                others = conn.execute(
                    select(q.MV.c.version, q.MV.c.stage).where(
                        q.MV.c.name == name, q.MV.c.stage == stage.value, q.MV.c.version != version
                    )
                ).all()
                moves.extend((o.version, o.stage, ModelStage.ARCHIVED) for o in others)
            if row.stage != stage.value:
                moves.append((version, row.stage, stage))
            recorded = []
            for number, old, new in moves:
                conn.execute(
                    update(q.MV)
                    .where(q.MV.c.name == name, q.MV.c.version == number)
                    .values(stage=new.value, last_updated_time=now)
                )
                values = {
                    "name": name,
                    "version": number,
                    "from_stage": old,
                    "to_stage": new.value,
                    "actor": actor,
                    "timestamp": now,
                    "reason": reason,
                }
                result = conn.execute(insert(t.model_stage_events).values(**values))
                event_id = result.inserted_primary_key[0]  # type: ignore[index]
                recorded.append(
                    StageTransition(
                        event_id, name, number, ModelStage(old), new, actor, now, reason
                    )
                )
            if recorded:
                q.touch(conn, name, now)
            return recorded

    def list_stage_transitions(
        self, name: str, version: int | None = None
    ) -> list[StageTransition]:
        ev = t.model_stage_events.c
        query = select(t.model_stage_events).where(ev.name == name).order_by(ev.id)
        if version is not None:
            query = query.where(ev.version == version)
        with self._read() as conn:
            q.require_model(conn, name)
            return [rows.stage_transition(row) for row in conn.execute(query)]

    # -- approvals -------------------------------------------------------------------------
    def add_approval(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        decision: ApprovalDecision,
        comment: str,
        now: int,
    ) -> Approval:
        with self._write() as conn:
            # The model lock orders decisions against alias moves that check them.
            q.lock_model(conn, name)
            q.version_row(conn, name, version)
            # What the decision was given on: the evaluation as it is under the lock.
            digest = evaluation_digest(q.evaluation(conn, name, version))
            values = {
                "name": name,
                "version": version,
                "actor": actor,
                "decision": decision.value,
                "comment": comment,
                "timestamp": now,
                "evaluation_digest": digest,
            }
            result = conn.execute(insert(t.model_approvals).values(**values))
            approval_id = result.inserted_primary_key[0]  # type: ignore[index]
            q.touch(conn, name, now, version)
            return Approval(approval_id, name, version, actor, decision, comment, now, digest)

    def list_approvals(self, name: str, version: int | None = None) -> list[Approval]:
        ap = t.model_approvals.c
        query = select(t.model_approvals).where(ap.name == name).order_by(ap.id)
        if version is not None:
            query = query.where(ap.version == version)
        with self._read() as conn:
            if version is not None:
                q.version_row(conn, name, version)
            else:
                q.require_model(conn, name)
            return [rows.approval(row) for row in conn.execute(query)]
