"""The datasets' SQL store (SQLite and PostgreSQL).

Creating a version locks the dataset's row (``FOR UPDATE`` on PostgreSQL; SQLite writers
hold the database lock already), so numbering and content deduplication are race-free.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, exc, insert, or_, select, update

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.storage.datasets_base import DatasetStore, NewDatasetVersion
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.in_chunks import in_chunks
from mlsteward.storage.sql.store_base import SqlStoreBase
from mlsteward.storage.sql.upsert import dialect_insert

DS = t.datasets
DV = t.dataset_versions
DP = t.dataset_version_parents
DA = t.dataset_aliases
DI = t.dataset_inputs


class SqlDatasetStore(SqlStoreBase, DatasetStore):
    """The :class:`DatasetStore` over a database it shares with the other domains' stores."""

    # -- versions --------------------------------------------------------------------------
    def create_dataset_version(
        self, name: str, spec: NewDatasetVersion, created_by: str, now: int
    ) -> tuple[DatasetVersion, bool]:
        with self._write() as conn:
            # Create-if-missing without a race (a concurrent creator's row wins quietly), then
            # lock the row: numbering and the content check below are serialised per dataset.
            conn.execute(
                dialect_insert(conn, DS)
                .values(name=name, latest_version=0, created_by=created_by, creation_time=now)
                .on_conflict_do_nothing()
            )
            row = _lock_dataset(conn, name)
            if row is None:
                raise RuntimeError(f"dataset {name!r} is missing right after its upsert")
            latest = row.latest_version
            same = conn.execute(
                select(DV.c.dataset_version_id)
                .where(DV.c.name == name, DV.c.content_hash == spec.content_hash)
                .order_by(DV.c.version)
            ).first()
            if same is not None:
                return _version(conn, DV.c.dataset_version_id == same[0]), False
            version_id = new_id()
            conn.execute(
                insert(DV).values(
                    dataset_version_id=version_id,
                    name=name,
                    version=latest + 1,
                    content_hash=spec.content_hash,
                    blob_digest=spec.blob_digest,
                    num_rows=spec.num_rows,
                    num_bytes=spec.num_bytes,
                    schema=json.dumps([list(pair) for pair in spec.schema]),
                    kind=spec.kind,
                    lineage=json.dumps(dict(spec.lineage), sort_keys=True, default=str),
                    profile_digest=spec.profile_digest,
                    report_digest=spec.report_digest,
                    description=spec.description,
                    created_by=created_by,
                    creation_time=now,
                )
            )
            if spec.parents:
                conn.execute(
                    insert(DP),
                    [
                        {"dataset_version_id": version_id, "position": i, "parent_id": parent}
                        for i, parent in enumerate(spec.parents)
                    ],
                )
            conn.execute(update(DS).where(DS.c.name == name).values(latest_version=latest + 1))
            return _version(conn, DV.c.dataset_version_id == version_id), True

    def get_dataset_version(self, name: str, version: int) -> DatasetVersion:
        with self._read() as conn:
            _require_dataset(conn, name)
            return _version(
                conn,
                (DV.c.name == name) & (DV.c.version == version),
                f"Dataset {name!r} has no version {version}",
            )

    def get_dataset_version_by_id(self, dataset_version_id: str) -> DatasetVersion:
        with self._read() as conn:
            return _version(
                conn,
                DV.c.dataset_version_id == dataset_version_id,
                f"No dataset version with id {dataset_version_id!r}",
            )

    def find_dataset_version(self, name: str, content_hash: str) -> DatasetVersion | None:
        query = (
            select(DV)
            .where(DV.c.name == name, DV.c.content_hash == content_hash)
            .order_by(DV.c.version)
            .limit(1)
        )
        with self._read() as conn:
            found = conn.execute(query).all()
            return _hydrate(conn, found)[0] if found else None

    def latest_dataset_version(self, name: str) -> DatasetVersion:
        with self._read() as conn:
            latest = _require_dataset(conn, name)
            return _version(conn, (DV.c.name == name) & (DV.c.version == latest))

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        with self._read() as conn:
            _require_dataset(conn, name)
            found = conn.execute(select(DV).where(DV.c.name == name).order_by(DV.c.version))
            return _hydrate(conn, found.all())

    def list_datasets(self) -> list[str]:
        with self._read() as conn:
            return list(conn.execute(select(DS.c.name).order_by(DS.c.name)).scalars())

    def list_dataset_children(self, dataset_version_id: str) -> list[DatasetVersion]:
        query = (
            select(DV)
            .join(DP, DP.c.dataset_version_id == DV.c.dataset_version_id)
            .where(DP.c.parent_id == dataset_version_id)
            .order_by(DV.c.creation_time, DV.c.name, DV.c.version)
        )
        with self._read() as conn:
            return _hydrate(conn, conn.execute(query).all())

    # -- aliases ---------------------------------------------------------------------------
    def set_dataset_alias(self, name: str, alias: str, version: int) -> None:
        with self._write() as conn:
            if _lock_dataset(conn, name) is None:
                raise NotFoundError(f"No dataset named {name!r}")
            _version(
                conn,
                (DV.c.name == name) & (DV.c.version == version),
                f"Dataset {name!r} has no version {version}",
            )
            stmt = dialect_insert(conn, DA).values(name=name, alias=alias, version=version)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "alias"], set_={"version": version}
                )
            )

    def delete_dataset_alias(self, name: str, alias: str) -> None:
        with self._write() as conn:
            gone = conn.execute(delete(DA).where(DA.c.name == name, DA.c.alias == alias))
            if gone.rowcount == 0:
                raise NotFoundError(f"Dataset {name!r} has no alias {alias!r}")

    def get_dataset_alias(self, name: str, alias: str) -> int:
        with self._read() as conn:
            _require_dataset(conn, name)
            found = conn.execute(
                select(DA.c.version).where(DA.c.name == name, DA.c.alias == alias)
            ).scalar_one_or_none()
        if found is None:
            raise NotFoundError(f"Dataset {name!r} has no alias {alias!r}")
        return int(found)

    # -- run inputs ------------------------------------------------------------------------
    def log_dataset_input(self, item: DatasetInput) -> None:
        with self._write() as conn:
            conn.execute(
                dialect_insert(conn, DI)
                .values(
                    run_id=item.run_id,
                    dataset_version_id=item.dataset_version_id,
                    context=item.context,
                    timestamp=item.timestamp,
                )
                .on_conflict_do_nothing()
            )

    def list_run_inputs(self, run_id: str) -> list[DatasetInput]:
        return self._inputs(DI.c.run_id == run_id)

    def list_dataset_version_inputs(self, dataset_version_id: str) -> list[DatasetInput]:
        return self._inputs(DI.c.dataset_version_id == dataset_version_id)

    def _inputs(self, clause: Any) -> list[DatasetInput]:
        query = select(DI).where(clause).order_by(DI.c.timestamp, DI.c.run_id, DI.c.context)
        with self._read() as conn:
            return [
                DatasetInput(r.run_id, r.dataset_version_id, r.context, r.timestamp)
                for r in conn.execute(query)
            ]

    def list_models_using(
        self, dataset_version_id: str, run_ids: Sequence[str]
    ) -> list[tuple[str, int]]:
        mv = t.model_versions.c
        clause = mv.dataset_version_ids.contains(f'"{dataset_version_id}"', autoescape=True)
        if run_ids:
            clause = or_(clause, mv.run_id.in_(list(run_ids)))
        query = select(mv.name, mv.version).where(clause).order_by(mv.name, mv.version)
        with self._read() as conn:
            return [(r.name, r.version) for r in conn.execute(query)]

    # -- label queues ----------------------------------------------------------------------
    def create_label_queue(self, queue: LabelQueue) -> LabelQueue:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(t.label_queues).values(
                        queue_id=queue.queue_id,
                        name=queue.name,
                        dataset_version_id=queue.dataset_version_id,
                        label_column=queue.label_column,
                        choices=json.dumps(queue.choices),
                        reviews=queue.reviews,
                        num_items=queue.num_items,
                        created_by=queue.created_by,
                        creation_time=queue.creation_time,
                    )
                )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"A label queue named {queue.name!r} exists") from error
        return self.get_label_queue(queue.name)

    def get_label_queue(self, name: str) -> LabelQueue:
        with self._read() as conn:
            row = conn.execute(select(t.label_queues).where(t.label_queues.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"No label queue named {name!r}")
        return LabelQueue(
            queue_id=row.queue_id,
            name=row.name,
            dataset_version_id=row.dataset_version_id,
            label_column=row.label_column,
            choices=json.loads(row.choices),
            reviews=row.reviews,
            num_items=row.num_items,
            created_by=row.created_by,
            creation_time=row.creation_time,
        )

    def add_label(self, label: Label) -> None:
        try:
            with self._write() as conn:
                conn.execute(
                    insert(t.labels).values(
                        queue_id=label.queue_id,
                        item=label.item,
                        annotator=label.annotator,
                        role=label.role,
                        value=label.value,
                        timestamp=label.timestamp,
                    )
                )
        except exc.IntegrityError as error:
            raise AlreadyExistsError(
                f"{label.annotator!r} already gave a {label.role} label to item {label.item}"
            ) from error

    def list_labels(self, queue_id: str) -> list[Label]:
        lb = t.labels.c
        query = select(t.labels).where(lb.queue_id == queue_id).order_by(lb.item, lb.timestamp)
        with self._read() as conn:
            return [
                Label(r.queue_id, r.item, r.annotator, r.value, r.role, r.timestamp)
                for r in conn.execute(query)
            ]


def _lock_dataset(conn: Connection, name: str) -> Row[Any] | None:
    return conn.execute(select(DS).where(DS.c.name == name).with_for_update()).first()


def _require_dataset(conn: Connection, name: str) -> int:
    latest = conn.execute(select(DS.c.latest_version).where(DS.c.name == name)).scalar_one_or_none()
    if latest is None:
        raise NotFoundError(f"No dataset named {name!r}")
    return int(latest)


def _version(conn: Connection, clause: Any, missing: str = "") -> DatasetVersion:
    row = conn.execute(select(DV).where(clause)).first()
    if row is None:
        raise NotFoundError(missing or "No such dataset version")
    return _hydrate(conn, [row])[0]


def _hydrate(conn: Connection, rows: Sequence[Row[Any]]) -> list[DatasetVersion]:
    ids = [row.dataset_version_id for row in rows]
    names = sorted({row.name for row in rows})
    parents: dict[str, list[str]] = {i: [] for i in ids}
    aliases: dict[tuple[str, int], list[str]] = {}
    for chunk in in_chunks(ids):
        for r in conn.execute(
            select(DP).where(DP.c.dataset_version_id.in_(chunk)).order_by(DP.c.position)
        ):
            parents[r.dataset_version_id].append(r.parent_id)
    if names:
        for r in conn.execute(select(DA).where(DA.c.name.in_(names)).order_by(DA.c.alias)):
            aliases.setdefault((r.name, r.version), []).append(r.alias)
    return [
        DatasetVersion(
            dataset_version_id=row.dataset_version_id,
            name=row.name,
            version=row.version,
            content_hash=row.content_hash,
            blob_digest=row.blob_digest,
            num_rows=row.num_rows,
            num_bytes=row.num_bytes,
            schema=[(a, b) for a, b in json.loads(row.schema)],
            kind=row.kind,
            lineage=json.loads(row.lineage),
            parents=parents[row.dataset_version_id],
            profile_digest=row.profile_digest,
            report_digest=row.report_digest,
            created_by=row.created_by,
            creation_time=row.creation_time,
            description=row.description,
            aliases=aliases.get((row.name, row.version), []),
        )
        for row in rows
    ]
