"""A version's attached evaluation in SQL: writes that keep its history.

Each change locks the model's row first, so it is ordered against the alias moves, stage
transitions and approval decisions that read the evaluation (they lock the same row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlalchemy import Connection, insert, select

from mlsteward.domain.registry import ModelVersion
from mlsteward.domain.registry_evaluation import EvaluationChange, evaluation_digest, same_value
from mlsteward.storage.registry_base import RegistryStore
from mlsteward.storage.sql import registry_queries as q
from mlsteward.storage.sql import registry_rows as rows
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.store_base import SqlStoreBase
from mlsteward.storage.sql.upsert import dialect_insert


class SqlRegistryEvaluationMixin(SqlStoreBase, RegistryStore):
    """``record_evaluation`` and its history, part of the SQL registry store."""

    def record_evaluation(
        self, name: str, version: int, metrics: Mapping[str, float], now: int, *, actor: str
    ) -> ModelVersion:
        with self._write() as conn:
            q.lock_model(conn, name)
            q.version_row(conn, name, version)
            before = q.evaluation(conn, name, version)
            changed = {
                key: value
                for key, value in metrics.items()
                if key not in before or not same_value(before[key], value)
            }
            if changed:
                self._upsert(conn, name, version, changed, now)
                values = {
                    "name": name,
                    "version": version,
                    "from_metrics": rows.metrics_to_json(
                        {k: before[k] for k in changed if k in before}
                    ),
                    "to_metrics": rows.metrics_to_json(changed),
                    "evaluation_digest": evaluation_digest({**before, **changed}),
                    "actor": actor,
                    "timestamp": now,
                }
                conn.execute(insert(t.model_evaluation_events).values(**values))
                q.touch(conn, name, now, version)
        return self.get_model_version(name, version)

    @staticmethod
    def _upsert(
        conn: Connection, name: str, version: int, metrics: Mapping[str, float], now: int
    ) -> None:
        stmt = dialect_insert(conn, t.model_version_evaluations)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["name", "version", "key"],
                set_={
                    "value": stmt.excluded.value,
                    "is_nan": stmt.excluded.is_nan,
                    "timestamp": stmt.excluded.timestamp,
                },
            ),
            [
                {
                    "name": name,
                    "version": version,
                    "key": key,
                    "value": 0.0 if math.isnan(value) else value,
                    "is_nan": math.isnan(value),
                    "timestamp": now,
                }
                for key, value in metrics.items()
            ],
        )

    def list_evaluation_changes(
        self, name: str, version: int | None = None
    ) -> list[EvaluationChange]:
        ev = t.model_evaluation_events.c
        query = select(t.model_evaluation_events).where(ev.name == name).order_by(ev.id)
        if version is not None:
            query = query.where(ev.version == version)
        with self._read() as conn:
            if version is not None:
                q.version_row(conn, name, version)
            else:
                q.require_model(conn, name)
            return [rows.evaluation_change(row) for row in conn.execute(query)]
