"""The tracking store in SQL (experiments, runs, metrics, artifacts), on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, exc, insert, select, update

from mlsteward.domain.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
)
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
)
from mlsteward.domain.metric_arrays import MetricArrays
from mlsteward.domain.search_filter import Expr, OrderKey
from mlsteward.storage.base import ArtifactRecord, Store
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.in_chunks import in_chunks
from mlsteward.storage.sql.metric_chunks import insert_chunks, read_arrays
from mlsteward.storage.sql.run_search import filter_clause, order_clauses
from mlsteward.storage.sql.store_base import SqlStoreBase
from mlsteward.storage.sql.upsert import dialect_insert


class SqlTrackingStore(SqlStoreBase, Store):
    """The tracking :class:`Store` over a database it shares with the other domains' stores."""

    # -- experiments ---------------------------------------------------------------------
    def create_experiment(
        self, experiment_id: str, name: str, artifact_location: str, tags: dict[str, str], now: int
    ) -> Experiment:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(t.experiments).values(
                        experiment_id=experiment_id,
                        name=name,
                        artifact_location=artifact_location,
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=now,
                        last_update_time=now,
                    )
                )
                if tags:
                    conn.execute(
                        insert(t.experiment_tags),
                        [
                            {"experiment_id": experiment_id, "key": k, "value": v}
                            for k, v in tags.items()
                        ],
                    )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"An experiment named {name!r} already exists") from error
        return self.get_experiment(experiment_id)

    def _experiment_from_row(self, conn: Connection, row: Row[Any]) -> Experiment:
        tag_rows = conn.execute(
            select(t.experiment_tags.c.key, t.experiment_tags.c.value).where(
                t.experiment_tags.c.experiment_id == row.experiment_id
            )
        )
        return Experiment(
            experiment_id=row.experiment_id,
            name=row.name,
            artifact_location=row.artifact_location,
            lifecycle_stage=LifecycleStage(row.lifecycle_stage),
            creation_time=row.creation_time,
            last_update_time=row.last_update_time,
            tags={r.key: r.value for r in tag_rows},
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._read() as conn:
            row = conn.execute(
                select(t.experiments).where(t.experiments.c.experiment_id == experiment_id)
            ).first()
            if row is None:
                raise NotFoundError(f"No experiment with id {experiment_id!r}")
            return self._experiment_from_row(conn, row)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self._read() as conn:
            row = conn.execute(select(t.experiments).where(t.experiments.c.name == name)).first()
            return None if row is None else self._experiment_from_row(conn, row)

    def list_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        query = select(t.experiments).order_by(t.experiments.c.creation_time)
        if not include_deleted:
            query = query.where(t.experiments.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
        with self._read() as conn:
            return [self._experiment_from_row(conn, row) for row in conn.execute(query)]

    def set_experiment_lifecycle(self, experiment_id: str, stage: LifecycleStage, now: int) -> None:
        with self._write() as conn:
            result = conn.execute(
                update(t.experiments)
                .where(t.experiments.c.experiment_id == experiment_id)
                .values(lifecycle_stage=stage.value, last_update_time=now)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"No experiment with id {experiment_id!r}")

    def set_experiment_tag(self, experiment_id: str, key: str, value: str, now: int) -> None:
        with self._write() as conn:
            self._require_experiment(conn, experiment_id)
            stmt = dialect_insert(conn, t.experiment_tags).values(
                experiment_id=experiment_id, key=key, value=value
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["experiment_id", "key"], set_={"value": value}
                )
            )
            conn.execute(
                update(t.experiments)
                .where(t.experiments.c.experiment_id == experiment_id)
                .values(last_update_time=now)
            )

    def _require_experiment(self, conn: Connection, experiment_id: str) -> None:
        found = conn.execute(
            select(t.experiments.c.experiment_id).where(
                t.experiments.c.experiment_id == experiment_id
            )
        ).first()
        if found is None:
            raise NotFoundError(f"No experiment with id {experiment_id!r}")

    # -- runs ----------------------------------------------------------------------------
    def create_run(self, info: RunInfo, tags: Sequence[RunTag]) -> Run:
        with self._write() as conn:
            self._require_experiment(conn, info.experiment_id)
            conn.execute(
                insert(t.runs).values(
                    run_id=info.run_id,
                    experiment_id=info.experiment_id,
                    run_name=info.run_name,
                    user_id=info.user_id,
                    status=info.status.value,
                    start_time=info.start_time,
                    end_time=info.end_time,
                    lifecycle_stage=info.lifecycle_stage.value,
                    artifact_uri=info.artifact_uri,
                    parent_run_id=info.parent_run_id,
                )
            )
            if tags:
                conn.execute(
                    insert(t.run_tags),
                    [{"run_id": info.run_id, "key": tag.key, "value": tag.value} for tag in tags],
                )
        return self.get_run(info.run_id)

    def get_run(self, run_id: str) -> Run:
        with self._read() as conn:
            row = conn.execute(select(t.runs).where(t.runs.c.run_id == run_id)).first()
            if row is None:
                raise NotFoundError(f"No run with id {run_id!r}")
            return self._hydrate(conn, [row])[0]

    def _require_run(self, conn: Connection, run_id: str) -> None:
        found = conn.execute(select(t.runs.c.run_id).where(t.runs.c.run_id == run_id)).first()
        if found is None:
            raise NotFoundError(f"No run with id {run_id!r}")

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = status.value
        if end_time is not None:
            values["end_time"] = end_time
        if run_name is not None:
            values["run_name"] = run_name
        with self._write() as conn:
            self._require_run(conn, run_id)
            if values:
                conn.execute(update(t.runs).where(t.runs.c.run_id == run_id).values(**values))
            if tags:
                self._upsert_tags(conn, run_id, tags)
        return self.get_run(run_id).info

    @staticmethod
    def _upsert_tags(conn: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
        """Last value wins per key; rows go in key order so concurrent writers never deadlock."""
        last = {tag.key: tag.value for tag in tags}
        stmt = dialect_insert(conn, t.run_tags)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "key"], set_={"value": stmt.excluded.value}
            ),
            [{"run_id": run_id, "key": k, "value": last[k]} for k in sorted(last)],
        )

    def set_run_lifecycle(self, run_id: str, stage: LifecycleStage, now: int) -> None:
        deleted_time = now if stage is LifecycleStage.DELETED else None
        with self._write() as conn:
            result = conn.execute(
                update(t.runs)
                .where(t.runs.c.run_id == run_id)
                .values(lifecycle_stage=stage.value, deleted_time=deleted_time)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"No run with id {run_id!r}")

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
        idempotency_key: str | None = None,
    ) -> bool:
        with self._write() as conn:
            self._require_run(conn, run_id)
            if idempotency_key is not None:
                stmt = dialect_insert(conn, t.idempotency_keys).values(
                    key=idempotency_key, run_id=run_id, created_time=_now_ms()
                )
                # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT.
                claimed = stmt.on_conflict_do_nothing().returning(t.idempotency_keys.c.key)
                if conn.execute(claimed).first() is None:
                    return False
            if params:
                self._insert_params(conn, run_id, params)
            if tags:
                self._upsert_tags(conn, run_id, tags)
            if metrics:
                self._insert_metrics(conn, run_id, metrics)
        return True

    def _insert_params(self, conn: Connection, run_id: str, items: Sequence[Param]) -> None:
        wanted: dict[str, str] = {}
        for param in items:
            if wanted.setdefault(param.key, param.value) != param.value:
                raise ConflictError(
                    f"Param {param.key!r} given twice in one batch with different values"
                )
        existing = self._stored_params(conn, run_id, list(wanted))
        _check_params_unchanged(existing, wanted)
        fresh = [
            {"run_id": run_id, "key": k, "value": wanted[k]}
            for k in sorted(wanted)
            if k not in existing
        ]
        if fresh:
            # A concurrent batch may insert the same key between our read and this insert
            # (PostgreSQL does not serialise writers the way SQLite's BEGIN IMMEDIATE does):
            # skip such rows, then compare with what won, so equal values still succeed.
            conn.execute(dialect_insert(conn, t.params).on_conflict_do_nothing(), fresh)
            stored = self._stored_params(conn, run_id, [row["key"] for row in fresh])
            _check_params_unchanged(stored, wanted)

    def _stored_params(self, conn: Connection, run_id: str, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in in_chunks(keys):
            rows = conn.execute(
                select(t.params.c.key, t.params.c.value).where(
                    t.params.c.run_id == run_id, t.params.c.key.in_(chunk)
                )
            )
            found.update({row.key: row.value for row in rows})
        return found

    def _insert_metrics(self, conn: Connection, run_id: str, points: Sequence[Metric]) -> None:
        insert_chunks(conn, run_id, points)
        latest: dict[str, Metric] = {}
        for point in points:
            best = latest.get(point.key)
            if best is None or (point.step, point.timestamp) >= (best.step, best.timestamp):
                latest[point.key] = point
        stmt = dialect_insert(conn, t.latest_metrics)
        newer = (stmt.excluded.step > t.latest_metrics.c.step) | (
            (stmt.excluded.step == t.latest_metrics.c.step)
            & (stmt.excluded.timestamp >= t.latest_metrics.c.timestamp)
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={
                "value": stmt.excluded.value,
                "is_nan": stmt.excluded.is_nan,
                "step": stmt.excluded.step,
                "timestamp": stmt.excluded.timestamp,
            },
            where=newer,
        )
        conn.execute(
            upsert,
            [
                {
                    "run_id": run_id,
                    "key": p.key,
                    "value": 0.0 if math.isnan(p.value) else p.value,
                    "is_nan": math.isnan(p.value),
                    "step": p.step,
                    "timestamp": p.timestamp,
                }
                for p in sorted(latest.values(), key=lambda point: point.key)
            ],
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        with self._write() as conn:
            result = conn.execute(
                delete(t.run_tags).where(t.run_tags.c.run_id == run_id, t.run_tags.c.key == key)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"Run {run_id!r} has no tag {key!r}")

    def get_metric_arrays(self, run_id: str, key: str) -> MetricArrays:
        with self._read() as conn:
            return read_arrays(conn, run_id, key)

    def list_metric_keys(self, run_id: str) -> list[str]:
        query = (
            select(t.latest_metrics.c.key)
            .where(t.latest_metrics.c.run_id == run_id)
            .order_by(t.latest_metrics.c.key)
        )
        with self._read() as conn:
            return list(conn.execute(query).scalars())

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_expr: Expr | None,
        order_by: Sequence[OrderKey],
        lifecycle_stages: Sequence[LifecycleStage],
        max_results: int,
        offset: int,
    ) -> tuple[list[Run], bool]:
        query = select(t.runs).where(
            t.runs.c.experiment_id.in_(list(experiment_ids)),
            t.runs.c.lifecycle_stage.in_([stage.value for stage in lifecycle_stages]),
        )
        if filter_expr is not None:
            query = query.where(filter_clause(filter_expr))
        query = query.order_by(*order_clauses(list(order_by))).limit(max_results + 1).offset(offset)
        with self._read() as conn:
            rows = conn.execute(query).all()
            has_more = len(rows) > max_results
            return self._hydrate(conn, rows[:max_results]), has_more

    def _hydrate(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
        """Attach params, tags and latest metrics to run rows with three queries per chunk."""
        params: dict[str, dict[str, str]] = {row.run_id: {} for row in rows}
        tags: dict[str, dict[str, str]] = {row.run_id: {} for row in rows}
        metrics: dict[str, dict[str, float]] = {row.run_id: {} for row in rows}
        ids = list(params)
        for chunk in in_chunks(ids):
            for row in conn.execute(
                select(t.params.c.run_id, t.params.c.key, t.params.c.value).where(
                    t.params.c.run_id.in_(chunk)
                )
            ):
                params[row.run_id][row.key] = row.value
            for row in conn.execute(
                select(t.run_tags.c.run_id, t.run_tags.c.key, t.run_tags.c.value).where(
                    t.run_tags.c.run_id.in_(chunk)
                )
            ):
                tags[row.run_id][row.key] = row.value
            lm = t.latest_metrics.c
            for run_id, key, value, is_nan in conn.execute(
                select(lm.run_id, lm.key, lm.value, lm.is_nan).where(lm.run_id.in_(chunk))
            ):
                metrics[run_id][key] = math.nan if is_nan else value
        return [
            Run(
                info=RunInfo(
                    run_id=row.run_id,
                    experiment_id=row.experiment_id,
                    run_name=row.run_name,
                    user_id=row.user_id,
                    status=RunStatus(row.status),
                    start_time=row.start_time,
                    end_time=row.end_time,
                    lifecycle_stage=LifecycleStage(row.lifecycle_stage),
                    artifact_uri=row.artifact_uri,
                    parent_run_id=row.parent_run_id,
                ),
                data=RunData(
                    params=params[row.run_id], metrics=metrics[row.run_id], tags=tags[row.run_id]
                ),
            )
            for row in rows
        ]

    # -- artifacts -----------------------------------------------------------------------
    def record_artifacts(self, run_id: str, records: Sequence[ArtifactRecord], now: int) -> None:
        if not records:
            return
        with self._write() as conn:
            self._require_run(conn, run_id)
            stmt = dialect_insert(conn, t.run_artifacts)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["run_id", "path"],
                    set_={
                        "digest": stmt.excluded.digest,
                        "size": stmt.excluded.size,
                        "created_time": stmt.excluded.created_time,
                    },
                ),
                [
                    {
                        "run_id": run_id,
                        "path": r.path,
                        "digest": r.digest,
                        "size": r.size,
                        "created_time": now,
                    }
                    for r in records
                ],
            )

    def list_artifact_records(self, run_id: str, prefix: str = "") -> list[ArtifactRecord]:
        a = t.run_artifacts.c
        query = select(a.path, a.digest, a.size).where(a.run_id == run_id).order_by(a.path)
        if prefix:
            query = query.where(a.path.startswith(prefix, autoescape=True))
        with self._read() as conn:
            return [ArtifactRecord(row.path, row.digest, row.size) for row in conn.execute(query)]


def _check_params_unchanged(stored: dict[str, str], wanted: dict[str, str]) -> None:
    for key, old in stored.items():
        if old != wanted[key]:
            raise ConflictError(
                f"Param {key!r} was already logged with value {old!r}; a run's params "
                f"cannot change (got {wanted[key]!r}). Nothing from this batch was saved."
            )


def _now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000
