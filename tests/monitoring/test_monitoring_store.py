"""The shipped monitoring storage contract on SQLite and PostgreSQL (one fixture), and the
0005 migration on a database holding a monitor written before it."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from mlsteward.storage import open_store
from mlsteward.storage.monitoring_base import MonitoringStore
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import _config
from mlsteward.testing.monitoring_conformance import MonitoringStoreConformance


class TestSqlMonitoring(MonitoringStoreConformance):
    pass


def test_monitors_from_before_0005_read_back_without_performance(empty_url: str) -> None:
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0004_monitoring")
            spec = {"target": "dataset:x", "profile": "p", "checks": ["column_drift"]}
            connection.execute(
                text(
                    "INSERT INTO monitors (name, spec, state, enabled, interval_s, created_by,"
                    " creation_time) VALUES ('old', :spec, '{}', true, 0, 'me', 1)"
                ),
                {"spec": json.dumps(spec)},
            )
    finally:
        engine.dispose()
    stores = open_store(empty_url)  # upgrades to head
    try:
        store = stores.monitoring
        assert isinstance(store, MonitoringStore)
        old = store.get_monitor("old")
        assert old.performance is None and old.checks == ["column_drift"]
    finally:
        stores.close()
