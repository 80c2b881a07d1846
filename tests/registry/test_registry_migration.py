"""Registry migrations: 0002_registry on top of a tracking database, and 0007_threshold_history
and 0008_evaluation_history on a registry written before them, data kept; all reversible."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.registry_evaluation import evaluation_digest
from mlsteward.services.registry.gates import is_stale
from mlsteward.storage import open_store
from mlsteward.storage.registry_base import RegistryStore
from mlsteward.storage.sql import schema
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.testing.postgres import temporary_database

REGISTRY_TABLES = {
    "registered_models",
    "registered_model_tags",
    "model_protected_aliases",
    "model_versions",
    "model_version_tags",
    "model_version_evaluations",
    "model_aliases",
    "model_alias_events",
    "model_stage_events",
    "model_approvals",
    "model_threshold_events",
    "model_evaluation_events",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = schema._config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_tracking_keeps_data_and_downgrade_removes_registry(empty_url: str) -> None:
    _migrate(empty_url, "0001_tracking")
    assert not REGISTRY_TABLES & _tables(empty_url)
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO experiments VALUES ('e' || '0123456789abcdef0123456789abcde', "
                "'kept', '/a', 'active', 1, 1)"
            )
        )
    engine.dispose()

    stores = open_store(empty_url)  # upgrades to head
    try:
        assert stores.tracking.get_experiment_by_name("kept") is not None
        store = stores.registry
        assert isinstance(store, RegistryStore)
        store.create_registered_model("fraud", None, {}, "ann", 1)
    finally:
        stores.close()
    assert _tables(empty_url) >= REGISTRY_TABLES

    _migrate(empty_url, "0001_tracking", down=True)
    assert not REGISTRY_TABLES & _tables(empty_url)
    assert "experiments" in _tables(empty_url)


def test_threshold_history_arrives_on_a_registry_written_before_it(empty_url: str) -> None:
    _migrate(empty_url, "0006_learned_thresholds")
    assert "model_threshold_events" not in _tables(empty_url)
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO registered_models (name, created_by, creation_time,"
                " last_updated_time, latest_version, acceptance_thresholds, card)"
                " VALUES ('old', 'ann', 1, 1, 0, :thresholds, '{}')"
            ),
            {"thresholds": '[{"metric": "auc", "op": ">=", "value": 0.9}]'},
        )
    engine.dispose()

    stores = open_store(empty_url)  # upgrades to head
    try:
        store = stores.registry
        assert isinstance(store, RegistryStore)
        kept = store.get_registered_model("old").acceptance_thresholds
        assert [str(t) for t in kept] == ["auc >= 0.9"]
        assert store.list_threshold_changes("old") == []
        change = store.set_acceptance_thresholds(
            "old", [], expected=kept, actor="bob", reason="retired", now=2
        )
        assert change is not None and store.list_threshold_changes("old") == [change]
    finally:
        stores.close()

    _migrate(empty_url, "0006_learned_thresholds", down=True)
    assert "model_threshold_events" not in _tables(empty_url)
    assert "registered_models" in _tables(empty_url)


def _insert_reviewed_versions(url: str) -> None:
    """At 0007: 'old' v1 evaluated (auc 0.6 and a NaN) and approved by bob; v2 approved with no
    evaluation attached."""
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO registered_models (name, created_by, creation_time,"
                " last_updated_time, latest_version, acceptance_thresholds, card)"
                " VALUES ('old', 'ann', 1, 1, 2, '[]', '{}')"
            )
        )
        for number in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO model_versions (name, version, source, status, stage,"
                    " created_by, creation_time, last_updated_time, dataset_version_ids)"
                    " VALUES ('old', :v, 's3://b/m', 'READY', 'None', 'alice', 1, 1, '[]')"
                ),
                {"v": number},
            )
            connection.execute(
                text(
                    "INSERT INTO model_approvals (name, version, actor, decision, comment,"
                    " timestamp) VALUES ('old', :v, 'bob', 'APPROVED', 'ok', 2)"
                ),
                {"v": number},
            )
        connection.execute(
            text(
                "INSERT INTO model_version_evaluations (name, version, key, value, is_nan,"
                " timestamp) VALUES ('old', 1, 'auc', 0.6, :no, 1), ('old', 1, 'odd', 0, :yes, 1)"
            ),
            {"no": False, "yes": True},
        )
    engine.dispose()


def test_decisions_before_evaluation_history_stand_for_the_evaluation_then(
    empty_url: str,
) -> None:
    _migrate(empty_url, "0007_threshold_history")
    assert "model_evaluation_events" not in _tables(empty_url)
    _insert_reviewed_versions(empty_url)

    stores = open_store(empty_url)  # upgrades to head
    try:
        store = stores.registry
        assert isinstance(store, RegistryStore)
        first, second = (store.get_model_version("old", v) for v in (1, 2))
        assert first.evaluation["auc"] == 0.6 and math.isnan(first.evaluation["odd"])
        approvals = store.list_approvals("old")
        assert [a.evaluation_digest for a in approvals] == [
            evaluation_digest({"auc": 0.6, "odd": math.nan}),
            evaluation_digest({}),
        ]
        assert not any(is_stale(v, a) for v, a in zip((first, second), approvals, strict=True))
        assert store.list_evaluation_changes("old") == []
        changed = store.record_evaluation("old", 1, {"auc": 0.99}, 3, actor="alice")
        assert is_stale(changed, approvals[0])
        assert [c.to_metrics for c in store.list_evaluation_changes("old", 1)] == [{"auc": 0.99}]
    finally:
        stores.close()

    _migrate(empty_url, "0007_threshold_history", down=True)
    assert "model_evaluation_events" not in _tables(empty_url)
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("model_approvals")}
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT COUNT(*) FROM model_approvals")).scalar_one()
    finally:
        engine.dispose()
    assert "evaluation_digest" not in columns and kept == 2
