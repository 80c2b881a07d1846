"""Migration 0006 on a database written at 0005: old monitors keep working without learned
thresholds, old profiles carry no dataset version (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.ids import new_id
from mlsteward.domain.monitoring import MonitorRun
from mlsteward.storage import open_store
from mlsteward.storage.monitoring_base import MonitoringStore
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import _config


def test_monitors_and_profiles_from_0005_upgrade_with_defaults(empty_url: str) -> None:
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0005_monitor_performance")
            spec = {
                "target": "dataset:x",
                "profile": "p",
                "checks": ["column_drift", "dataset_drift"],
                "chunking": {"size": 100},
            }
            connection.execute(
                text(
                    "INSERT INTO monitors (name, spec, state, enabled, interval_s, created_by,"
                    " creation_time, next_run_time) VALUES ('old', :spec, '{}', true, 60,"
                    " 'me', 1, 5)"
                ),
                {"spec": json.dumps(spec)},
            )
            connection.execute(
                text(
                    "INSERT INTO monitoring_profiles (name, blob_digest, n_rows, columns,"
                    " model_name, model_version, created_by, creation_time)"
                    " VALUES ('p', :digest, 10, '[\"x\"]', 'churn', 2, 'me', 1)"
                ),
                {"digest": "a" * 64},
            )
    finally:
        engine.dispose()
    stores = open_store(empty_url)  # upgrades to head
    try:
        store = stores.monitoring
        assert isinstance(store, MonitoringStore)
        old = store.get_monitor("old")
        assert old.learn_thresholds is False
        assert old.checks == ["column_drift", "dataset_drift"]  # no check added behind its back
        assert old.chunking == {"size": 100} and old.performance is None
        profile = store.get_profile("p")
        assert (profile.model_name, profile.model_version) == ("churn", 2)
        assert (profile.dataset_name, profile.dataset_version) == (None, None)
        # The upgraded monitor still runs through the store as before.
        run = MonitorRun(new_id(), "old", "ok", False, 1, None, {}, None, None, 10, 11)
        store.record_monitor_run(run, {"seen": []}, 70)
        assert "old" in [m.name for m in store.due_monitors(70)]
        assert store.get_monitor("old").learn_thresholds is False
    finally:
        stores.close()
