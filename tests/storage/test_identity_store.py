"""The shipped identity storage contract on SQLite and PostgreSQL (each test on an empty
store of its own, see conftest.py), and how the SQL store keeps server-wide grants."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from mlsteward.domain.identity import Role
from mlsteward.storage import open_store
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.testing.identity_conformance import IdentityStoreConformance, make_grant, unique


class TestSqlIdentity(IdentityStoreConformance):
    pass


def test_server_wide_grants_are_stored_with_empty_resource(isolated_store_url: str) -> None:
    """Empty strings, not NULL: NULLs never collide in a unique index, so a repeated
    server-wide grant would otherwise be let in on every database."""
    stores = open_store(isolated_store_url)
    try:
        grant = stores.identity.add_grant(make_grant(unique("alice"), Role.ADMIN))
    finally:
        stores.close()
    engine = create_engine(normalize_sql_url(isolated_store_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                select(t.grants.c.resource_kind, t.grants.c.resource_name).where(
                    t.grants.c.grant_id == grant.grant_id
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("", "")
