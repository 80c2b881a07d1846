"""Registry migrations: 0002_registry on top of a tracking database and 0007_threshold_history
on a registry written before it, data kept; both reversible."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

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

    store = open_store(empty_url)  # upgrades to head
    try:
        assert store.get_experiment_by_name("kept") is not None
        assert isinstance(store, RegistryStore)
        store.create_registered_model("fraud", None, {}, "ann", 1)
    finally:
        store.close()
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

    store = open_store(empty_url)  # upgrades to head
    try:
        assert isinstance(store, RegistryStore)
        kept = store.get_registered_model("old").acceptance_thresholds
        assert [str(t) for t in kept] == ["auc >= 0.9"]
        assert store.list_threshold_changes("old") == []
        change = store.set_acceptance_thresholds(
            "old", [], expected=kept, actor="bob", reason="retired", now=2
        )
        assert change is not None and store.list_threshold_changes("old") == [change]
    finally:
        store.close()

    _migrate(empty_url, "0006_learned_thresholds", down=True)
    assert "model_threshold_events" not in _tables(empty_url)
    assert "registered_models" in _tables(empty_url)
