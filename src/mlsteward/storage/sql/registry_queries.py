"""Queries the registry's write paths share: lock a model, fetch a version, bump timestamps."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Row, select, update

from mlsteward.domain.errors import NotFoundError
from mlsteward.storage.sql import tables as t

RM = t.registered_models
MV = t.model_versions


def lock_model(conn: Connection, name: str) -> Row[Any]:
    """The model's row, locked until the transaction ends (FOR UPDATE; SQLite already is)."""
    row = conn.execute(select(RM).where(RM.c.name == name).with_for_update()).first()
    if row is None:
        raise NotFoundError(f"No registered model named {name!r}")
    return row


def require_model(conn: Connection, name: str) -> None:
    if conn.execute(select(RM.c.name).where(RM.c.name == name)).first() is None:
        raise NotFoundError(f"No registered model named {name!r}")


def version_row(conn: Connection, name: str, version: int) -> Row[Any]:
    """The version's row; NotFoundError saying what does exist when it is absent."""
    row = conn.execute(select(MV).where(MV.c.name == name, MV.c.version == version)).first()
    if row is None:
        latest = conn.execute(
            select(RM.c.latest_version).where(RM.c.name == name)
        ).scalar_one_or_none()
        if latest is None:
            raise NotFoundError(f"No registered model named {name!r}")
        has = f"its latest is version {latest}" if latest else "it has no versions yet"
        raise NotFoundError(f"Registered model {name!r} has no version {version} ({has})")
    return row


def evaluation(conn: Connection, name: str, version: int) -> dict[str, float]:
    """The version's attached evaluation as stored (NaN restored)."""
    ev = t.model_version_evaluations.c
    query = select(ev.key, ev.value, ev.is_nan).where(ev.name == name, ev.version == version)
    return {r.key: math.nan if r.is_nan else r.value for r in conn.execute(query)}


def touch(conn: Connection, name: str, now: int, version: int | None = None) -> None:
    """Bump ``last_updated_time`` of the model (and of one version)."""
    conn.execute(update(RM).where(RM.c.name == name).values(last_updated_time=now))
    if version is not None:
        conn.execute(
            update(MV)
            .where(MV.c.name == name, MV.c.version == version)
            .values(last_updated_time=now)
        )


def current_alias(conn: Connection, name: str, alias: str) -> int | None:
    al = t.model_aliases.c
    return conn.execute(
        select(al.version).where(al.name == name, al.alias == alias)
    ).scalar_one_or_none()
