"""The tracking Store contract as a pytest class: every backend runs this same suite, unchanged.

Use it by subclassing in a test module and providing a ``store_harness`` fixture that yields a
:class:`StoreHarness` on a fresh, empty database (``SqlStoreHarness`` covers SQLite and
PostgreSQL). The harness opens the bundle of a database's stores; this suite checks its
tracking store, the other domains' suites (``registry_conformance``, ``dataset_conformance``,
``monitoring_conformance``) the other stores of the same bundle::

    from mlsteward.testing.store_conformance import SqlStoreHarness, StoreConformance

    @pytest.fixture(params=["sqlite"])
    def store_harness(tmp_path):
        yield SqlStoreHarness(f"sqlite:///{tmp_path}/store.db")

    class TestMyStore(StoreConformance):
        pass

Differences between backends are declared in ``Store.capabilities`` and read here; the suite
never asks which class it is talking to.
"""

from __future__ import annotations

import abc
import math
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.entities import (
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
    SchemaVersionError,
)
from mlsteward.domain.ids import new_id
from mlsteward.domain.search_filter import parse_filter, parse_order_by
from mlsteward.storage.base import ArtifactRecord, Store
from mlsteward.storage.bundle import Stores
from mlsteward.storage.resolver import open_store
from mlsteward.storage.sql.engine import normalize_sql_url

FUTURE_REVISION = "9999_from_the_future"
DIGEST_A = "a" * 64
DIGEST_B = "b" * 64


#: The runs of the search world: name, status, start, end, latest metrics, params, tags.
WORLD_RUNS: list[
    tuple[str, RunStatus, int, int | None, dict[str, float], dict[str, str], dict[str, str]]
] = [
    ("alpha", RunStatus.FINISHED, 1000, 2000, {"acc": 0.9, "loss": 0.1},
     {"lr": "0.1", "model": "CNN"}, {"team": "vision"}),
    ("beta", RunStatus.FINISHED, 2000, 3000, {"acc": 0.7, "loss": 0.3},
     {"lr": "0.01", "model": "rnn"}, {"team": "nlp"}),
    ("gamma", RunStatus.FAILED, 3000, 3500, {"acc": 0.8},
     {"lr": "0.1", "model": "cnn_big"}, {"team": "vision"}),
    ("delta", RunStatus.RUNNING, 4000, None, {}, {"lr": "0.5"}, {}),
    ("epsilon_1", RunStatus.FINISHED, 5000, 6000, {"acc": math.nan, "loss": math.inf},
     {"model": "50%_off"}, {}),
]  # fmt: skip


#: (filter, names of the matching runs) over the runs built by ``StoreConformance.world``.
SEARCH_FILTER_CASES: list[tuple[str, set[str]]] = [
    ("metrics.acc > 0.75", {"alpha", "gamma"}),
    ("metrics.acc >= 0.8", {"alpha", "gamma"}),
    ("metrics.acc < 0.8", {"beta"}),
    ("metrics.acc <= 0.8", {"beta", "gamma"}),
    ("metrics.acc = 0.8", {"gamma"}),
    ("metrics.acc != 0.8", {"alpha", "beta"}),
    ("metrics.loss > 1e300", {"epsilon_1"}),
    ("metrics.acc IN (0.9, 0.7)", {"alpha", "beta"}),
    ("metrics.loss IS NULL", {"gamma", "delta"}),
    ("metrics.loss IS NOT NULL", {"alpha", "beta", "epsilon_1"}),
    ("params.lr = '0.1'", {"alpha", "gamma"}),
    ("params.lr = 0.1", {"alpha", "gamma"}),
    ("params.lr != '0.1'", {"beta", "delta"}),
    ("params.model LIKE 'cnn%'", {"gamma"}),
    ("params.model ILIKE 'cnn%'", {"alpha", "gamma"}),
    ("params.model LIKE '%\\_%'", {"gamma", "epsilon_1"}),
    ("params.model LIKE '%\\%%'", {"epsilon_1"}),
    ("params.lr IN ('0.01', '0.5')", {"beta", "delta"}),
    ("params.lr NOT IN ('0.1')", {"beta", "delta"}),
    ("tags.team = 'vision'", {"alpha", "gamma"}),
    ("tags.team != 'vision'", {"beta"}),
    ("tags.team IS NULL", {"delta", "epsilon_1"}),
    ("tags.team IS NOT NULL", {"alpha", "beta", "gamma"}),
    ("attributes.status = 'FINISHED'", {"alpha", "beta", "epsilon_1"}),
    ("status != 'FINISHED'", {"gamma", "delta"}),
    ("attributes.status IN ('FAILED', 'RUNNING')", {"gamma", "delta"}),
    ("attributes.end_time IS NULL", {"delta"}),
    ("end_time IS NOT NULL", {"alpha", "beta", "gamma", "epsilon_1"}),
    ("attributes.start_time >= 3000", {"gamma", "delta", "epsilon_1"}),
    ("start_time IN (1000, 2000)", {"alpha", "beta"}),
    ("start_time NOT IN (1000, 2000)", {"gamma", "delta", "epsilon_1"}),
    ("run_name LIKE 'e%'", {"epsilon_1"}),
    ("attributes.run_name ILIKE 'ALPHA'", {"alpha"}),
    ("params.lr = '0.5' OR tags.team = 'nlp' AND metrics.acc > 0.8", {"delta"}),
    ("(params.lr = '0.5' OR tags.team = 'nlp') AND metrics.acc > 0.6", {"beta"}),
    ("params.lr = '0.1' AND (metrics.acc > 0.85 OR tags.team = 'nlp')", {"alpha"}),
    ("metrics.acc > 0.75 and params.lr = '0.1' or run_name = 'delta'", {"alpha", "gamma", "delta"}),
    ("((metrics.acc > 2))", set()),
]  # fmt: skip

