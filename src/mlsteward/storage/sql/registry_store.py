"""The model registry's SQL store (SQLite and PostgreSQL).

Every write that depends on a model's current state first locks the model's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers already hold the database lock from
``BEGIN IMMEDIATE``), so version numbers, alias moves and their history stay consistent with
any number of concurrent writers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, exc, insert, select, update

from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.registry import (
    ModelStage,
    ModelVersion,
    ModelVersionStatus,
    RegisteredModel,
)
from mlsteward.domain.registry_filter import RegistryCondition
from mlsteward.storage.sql import registry_queries as q
from mlsteward.storage.sql import registry_rows as rows
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.registry_evaluation_store import SqlRegistryEvaluationMixin
from mlsteward.storage.sql.registry_history_store import SqlRegistryHistoryMixin
from mlsteward.storage.sql.registry_search import model_clause, version_clause
from mlsteward.storage.sql.upsert import dialect_insert


class SqlRegistryStore(SqlRegistryHistoryMixin, SqlRegistryEvaluationMixin):
    """The :class:`RegistryStore` over a database it shares with the other domains' stores."""

    # -- registered models -----------------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        description: str | None,
        tags: Mapping[str, str],
        created_by: str,
        now: int,
    ) -> RegisteredModel:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(q.RM).values(
                        name=name,
                        description=description,
                        created_by=created_by,
                        creation_time=now,
                        last_updated_time=now,
                        latest_version=0,
                        acceptance_thresholds="[]",
                        card="{}",
                    )
                )
                if tags:
                    conn.execute(
                        insert(t.registered_model_tags),
                        [{"name": name, "key": k, "value": v} for k, v in tags.items()],
                    )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"A registered model named {name!r} already exists") from error
        return self.get_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._read() as conn:
            row = conn.execute(select(q.RM).where(q.RM.c.name == name)).first()
            if row is None:
                raise NotFoundError(f"No registered model named {name!r}")
            return rows.models_from_rows(conn, [row])[0]

    def search_registered_models(
        self, conditions: Sequence[RegistryCondition], max_results: int, offset: int
    ) -> tuple[list[RegisteredModel], bool]:
        query = (
            select(q.RM)
            .where(model_clause(conditions))
            .order_by(q.RM.c.name)
            .limit(max_results + 1)
            .offset(offset)
        )
        with self._read() as conn:
            found = conn.execute(query).all()
            return rows.models_from_rows(conn, found[:max_results]), len(found) > max_results

    def update_registered_model(
        self,
        name: str,
        now: int,
        *,
        description: str | None = None,
        card: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        values: dict[str, Any] = {"last_updated_time": now}
        if description is not None:
            values["description"] = description
        if card is not None:
            values["card"] = json.dumps(dict(card), sort_keys=True)
        with self._write() as conn:
            q.lock_model(conn, name)
            conn.execute(update(q.RM).where(q.RM.c.name == name).values(**values))
        return self.get_registered_model(name)

    def set_registered_model_tag(self, name: str, key: str, value: str, now: int) -> None:
        with self._write() as conn:
            q.lock_model(conn, name)
            stmt = dialect_insert(conn, t.registered_model_tags).values(
                name=name, key=key, value=value
            )
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["name", "key"], set_={"value": value})
            )
            q.touch(conn, name, now)

    def delete_registered_model_tag(self, name: str, key: str, now: int) -> None:
        tag = t.registered_model_tags
        with self._write() as conn:
            q.lock_model(conn, name)
            result = conn.execute(delete(tag).where(tag.c.name == name, tag.c.key == key))
            if result.rowcount == 0:
                raise NotFoundError(f"Registered model {name!r} has no tag {key!r}")
            q.touch(conn, name, now)

    def version_registrants(self, name: str) -> list[str]:
        query = select(q.MV.c.created_by).where(q.MV.c.name == name).distinct()
        with self._read() as conn:
            q.require_model(conn, name)
            return sorted(conn.execute(query).scalars())

    # -- versions --------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        *,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: Mapping[str, str],
        created_by: str,
        git_commit: str | None,
        environment_digest: str | None,
        dataset_version_ids: Sequence[str],
        now: int,
    ) -> ModelVersion:
        with self._write() as conn:
            q.lock_model(conn, name)
            conn.execute(
                update(q.RM)
                .where(q.RM.c.name == name)
                .values(latest_version=q.RM.c.latest_version + 1, last_updated_time=now)
            )
            version = conn.execute(
                select(q.RM.c.latest_version).where(q.RM.c.name == name)
            ).scalar_one()
            conn.execute(
                insert(q.MV).values(
                    name=name,
                    version=version,
                    source=source,
                    run_id=run_id,
                    status=ModelVersionStatus.READY.value,
                    stage=ModelStage.NONE.value,
                    description=description,
                    created_by=created_by,
                    creation_time=now,
                    last_updated_time=now,
                    git_commit=git_commit,
                    environment_digest=environment_digest,
                    dataset_version_ids=json.dumps(list(dataset_version_ids)),
                )
            )
            if tags:
                conn.execute(
                    insert(t.model_version_tags),
                    [
                        {"name": name, "version": version, "key": k, "value": v}
                        for k, v in tags.items()
                    ],
                )
        return self.get_model_version(name, version)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        with self._read() as conn:
            row = q.version_row(conn, name, version)
            return rows.versions_from_rows(conn, [row])[0]

    def search_model_versions(
        self, conditions: Sequence[RegistryCondition], max_results: int, offset: int
    ) -> tuple[list[ModelVersion], bool]:
        query = (
            select(q.MV)
            .where(version_clause(conditions))
            .order_by(q.MV.c.name, q.MV.c.version.desc())
            .limit(max_results + 1)
            .offset(offset)
        )
        with self._read() as conn:
            found = conn.execute(query).all()
            return rows.versions_from_rows(conn, found[:max_results]), len(found) > max_results

    def update_model_version(
        self, name: str, version: int, now: int, *, description: str | None = None
    ) -> ModelVersion:
        with self._write() as conn:
            q.version_row(conn, name, version)
            if description is not None:
                conn.execute(
                    update(q.MV)
                    .where(q.MV.c.name == name, q.MV.c.version == version)
                    .values(description=description)
                )
            q.touch(conn, name, now, version)
        return self.get_model_version(name, version)

    def set_model_version_tag(
        self, name: str, version: int, key: str, value: str, now: int
    ) -> None:
        with self._write() as conn:
            q.version_row(conn, name, version)
            stmt = dialect_insert(conn, t.model_version_tags).values(
                name=name, version=version, key=key, value=value
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "version", "key"], set_={"value": value}
                )
            )
            q.touch(conn, name, now, version)

    def delete_model_version_tag(self, name: str, version: int, key: str, now: int) -> None:
        tag = t.model_version_tags.c
        with self._write() as conn:
            q.version_row(conn, name, version)
            result = conn.execute(
                delete(t.model_version_tags).where(
                    tag.name == name, tag.version == version, tag.key == key
                )
            )
            if result.rowcount == 0:
                raise NotFoundError(f"Version {version} of {name!r} has no tag {key!r}")
            q.touch(conn, name, now, version)
