"""The shipped deployment storage contract on SQLite and PostgreSQL (one fixture), and the
0010 migration on a database written before it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from mlsteward.storage import open_store
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import _config, head_revision
from mlsteward.testing.deployment_conformance import (
    DeploymentStoreConformance,
    make_deployment,
    make_event,
    unique_name,
)
from mlsteward.testing.schema_revisions import current_revision


class TestSqlDeployments(DeploymentStoreConformance):
    pass


def test_a_database_from_before_0010_gets_deployments(empty_url: str) -> None:
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0009_identity_audit")
    finally:
        engine.dispose()
    stores = open_store(empty_url)  # upgrades to head
    try:
        assert current_revision(empty_url) == head_revision()
        assert stores.deployments is not None
        deployment = make_deployment(unique_name())
        stores.deployments.create_deployment(deployment, make_event(deployment))
        assert stores.deployments.get_deployment(deployment.name) == deployment
    finally:
        stores.close()
