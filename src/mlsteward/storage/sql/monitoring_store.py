"""The monitoring SQL store (SQLite and PostgreSQL).

Opening an alert locks the monitor's row (``FOR UPDATE`` on PostgreSQL; SQLite writers hold
the database lock already), so two runs of one monitor never open the same alert twice.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, exc, insert, select, update

from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord
from mlsteward.storage.monitoring_base import MonitoringStore
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.store_base import SqlStoreBase

MP = t.monitoring_profiles
MO = t.monitors
MR = t.monitor_runs
MA = t.monitor_alerts
ME = t.monitoring_events

#: Monitor fields kept in the ``spec`` JSON column (the rest have columns of their own).
_SPEC_FIELDS = (
    "target",
    "profile",
    "checks",
    "columns",
    "tests",
    "thresholds",
    "drift_share",
    "chunking",
    "webhooks",
    "multivariate",
    "identifier_columns",
    "prediction_columns",
    "lookback_s",
    "operational",
)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class SqlMonitoringStore(SqlStoreBase, MonitoringStore):
    """The :class:`MonitoringStore` over a database it shares with the other domains' stores."""

    # -- profiles --------------------------------------------------------------------------
    def put_profile(self, record: ProfileRecord, replace: bool) -> ProfileRecord:
        values = dataclasses.asdict(record)
        values["columns"] = _dumps(record.columns)
        with self._write() as conn:
            exists = conn.execute(select(MP.c.name).where(MP.c.name == record.name)).first()
            if exists is not None:
                if not replace:
                    raise AlreadyExistsError(f"A reference profile named {record.name!r} exists")
                conn.execute(update(MP).where(MP.c.name == record.name).values(**values))
            else:
                conn.execute(insert(MP).values(**values))
        return record

    def get_profile(self, name: str) -> ProfileRecord:
        with self._read() as conn:
            row = conn.execute(select(MP).where(MP.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"No reference profile named {name!r}")
        return _profile(row)

    def list_profiles(self) -> list[ProfileRecord]:
        with self._read() as conn:
            rows = conn.execute(select(MP).order_by(MP.c.name)).all()
        return [_profile(r) for r in rows]

    # -- monitors --------------------------------------------------------------------------
    def create_monitor(self, monitor: Monitor) -> Monitor:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(MO).values(
                        name=monitor.name,
                        spec=_dumps({f: getattr(monitor, f) for f in _SPEC_FIELDS}),
                        state=_dumps(monitor.state),
                        performance=(
                            None if monitor.performance is None else _dumps(monitor.performance)
                        ),
                        learn_thresholds=monitor.learn_thresholds,
                        enabled=monitor.enabled,
                        interval_s=monitor.interval_s,
                        created_by=monitor.created_by,
                        creation_time=monitor.creation_time,
                        last_run_time=monitor.last_run_time,
                        next_run_time=monitor.next_run_time,
                    )
                )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"A monitor named {monitor.name!r} exists") from error
        return monitor

    def get_monitor(self, name: str) -> Monitor:
        with self._read() as conn:
            row = conn.execute(select(MO).where(MO.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"No monitor named {name!r}")
        return _monitor(row)

    def list_monitors(self) -> list[Monitor]:
        with self._read() as conn:
            rows = conn.execute(select(MO).order_by(MO.c.name)).all()
        return [_monitor(r) for r in rows]

    def delete_monitor(self, name: str) -> None:
        with self._write() as conn:
            conn.execute(delete(MA).where(MA.c.monitor == name))
            conn.execute(delete(MR).where(MR.c.monitor == name))
            if conn.execute(delete(MO).where(MO.c.name == name)).rowcount == 0:
                raise NotFoundError(f"No monitor named {name!r}")

    def due_monitors(self, now: int) -> list[Monitor]:
        with self._read() as conn:
            rows = conn.execute(
                select(MO)
                .where(
                    MO.c.enabled.is_(True),
                    MO.c.interval_s > 0,
                    MO.c.next_run_time.is_not(None),
                    MO.c.next_run_time <= now,
                )
                .order_by(MO.c.next_run_time, MO.c.name)
            ).all()
        return [_monitor(r) for r in rows]

    def claim_monitor(self, name: str, due_at: int, lease_until: int) -> bool:
        # Compare-and-set on the schedule itself: one UPDATE, atomic on both backends.
        with self._write() as conn:
            claimed = conn.execute(
                update(MO)
                .where(
                    MO.c.name == name,
                    MO.c.enabled.is_(True),
                    MO.c.next_run_time == due_at,
                )
                .values(next_run_time=lease_until)
            ).rowcount
        return claimed == 1

    def record_monitor_run(
        self, run: MonitorRun, state: Mapping[str, Any], next_run_time: int | None
    ) -> MonitorRun:
        values = dataclasses.asdict(run)
        values["summary"] = _dumps(run.summary)
        with self._write() as conn:
            changed = conn.execute(
                update(MO)
                .where(MO.c.name == run.monitor)
                .values(
                    state=_dumps(dict(state)),
                    last_run_time=run.start_time,
                    next_run_time=next_run_time,
                )
            ).rowcount
            if changed == 0:
                raise NotFoundError(f"No monitor named {run.monitor!r}")
            conn.execute(insert(MR).values(**values))
        return run

    def list_monitor_runs(self, monitor: str, limit: int) -> list[MonitorRun]:
        with self._read() as conn:
            rows = conn.execute(
                select(MR)
                .where(MR.c.monitor == monitor)
                .order_by(MR.c.start_time.desc(), MR.c.run_id)
                .limit(limit)
            ).all()
        return [_run(r) for r in rows]

    def get_monitor_run(self, run_id: str) -> MonitorRun:
        with self._read() as conn:
            row = conn.execute(select(MR).where(MR.c.run_id == run_id)).first()
        if row is None:
            raise NotFoundError(f"No monitor run {run_id!r}")
        return _run(row)

    # -- alerts ----------------------------------------------------------------------------
    def open_alert(
        self,
        alert_id: str,
        monitor: str,
        check: str,
        column: str,
        severity: str,
        evidence: Mapping[str, Any],
        run_id: str | None,
        now: int,
    ) -> tuple[Alert, bool]:
        with self._write() as conn:
            owner = conn.execute(
                select(MO.c.name).where(MO.c.name == monitor).with_for_update()
            ).first()
            if owner is None:
                raise NotFoundError(f"No monitor named {monitor!r}")
            key = (
                (MA.c.monitor == monitor)
                & (MA.c.check_name == check)
                & (MA.c.column_name == column)
                & (MA.c.status == "open")
            )
            row = conn.execute(select(MA).where(key)).first()
            if row is not None:
                conn.execute(
                    update(MA)
                    .where(MA.c.alert_id == row.alert_id)
                    .values(
                        count=MA.c.count + 1,
                        last_seen=now,
                        evidence=_dumps(dict(evidence)),
                        severity=severity,
                        run_id=run_id,
                    )
                )
                fresh = conn.execute(select(MA).where(MA.c.alert_id == row.alert_id)).one()
                return _alert(fresh), False
            conn.execute(
                insert(MA).values(
                    alert_id=alert_id,
                    monitor=monitor,
                    check_name=check,
                    column_name=column,
                    severity=severity,
                    status="open",
                    evidence=_dumps(dict(evidence)),
                    count=1,
                    first_seen=now,
                    last_seen=now,
                    run_id=run_id,
                    resolved_time=None,
                )
            )
            created = conn.execute(select(MA).where(MA.c.alert_id == alert_id)).one()
            return _alert(created), True

    def resolve_alerts(
        self, monitor: str, keep: Sequence[tuple[str, str]], now: int
    ) -> list[Alert]:
        kept = set(keep)
        with self._write() as conn:
            rows = conn.execute(
                select(MA).where(MA.c.monitor == monitor, MA.c.status == "open")
            ).all()
            gone = [r for r in rows if (r.check_name, r.column_name) not in kept]
            if gone:
                ids = [r.alert_id for r in gone]
                conn.execute(
                    update(MA)
                    .where(MA.c.alert_id.in_(ids))
                    .values(status="resolved", resolved_time=now)
                )
                gone = list(conn.execute(select(MA).where(MA.c.alert_id.in_(ids))).all())
        return [_alert(r) for r in gone]

    def list_alerts(self, monitor: str | None, status: str | None) -> list[Alert]:
        query = select(MA)
        if monitor is not None:
            query = query.where(MA.c.monitor == monitor)
        if status is not None:
            query = query.where(MA.c.status == status)
        with self._read() as conn:
            rows = conn.execute(query.order_by(MA.c.last_seen.desc(), MA.c.alert_id)).all()
        return [_alert(r) for r in rows]

    # -- events ----------------------------------------------------------------------------
    def append_event(
        self, event_type: str, monitor: str, payload: Mapping[str, Any], now: int
    ) -> MonitoringEvent:
        text = _dumps(dict(payload))
        with self._write() as conn:
            result = conn.execute(
                insert(ME).values(
                    event_type=event_type, monitor=monitor, payload=text, timestamp=now
                )
            )
            if result.inserted_primary_key is None:
                raise RuntimeError("the database gave no sequence number for a monitoring event")
            seq = int(result.inserted_primary_key[0])
        return MonitoringEvent(seq, event_type, monitor, json.loads(text), now)

    def list_events(
        self, since: int, limit: int, event_types: Sequence[str] | None = None
    ) -> list[MonitoringEvent]:
        query = select(ME).where(ME.c.seq > since)
        if event_types:
            query = query.where(ME.c.event_type.in_(list(event_types)))
        with self._read() as conn:
            rows = conn.execute(query.order_by(ME.c.seq).limit(limit)).all()
        return [
            MonitoringEvent(
                int(r.seq), r.event_type, r.monitor, json.loads(r.payload), int(r.timestamp)
            )
            for r in rows
        ]


def _profile(row: Row[Any]) -> ProfileRecord:
    return ProfileRecord(
        row.name,
        row.blob_digest,
        int(row.n_rows),
        list(json.loads(row.columns)),
        row.run_id,
        row.model_name,
        None if row.model_version is None else int(row.model_version),
        row.created_by,
        int(row.creation_time),
        row.dataset_name,
        None if row.dataset_version is None else int(row.dataset_version),
    )


def _monitor(row: Row[Any]) -> Monitor:
    spec = json.loads(row.spec)
    return Monitor(
        name=row.name,
        **{f: spec[f] for f in _SPEC_FIELDS if f in spec},
        learn_thresholds=bool(row.learn_thresholds),
        interval_s=int(row.interval_s),
        enabled=bool(row.enabled),
        state=json.loads(row.state),
        performance=None if row.performance is None else json.loads(row.performance),
        created_by=row.created_by,
        creation_time=int(row.creation_time),
        last_run_time=row.last_run_time,
        next_run_time=row.next_run_time,
    )


def _run(row: Row[Any]) -> MonitorRun:
    return MonitorRun(
        row.run_id,
        row.monitor,
        row.status,
        bool(row.drifted),
        int(row.n_rows),
        row.message,
        json.loads(row.summary),
        row.report_digest,
        row.json_digest,
        int(row.start_time),
        int(row.end_time),
    )


def _alert(row: Row[Any]) -> Alert:
    return Alert(
        row.alert_id,
        row.monitor,
        row.check_name,
        row.column_name,
        row.severity,
        row.status,
        json.loads(row.evidence),
        int(row._mapping["count"]),  # Row.count is tuple.count
        int(row.first_seen),
        int(row.last_seen),
        row.run_id,
        row.resolved_time,
    )