#: (order_by, names in the expected order): missing values, and NaN, sort last either way.
SEARCH_ORDER_CASES: list[tuple[list[str], list[str]]] = [
    ([], ["epsilon_1", "delta", "gamma", "beta", "alpha"]),
    (["start_time"], ["alpha", "beta", "gamma", "delta", "epsilon_1"]),
    (["attributes.start_time ASC"], ["alpha", "beta", "gamma", "delta", "epsilon_1"]),
    (["attributes.end_time DESC"], ["epsilon_1", "gamma", "beta", "alpha", "delta"]),
    (["attributes.end_time ASC"], ["alpha", "beta", "gamma", "epsilon_1", "delta"]),
    (["metrics.acc DESC"], ["alpha", "gamma", "beta", "epsilon_1", "delta"]),
    (["metrics.acc"], ["beta", "gamma", "alpha", "epsilon_1", "delta"]),
    (["metrics.loss DESC"], ["epsilon_1", "beta", "alpha", "delta", "gamma"]),
    (["metrics.loss ASC"], ["alpha", "beta", "epsilon_1", "delta", "gamma"]),
    (["params.lr ASC"], ["beta", "gamma", "alpha", "delta", "epsilon_1"]),
    (["params.lr DESC", "start_time ASC"], ["delta", "alpha", "gamma", "beta", "epsilon_1"]),
    (["tags.team ASC", "metrics.acc DESC"], ["beta", "alpha", "gamma", "epsilon_1", "delta"]),
]  # fmt: skip


class StoreHarness(abc.ABC):
    """How the suite reaches one backend: open stores on one database and inspect it."""

    @abc.abstractmethod
    def open(self, *, upgrade: bool = True) -> Stores:
        """The stores of the harness's database, newly opened (migrated when ``upgrade``);
        the caller closes the bundle."""

    @abc.abstractmethod
    def mark_written_by_newer_release(self) -> None:
        """Make the database look as if a newer mlsteward wrote it (an unknown schema)."""

    @abc.abstractmethod
    def snapshot(self) -> object:
        """A comparable picture of everything stored, to prove a refusal changed nothing."""


