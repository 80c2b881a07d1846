"""The shipped batch job storage contract on SQLite and PostgreSQL (one fixture), and the 0012
migration on a database from before it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from mlsteward.storage import open_store
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import _config, head_revision
from mlsteward.testing.batch_job_conformance import (
    BatchJobStoreConformance,
    make_job,
    unique_name,
)
from mlsteward.testing.schema_revisions import current_revision


class TestSqlBatchJobs(BatchJobStoreConformance):
    pass


def test_a_database_from_before_0012_gets_batch_jobs(empty_url: str) -> None:
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0011_deployment_replicas")
    finally:
        engine.dispose()
    stores = open_store(empty_url)  # upgrades to head
    try:
        assert current_revision(empty_url) == head_revision()
        assert stores.batch_jobs is not None
        job = stores.batch_jobs.create_job(make_job(unique_name()))
        assert stores.batch_jobs.list_jobs() == [job]
    finally:
        stores.close()