class SqlStoreHarness(StoreHarness):
    """Harness for the SQL stores on any SQLAlchemy URL (SQLite file or PostgreSQL database)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def open(self, *, upgrade: bool = True) -> Stores:
        return open_store(self.url, upgrade=upgrade)

    def _engine(self) -> Any:
        return create_engine(normalize_sql_url(self.url), poolclass=NullPool)

    def mark_written_by_newer_release(self) -> None:
        engine = self._engine()
        try:
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE alembic_version SET version_num = :rev"), {"rev": FUTURE_REVISION}
                )
        finally:
            engine.dispose()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        engine = self._engine()
        try:
            metadata = MetaData()
            metadata.reflect(engine)
            with engine.connect() as connection:
                return {
                    name: sorted(
                        (tuple(row) for row in connection.execute(select(table))), key=repr
                    )
                    for name, table in sorted(metadata.tables.items())
                }
        finally:
            engine.dispose()


# -- helpers building records the way a service would --------------------------------------


def make_experiment(store: Store, name: str, tags: dict[str, str] | None = None) -> str:
    """Create an experiment named ``name`` and return its id."""
    experiment_id = new_id()
    store.create_experiment(experiment_id, name, "/artifacts", dict(tags or {}), 1_000)
    return experiment_id


def make_run(
    store: Store,
    experiment_id: str,
    name: str = "run",
    *,
    start_time: int = 1_000,
    status: RunStatus = RunStatus.RUNNING,
    end_time: int | None = None,
    parent_run_id: str | None = None,
    tags: Sequence[RunTag] = (),
) -> Run:
    """Create a run with explicit attributes and return it as stored."""
    run_id = new_id()
    info = RunInfo(
        run_id=run_id,
        experiment_id=experiment_id,
        run_name=name,
        user_id="conformance",
        status=status,
        start_time=start_time,
        end_time=end_time,
        lifecycle_stage=LifecycleStage.ACTIVE,
        artifact_uri=f"runs:/{run_id}",
        parent_run_id=parent_run_id,
    )
    return store.create_run(info, list(tags))


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _log_from_process(uri: str, run_id: str, worker: int, batches: int, per_batch: int) -> int:
    """Worker for the multi-process test: open the store by URI and log numbered points."""
    stores = open_store(uri)
    try:
        for batch in range(batches):
            base = (worker * batches + batch) * per_batch
            points = [Metric("shared", float(base + i), 1, base + i) for i in range(per_batch)]
            stores.tracking.log_batch(run_id, points, [Param(f"worker_{worker}", str(worker))], [])
    finally:
        stores.close()
    return worker


@dataclass
class SearchWorld:
    """The runs the search tests query, keyed by run name."""

    experiment_id: str
    other_experiment_id: str
    runs: dict[str, Run]

    def id(self, name: str) -> str:
        return self.runs[name].info.run_id


class StoreConformance:
    """Every point of the Store contract (see ``mlsteward.storage.base``) as a test."""

    @pytest.fixture
    def store(self, store_harness: StoreHarness) -> Iterator[Store]:
        stores = store_harness.open()
        try:
            yield stores.tracking
        finally:
            stores.close()

    # -- experiments ---------------------------------------------------------------------
    def test_experiment_round_trip(self, store: Store) -> None:
        experiment_id = new_id()
        created = store.create_experiment(
            experiment_id, "exp", "s3://bucket/x", {"team": "vision", "empty": ""}, 1234
        )
        fetched = store.get_experiment(experiment_id)
        assert created == fetched
        assert fetched.name == "exp"
        assert fetched.artifact_location == "s3://bucket/x"
        assert fetched.lifecycle_stage is LifecycleStage.ACTIVE
        assert (fetched.creation_time, fetched.last_update_time) == (1234, 1234)
        assert fetched.tags == {"team": "vision", "empty": ""}
        assert store.get_experiment_by_name("exp") == fetched

    def test_experiment_names_are_unique(self, store: Store) -> None:
        first = make_experiment(store, "taken", {"a": "1"})
        other_id = new_id()
        with pytest.raises(AlreadyExistsError):
            store.create_experiment(other_id, "taken", "/elsewhere", {"b": "2"}, 5)
        with pytest.raises(NotFoundError):
            store.get_experiment(other_id)
        kept = store.get_experiment(first)
        assert kept.tags == {"a": "1"} and kept.artifact_location == "/artifacts"
        assert [e.experiment_id for e in store.list_experiments()] == [first]

    def test_unknown_experiment(self, store: Store) -> None:
        with pytest.raises(NotFoundError):
            store.get_experiment(new_id())
        assert store.get_experiment_by_name("nope") is None
        with pytest.raises(NotFoundError):
            store.set_experiment_lifecycle(new_id(), LifecycleStage.DELETED, 1)
        with pytest.raises(NotFoundError):
            store.set_experiment_tag(new_id(), "k", "v", 1)

    def test_experiment_tags_upsert(self, store: Store) -> None:
        experiment_id = make_experiment(store, "tagged", {"k": "old"})
        store.set_experiment_tag(experiment_id, "k", "new", 2_000)
        store.set_experiment_tag(experiment_id, "other", "x", 3_000)
        fetched = store.get_experiment(experiment_id)
        assert fetched.tags == {"k": "new", "other": "x"}
        assert fetched.last_update_time == 3_000

    def test_experiment_lifecycle(self, store: Store) -> None:
        kept = make_experiment(store, "kept")
        gone = make_experiment(store, "gone")
        store.set_experiment_lifecycle(gone, LifecycleStage.DELETED, 2_000)
        assert [e.experiment_id for e in store.list_experiments()] == [kept]
        everything = {e.experiment_id for e in store.list_experiments(include_deleted=True)}
        assert everything == {kept, gone}
        assert store.get_experiment(gone).lifecycle_stage is LifecycleStage.DELETED
        store.set_experiment_lifecycle(gone, LifecycleStage.ACTIVE, 3_000)
        assert {e.experiment_id for e in store.list_experiments()} == {kept, gone}

    def test_get_or_create_experiment(self, store: Store) -> None:
        existing = make_experiment(store, "there")
        assert store.get_or_create_experiment(new_id(), "there", "/a", 5).experiment_id == existing
        fresh_id = new_id()
        created = store.get_or_create_experiment(fresh_id, "new", "/a", 5)
        assert created.experiment_id == fresh_id
        assert store.get_experiment_by_name("new") == created

    # -- runs ----------------------------------------------------------------------------
    def test_run_round_trip(self, store: Store) -> None:
        experiment_id = make_experiment(store, "e")
        run = make_run(store, experiment_id, "first", start_time=42, tags=[RunTag("note", "hello")])
        fetched = store.get_run(run.info.run_id)
        assert fetched == run
        info = fetched.info
        assert (info.experiment_id, info.run_name, info.user_id) == (
            experiment_id,
            "first",
            "conformance",
        )
        assert (info.status, info.start_time, info.end_time) == (RunStatus.RUNNING, 42, None)
        assert info.lifecycle_stage is LifecycleStage.ACTIVE
        assert info.parent_run_id is None
        assert fetched.data.tags == {"note": "hello"}
        assert fetched.data.params == {} and fetched.data.metrics == {}

    def test_run_in_unknown_experiment_is_refused(self, store: Store) -> None:
        experiment_id = make_experiment(store, "e")
        with pytest.raises(NotFoundError):
            make_run(store, new_id(), "orphan")
        runs, more = store.search_runs([experiment_id], None, [], [LifecycleStage.ACTIVE], 10, 0)
        assert runs == [] and more is False

    def test_unknown_run(self, store: Store) -> None:
        missing = new_id()
        with pytest.raises(NotFoundError):
            store.get_run(missing)
        with pytest.raises(NotFoundError):
            store.update_run(missing, status=RunStatus.FINISHED)
        with pytest.raises(NotFoundError):
            store.set_run_lifecycle(missing, LifecycleStage.DELETED, 1)
        with pytest.raises(NotFoundError):
            store.log_batch(missing, [Metric("m", 1.0, 1, 0)], [], [])
        with pytest.raises(NotFoundError):
            store.record_artifacts(missing, [ArtifactRecord("f", DIGEST_A, 1)], 1)

    def test_update_run(self, store: Store) -> None:
        run = make_run(store, make_experiment(store, "e"), "before")
        run_id = run.info.run_id
        unchanged = store.update_run(run_id)
        assert unchanged == run.info
        info = store.update_run(run_id, status=RunStatus.FINISHED, end_time=9_000)
        assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 9_000, "before")
        renamed = store.update_run(run_id, run_name="after")
        assert (renamed.run_name, renamed.status, renamed.end_time) == (
            "after",
            RunStatus.FINISHED,
            9_000,
        )
        assert store.get_run(run_id).info == renamed

    def test_run_lifecycle(self, store: Store) -> None:
        experiment_id = make_experiment(store, "e")
        run_id = make_run(store, experiment_id).info.run_id
        store.set_run_lifecycle(run_id, LifecycleStage.DELETED, 5)
        assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
        active, _ = store.search_runs([experiment_id], None, [], [LifecycleStage.ACTIVE], 10, 0)
        deleted, _ = store.search_runs([experiment_id], None, [], [LifecycleStage.DELETED], 10, 0)
        assert active == [] and [r.info.run_id for r in deleted] == [run_id]
        store.set_run_lifecycle(run_id, LifecycleStage.ACTIVE, 6)
        assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE

    def test_nested_runs_keep_their_parent(self, store: Store) -> None:
        experiment_id = make_experiment(store, "e")
        parent = make_run(store, experiment_id, "parent")
        child = make_run(store, experiment_id, "child", parent_run_id=parent.info.run_id)
        assert store.get_run(child.info.run_id).info.parent_run_id == parent.info.run_id
        expr = parse_filter(f"attributes.parent_run_id = '{parent.info.run_id}'")
        found, _ = store.search_runs([experiment_id], expr, [], [LifecycleStage.ACTIVE], 10, 0)
        assert [r.info.run_name for r in found] == ["child"]
        roots, _ = store.search_runs(
            [experiment_id],
            parse_filter("parent_run_id IS NULL"),
            [],
            [LifecycleStage.ACTIVE],
            10,
            0,
        )
        assert [r.info.run_name for r in roots] == ["parent"]

    # -- log_batch -----------------------------------------------------------------------
    def test_log_batch_round_trip(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        applied = store.log_batch(
            run_id,
            [Metric("loss", 0.5, 10, 0), Metric("loss", 0.25, 20, 1), Metric("acc", 0.9, 20, 1)],
            [Param("lr", "0.1"), Param("layers", "3")],
            [RunTag("team", "vision")],
        )
        assert applied is True
        data = store.get_run(run_id).data
        assert data.params == {"lr": "0.1", "layers": "3"}
        assert data.metrics == {"loss": 0.25, "acc": 0.9}
        assert data.tags == {"team": "vision"}
        assert store.list_metric_keys(run_id) == ["acc", "loss"]
        assert store.get_metric_history(run_id, "loss") == [
            Metric("loss", 0.5, 10, 0),
            Metric("loss", 0.25, 20, 1),
        ]
        assert store.get_metric_history(run_id, "never-logged") == []

    def test_param_conflict_applies_nothing(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [], [Param("lr", "0.1")], [RunTag("t", "before")])
        before = store.get_run(run_id)
        with pytest.raises(ConflictError):
            store.log_batch(
                run_id,
                [Metric("loss", 1.0, 5, 0)],
                [Param("fresh", "x"), Param("lr", "0.2")],
                [RunTag("t", "after"), RunTag("new", "y")],
            )
        assert store.get_run(run_id) == before
        assert store.get_metric_history(run_id, "loss") == []
        assert store.list_metric_keys(run_id) == []

    def test_same_param_value_again_is_fine(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [], [Param("lr", "0.1")], [])
        assert store.log_batch(run_id, [], [Param("lr", "0.1"), Param("new", "1")], [])
        assert store.get_run(run_id).data.params == {"lr": "0.1", "new": "1"}

    def test_conflicting_params_within_one_batch(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        with pytest.raises(ConflictError):
            store.log_batch(
                run_id, [Metric("m", 1.0, 1, 0)], [Param("a", "1"), Param("a", "2")], []
            )
        data = store.get_run(run_id).data
        assert data.params == {} and data.metrics == {}

    def test_many_params_in_one_batch(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        params = [Param(f"p{i:04d}", str(i)) for i in range(1_200)]
        store.log_batch(run_id, [], params, [])
        with pytest.raises(ConflictError):
            store.log_batch(run_id, [], [*params[:-1], Param("p1199", "changed")], [])
        assert store.get_run(run_id).data.params == {p.key: p.value for p in params}

    def test_tags_upsert_last_value_wins(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [], [], [RunTag("k", "1"), RunTag("k", "2")])
        assert store.get_run(run_id).data.tags == {"k": "2"}
        store.log_batch(run_id, [], [], [RunTag("k", "3")])
        assert store.get_run(run_id).data.tags == {"k": "3"}

    def test_delete_tag(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [], [], [RunTag("keep", "1"), RunTag("drop", "2")])
        store.delete_tag(run_id, "drop")
        assert store.get_run(run_id).data.tags == {"keep": "1"}
        with pytest.raises(NotFoundError):
            store.delete_tag(run_id, "drop")

    def test_idempotency_key_replay_is_a_no_op(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        batch = [Metric("m", float(i), 100 + i, i) for i in range(10)]
        assert store.log_batch(run_id, batch, [Param("p", "1")], [RunTag("t", "1")], "key-1")
        assert not store.log_batch(run_id, batch, [Param("p", "2")], [RunTag("t", "2")], "key-1")
        assert store.get_metric_history(run_id, "m") == batch
        data = store.get_run(run_id).data
        assert data.params == {"p": "1"} and data.tags == {"t": "1"}
        assert store.log_batch(run_id, batch[:1], [], [], "key-2")
        assert len(store.get_metric_history(run_id, "m")) == 11

    def test_failed_batch_does_not_consume_its_key(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [], [Param("p", "1")], [])
        with pytest.raises(ConflictError):
            store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [Param("p", "2")], [], "retry-me")
        assert store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [], [], "retry-me")
        assert store.get_metric_history(run_id, "m") == [Metric("m", 1.0, 1, 0)]

    def test_non_finite_values_round_trip(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        values = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e-308, 5e-324]
        store.log_batch(run_id, [Metric("x", v, 1, i) for i, v in enumerate(values)], [], [])
        for key, value in (("nan", math.nan), ("pinf", math.inf), ("ninf", -math.inf)):
            store.log_batch(run_id, [Metric(key, value, 1, 0)], [], [])
        history = store.get_metric_history(run_id, "x")
        assert [p.step for p in history] == list(range(len(values)))
        assert all(_same_float(p.value, v) for p, v in zip(history, values, strict=True))
        latest = store.get_run(run_id).data.metrics
        assert math.isnan(latest["nan"])
        assert latest["pinf"] == math.inf and latest["ninf"] == -math.inf
        assert latest["x"] == 5e-324

    def test_latest_metric_is_highest_step_then_timestamp(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [Metric("m", 5.0, 100, 5)], [], [])
        store.log_batch(run_id, [Metric("m", 3.0, 999, 3)], [], [])  # older step, newer clock
        assert store.get_run(run_id).data.metrics["m"] == 5.0
        store.log_batch(run_id, [Metric("m", 6.0, 200, 5)], [], [])  # same step, later
        assert store.get_run(run_id).data.metrics["m"] == 6.0
        store.log_batch(run_id, [Metric("m", 7.0, 150, 5)], [], [])  # same step, earlier
        assert store.get_run(run_id).data.metrics["m"] == 6.0
        store.log_batch(
            run_id,
            [Metric("m", 9.0, 1, 9), Metric("m", 8.0, 2, 8), Metric("m", math.nan, 5, 9)],
            [],
            [],
        )
        assert math.isnan(store.get_run(run_id).data.metrics["m"])
        store.log_batch(run_id, [Metric("m", 10.0, 6, 9)], [], [])
        assert store.get_run(run_id).data.metrics["m"] == 10.0

    def test_metric_history_is_ordered_by_step_then_timestamp(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [Metric("m", 3.0, 30, 2), Metric("m", 1.0, 50, 0)], [], [])
        store.log_batch(run_id, [Metric("m", 2.0, 10, 1), Metric("m", 4.0, 20, 2)], [], [])
        store.log_batch(run_id, [Metric("m", -1.0, 5, -1), Metric("other", 0.0, 1, 0)], [], [])
        history = store.get_metric_history(run_id, "m")
        assert [(p.step, p.timestamp, p.value) for p in history] == [
            (-1, 5, -1.0),
            (0, 50, 1.0),
            (1, 10, 2.0),
            (2, 20, 4.0),
            (2, 30, 3.0),
        ]
        assert all(p.key == "m" for p in history)

    def test_ties_keep_the_order_they_were_logged_in(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [Metric("m", 3.0, 7, 1), Metric("m", 1.0, 7, 1)], [], [])
        store.log_batch(run_id, [Metric("m", 2.0, 7, 1), Metric("m", math.nan, 7, 1)], [], [])
        values = [p.value for p in store.get_metric_history(run_id, "m")]
        assert values[:3] == [3.0, 1.0, 2.0] and math.isnan(values[3])

    def test_metric_arrays_match_the_history(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        points = [Metric("m", v, 10 - i, i % 3) for i, v in enumerate([0.5, math.inf, -2.0, 7.0])]
        store.log_batch(run_id, points, [], [])
        arrays = store.get_metric_arrays(run_id, "m")
        assert len(arrays) == 4
        assert arrays.to_metrics("m") == store.get_metric_history(run_id, "m")
        assert arrays.steps.tolist() == [0, 0, 1, 2]
        assert len(store.get_metric_arrays(run_id, "absent")) == 0

    def test_large_batch(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        points = [Metric("big", float(i), 1_000 + i, i) for i in range(20_000)]
        store.log_batch(run_id, points, [], [])
        assert store.get_metric_history(run_id, "big") == points
        assert store.get_run(run_id).data.metrics == {"big": 19_999.0}

    # -- search --------------------------------------------------------------------------
    @pytest.fixture
    def world(self, store: Store) -> SearchWorld:
        experiment_id = make_experiment(store, "search")
        other = make_experiment(store, "other")
        runs: dict[str, Run] = {}
        for name, status, start, end, metrics, params, tags in WORLD_RUNS:
            run = make_run(
                store, experiment_id, name, start_time=start, status=status, end_time=end
            )
            store.log_batch(
                run.info.run_id,
                [Metric(k, v, start, 0) for k, v in metrics.items()],
                [Param(k, v) for k, v in params.items()],
                [RunTag(k, v) for k, v in tags.items()],
            )
            runs[name] = store.get_run(run.info.run_id)
        elsewhere = make_run(store, other, "elsewhere", start_time=7000)
        store.log_batch(elsewhere.info.run_id, [Metric("acc", 0.99, 1, 0)], [], [])
        runs["elsewhere"] = elsewhere
        deleted = make_run(store, experiment_id, "deleted", start_time=8000)
        store.log_batch(deleted.info.run_id, [Metric("acc", 0.95, 1, 0)], [], [])
        store.set_run_lifecycle(deleted.info.run_id, LifecycleStage.DELETED, 9000)
        runs["deleted"] = deleted
        return SearchWorld(experiment_id, other, runs)

    @staticmethod
    def _search(
        store: Store,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        order_by: Sequence[str] = (),
        stages: Sequence[LifecycleStage] = (LifecycleStage.ACTIVE,),
        max_results: int = 100,
        offset: int = 0,
    ) -> tuple[list[str], bool]:
        runs, more = store.search_runs(
            list(experiment_ids),
            parse_filter(filter_string),
            parse_order_by(list(order_by)),
            list(stages),
            max_results,
            offset,
        )
        return [r.info.run_name for r in runs], more

    def test_search_filter(self, store: Store, world: SearchWorld) -> None:
        # One test walks the whole table (building the world once); it reports every
        # mismatching filter, not only the first.
        wrong = []
        for filter_string, expected in SEARCH_FILTER_CASES:
            names, more = self._search(store, [world.experiment_id], filter_string)
            if sorted(names) != sorted(expected) or more:
                wrong.append(f"{filter_string!r}: got {sorted(names)}, want {sorted(expected)}")
        assert wrong == []

    def test_search_by_run_id(self, store: Store, world: SearchWorld) -> None:
        wanted = f"attributes.run_id IN ('{world.id('alpha')}', '{world.id('delta')}')"
        names, _ = self._search(store, [world.experiment_id], wanted)
        assert set(names) == {"alpha", "delta"}

    def test_search_order_by(self, store: Store, world: SearchWorld) -> None:
        wrong = []
        for order_by, expected in SEARCH_ORDER_CASES:
            names, _ = self._search(store, [world.experiment_id], order_by=order_by)
            if names != expected:
                wrong.append(f"{order_by}: got {names}, want {expected}")
        assert wrong == []

    def test_search_pagination(self, store: Store, world: SearchWorld) -> None:
        pages = []
        offset = 0
        while True:
            names, more = self._search(
                store, [world.experiment_id], order_by=["start_time"], max_results=2, offset=offset
            )
            pages.append(names)
            offset += len(names)
            if not more:
                break
        assert pages == [["alpha", "beta"], ["gamma", "delta"], ["epsilon_1"]]
        names, more = self._search(store, [world.experiment_id], max_results=5)
        assert len(names) == 5 and more is False
        names, more = self._search(store, [world.experiment_id], offset=10)
        assert names == [] and more is False

    def test_search_scopes(self, store: Store, world: SearchWorld) -> None:
        both = [world.experiment_id, world.other_experiment_id]
        names, _ = self._search(store, both, "metrics.acc > 0.85")
        assert set(names) == {"alpha", "elsewhere"}
        names, _ = self._search(store, [world.experiment_id], stages=[LifecycleStage.DELETED])
        assert names == ["deleted"]
        names, _ = self._search(
            store,
            [world.experiment_id],
            "metrics.acc > 0.85",
            stages=[LifecycleStage.ACTIVE, LifecycleStage.DELETED],
        )
        assert set(names) == {"alpha", "deleted"}
        assert self._search(store, [new_id()]) == ([], False)

    def test_search_returns_full_runs(self, store: Store, world: SearchWorld) -> None:
        runs, _ = store.search_runs(
            [world.experiment_id],
            parse_filter("run_name = 'alpha'"),
            [],
            [LifecycleStage.ACTIVE],
            10,
            0,
        )
        assert runs == [world.runs["alpha"]]
        assert runs[0].data.params == {"lr": "0.1", "model": "CNN"}
        assert runs[0].data.metrics == {"acc": 0.9, "loss": 0.1}

    # -- artifact records ----------------------------------------------------------------
    def test_artifact_records(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        paths = ["top.txt", "a%b/x.txt", "a_b/y.txt", "axb/z.txt", "a_b2/w.txt", "d/e/f.bin"]
        store.record_artifacts(run_id, [ArtifactRecord(p, DIGEST_A, 3) for p in paths], 10)
        listed = store.list_artifact_records(run_id)
        assert [r.path for r in listed] == sorted(paths)
        assert [r.path for r in store.list_artifact_records(run_id, "a_b/")] == ["a_b/y.txt"]
        assert [r.path for r in store.list_artifact_records(run_id, "a%b/")] == ["a%b/x.txt"]
        assert [r.path for r in store.list_artifact_records(run_id, "d/e/")] == ["d/e/f.bin"]
        assert store.list_artifact_records(run_id, "a_") == [
            ArtifactRecord("a_b/y.txt", DIGEST_A, 3),
            ArtifactRecord("a_b2/w.txt", DIGEST_A, 3),
        ]
        top = store.list_artifacts(run_id)
        assert [(e.path, e.is_dir) for e in top] == [
            ("a%b", True),
            ("a_b", True),
            ("a_b2", True),
            ("axb", True),
            ("d", True),
            ("top.txt", False),
        ]
        assert top[-1].size == 3 and top[-1].digest == DIGEST_A
        assert [(e.path, e.is_dir) for e in store.list_artifacts(run_id, "d")] == [("d/e", True)]
        assert [e.path for e in store.list_artifacts(run_id, "a_b")] == ["a_b/y.txt"]

    def test_artifact_prefixes_are_case_sensitive(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.record_artifacts(
            run_id,
            [ArtifactRecord("Data/x.csv", DIGEST_A, 1), ArtifactRecord("data/y.csv", DIGEST_B, 2)],
            1,
        )
        assert [r.path for r in store.list_artifact_records(run_id, "data/")] == ["data/y.csv"]
        assert [r.path for r in store.list_artifact_records(run_id, "Data/")] == ["Data/x.csv"]

    def test_artifact_path_is_repointed(self, store: Store) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        other = make_run(store, make_experiment(store, "f")).info.run_id
        store.record_artifacts(run_id, [ArtifactRecord("model.pkl", DIGEST_A, 1)], 10)
        store.record_artifacts(other, [ArtifactRecord("model.pkl", DIGEST_A, 1)], 10)
        store.record_artifacts(run_id, [ArtifactRecord("model.pkl", DIGEST_B, 2)], 20)
        assert store.list_artifact_records(run_id) == [ArtifactRecord("model.pkl", DIGEST_B, 2)]
        assert store.list_artifact_records(other) == [ArtifactRecord("model.pkl", DIGEST_A, 1)]
        store.record_artifacts(run_id, [], 30)
        assert len(store.list_artifact_records(run_id)) == 1

    # -- schema --------------------------------------------------------------------------
    def test_reopening_keeps_data(self, store: Store, store_harness: StoreHarness) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [Param("p", "v")], [])
        again = store_harness.open()
        try:
            assert again.tracking.get_run(run_id) == store.get_run(run_id)
        finally:
            again.close()
        verified = store_harness.open(upgrade=False)
        verified.close()

    def test_newer_schema_is_refused_untouched(
        self, store: Store, store_harness: StoreHarness
    ) -> None:
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [Param("p", "v")], [])
        store.close()
        store_harness.mark_written_by_newer_release()
        before = store_harness.snapshot()
        for upgrade in (True, False):
            with pytest.raises(SchemaVersionError, match="newer") as raised:
                store_harness.open(upgrade=upgrade)
            assert FUTURE_REVISION in str(raised.value)
        assert store_harness.snapshot() == before

    # -- concurrency ---------------------------------------------------------------------
    def test_concurrent_writers_from_threads(self, store: Store) -> None:
        experiment_id = make_experiment(store, "e")
        shared = make_run(store, experiment_id, "shared").info.run_id
        threads, batches, per_batch = 8, 25, 40

        def work(worker: int) -> None:
            own = make_run(store, experiment_id, f"own-{worker}").info.run_id
            for batch in range(batches):
                base = (worker * batches + batch) * per_batch
                points = [Metric("m", float(base + i), 1, base + i) for i in range(per_batch)]
                store.log_batch(shared, points, [Param(f"w{worker}", "x")], [])
                store.log_batch(own, points[:1], [], [RunTag("batch", str(batch))])

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(threads)))
        history = store.get_metric_history(shared, "m")
        total = threads * batches * per_batch
        assert [p.step for p in history] == list(range(total))
        assert store.get_run(shared).data.metrics["m"] == float(total - 1)
        assert len(store.get_run(shared).data.params) == threads
        runs, _ = store.search_runs(
            [experiment_id], parse_filter("tags.batch = '24'"), [], [LifecycleStage.ACTIVE], 100, 0
        )
        assert len(runs) == threads

    def test_concurrent_writers_of_the_same_param(self, store: Store) -> None:
        # Logging a param again with the same value is fine, also when the first two
        # writers race: neither may fail because the other inserted the row first.
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        workers = 8
        barrier = threading.Barrier(workers)

        def work(worker: int) -> bool:
            barrier.wait()
            return store.log_batch(
                run_id, [Metric("m", float(worker), 1, worker)], [Param("lr", "0.1")], []
            )

        with ThreadPoolExecutor(workers) as pool:
            assert all(pool.map(work, range(workers)))
        assert store.get_run(run_id).data.params == {"lr": "0.1"}
        assert len(store.get_metric_history(run_id, "m")) == workers

    def test_concurrent_batches_touching_the_same_keys(self, store: Store) -> None:
        # Batches naming the same metrics and tags in opposite orders must not deadlock
        # (a deadlock surfaces as an error from log_batch).
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        keys = [f"k{i:02d}" for i in range(20)]
        workers, batches = 8, 15

        def work(worker: int) -> None:
            order = keys if worker % 2 else keys[::-1]
            for batch in range(batches):
                store.log_batch(
                    run_id,
                    [Metric(k, float(worker), batch, batch) for k in order],
                    [Param(k, "same") for k in order],
                    [RunTag(k, str(worker)) for k in order],
                )

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(work, range(workers)))
        assert len(store.get_metric_history(run_id, "k00")) == workers * batches
        assert store.get_run(run_id).data.params == dict.fromkeys(keys, "same")

    def test_concurrent_get_or_create_experiment(self, store: Store) -> None:
        barrier = threading.Barrier(8)

        def work(_: int) -> str:
            barrier.wait()
            return store.get_or_create_experiment(new_id(), "raced", "/a", 1).experiment_id

        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(work, range(8)))
        assert len(ids) == 1
        assert [e.experiment_id for e in store.list_experiments()] == list(ids)

    def test_concurrent_writers_from_processes(self, store: Store) -> None:
        if not store.capabilities.multi_process_writers:
            pytest.skip("this backend declares no multi-process writers")
        run_id = make_run(store, make_experiment(store, "e")).info.run_id
        workers, batches, per_batch = 4, 10, 100
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(_log_from_process, store.uri, run_id, w, batches, per_batch)
                for w in range(workers)
            ]
            assert sorted(f.result() for f in futures) == list(range(workers))
        history = store.get_metric_history(run_id, "shared")
        assert [p.step for p in history] == list(range(workers * batches * per_batch))
        assert store.get_run(run_id).data.params == {f"worker_{w}": str(w) for w in range(workers)}
