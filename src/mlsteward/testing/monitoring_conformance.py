"""The monitoring storage contract as a pytest class: every backend runs the same suite.

Subclass :class:`MonitoringStoreConformance` in a test module and provide the
``store_harness`` fixture of :mod:`mlsteward.testing.store_conformance` (a harness whose
``open`` gives the stores of a migrated database; this suite uses its ``monitoring``). Tests
name their monitors uniquely, so one database may serve a whole session::

    from mlsteward.testing.monitoring_conformance import MonitoringStoreConformance

    class TestMyMonitoring(MonitoringStoreConformance):
        pass
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.domain.monitoring import Monitor, MonitorRun, ProfileRecord
from mlsteward.storage.monitoring_base import MonitoringStore
from mlsteward.testing.store_conformance import StoreHarness

#: A performance configuration as the service stores it (every key, JSON types only).
PERFORMANCE_CONFIG: dict[str, Any] = {
    "task": "multiclass",
    "id_column": "request_id",
    "prediction": "predicted",
    "scores": {"cat": "p_cat", "dog": "p_dog", "ému": "p_emu"},
    "classes": ["cat", "dog", "ému"],
    "labels": "dataset:labels@2",
    "label_column": "label",
    "reference": None,
    "reference_label": None,
    "bounds": {"accuracy": 0.8, "f1": 0.5},
    "min_labels": 30,
}


def _name(prefix: str) -> str:
    return f"{prefix}-{new_id()[:10]}"


def make_monitor(
    name: str,
    profile: str = "p",
    interval: int = 60,
    next_run: int | None = 100,
    performance: dict[str, Any] | None = None,
    learn_thresholds: bool = False,
) -> Monitor:
    """A monitor the way the service would build one."""
    return Monitor(
        name=name,
        target="/data/*.csv",
        profile=profile,
        checks=["column_drift"] + (["performance"] if performance else []),
        tests={"x": ["ks"]},
        thresholds={"ks": 0.01},
        chunking={"size": 100},
        learn_thresholds=learn_thresholds,
        interval_s=interval,
        webhooks=["http://127.0.0.1:1/hook"],
        state={"seen": []},
        performance=performance,
        created_by="me",
        creation_time=1,
        next_run_time=next_run,
    )


class MonitoringStoreConformance:
    """``MonitoringStore`` primitives; needs a ``store_harness`` fixture."""

    @pytest.fixture
    def store(self, store_harness: StoreHarness) -> Iterator[MonitoringStore]:
        opened = store_harness.open()
        try:
            yield opened.monitoring
        finally:
            opened.close()

    def test_profiles_round_trip_and_replace(self, store: MonitoringStore) -> None:
        name = _name("p")
        rec = ProfileRecord(name, "d" * 64, 10, ["x", "y"], None, None, None, "me", 5)
        assert store.put_profile(rec, replace=False) == rec
        assert store.get_profile(name) == rec
        with pytest.raises(AlreadyExistsError):
            store.put_profile(rec, replace=False)
        newer = ProfileRecord(name, "e" * 64, 20, ["x"], "r" * 32, None, None, "me", 6)
        store.put_profile(newer, replace=True)
        assert store.get_profile(name) == newer
        assert name in [p.name for p in store.list_profiles()]
        with pytest.raises(NotFoundError):
            store.get_profile(_name("missing"))

    def test_profiles_keep_their_dataset_version(self, store: MonitoringStore) -> None:
        name = _name("dsp")
        rec = ProfileRecord(name, "f" * 64, 7, ["x"], None, "churn", 2, "me", 5, "customers", 3)
        store.put_profile(rec, replace=False)
        assert store.get_profile(name) == rec
        listed = {p.name: p for p in store.list_profiles()}
        assert (listed[name].dataset_name, listed[name].dataset_version) == ("customers", 3)
        plain = ProfileRecord(name, "f" * 64, 7, ["x"], None, None, None, "me", 6)
        store.put_profile(plain, replace=True)  # replacing clears the old ties
        assert store.get_profile(name) == plain
        assert store.get_profile(name).dataset_version is None

    def test_learn_thresholds_round_trips(self, store: MonitoringStore) -> None:
        learned, fixed = _name("learn"), _name("fixed")
        store.create_monitor(make_monitor(learned, learn_thresholds=True))
        store.create_monitor(make_monitor(fixed))
        assert store.get_monitor(learned).learn_thresholds is True
        assert store.get_monitor(fixed).learn_thresholds is False
        listed = {m.name: m for m in store.list_monitors()}
        assert listed[learned].learn_thresholds and not listed[fixed].learn_thresholds
        run = MonitorRun(new_id(), learned, "ok", False, 1, None, {}, None, None, 200, 201)
        store.record_monitor_run(run, {"seen": []}, 50)
        assert store.get_monitor(learned).learn_thresholds is True
        assert {m.name: m for m in store.due_monitors(60)}[learned].learn_thresholds is True

    def test_monitors_create_get_list_delete(self, store: MonitoringStore) -> None:
        name = _name("m")
        created = store.create_monitor(make_monitor(name))
        assert store.get_monitor(name) == created
        assert created.performance is None
        with pytest.raises(AlreadyExistsError):
            store.create_monitor(make_monitor(name))
        assert name in [m.name for m in store.list_monitors()]
        store.delete_monitor(name)
        with pytest.raises(NotFoundError):
            store.get_monitor(name)
        with pytest.raises(NotFoundError):
            store.delete_monitor(name)

    def test_performance_configuration_round_trips(self, store: MonitoringStore) -> None:
        name = _name("perf")
        created = store.create_monitor(make_monitor(name, performance=PERFORMANCE_CONFIG))
        assert store.get_monitor(name) == created
        assert store.get_monitor(name).performance == PERFORMANCE_CONFIG
        listed = {m.name: m for m in store.list_monitors()}
        assert listed[name].performance == PERFORMANCE_CONFIG
        # Recording a run keeps the configuration; due monitors carry it too.
        run = MonitorRun(new_id(), name, "ok", False, 1, None, {}, None, None, 200, 201)
        store.record_monitor_run(run, {"seen": []}, 50)
        assert store.get_monitor(name).performance == PERFORMANCE_CONFIG
        due = {m.name: m for m in store.due_monitors(60)}
        assert due[name].performance == PERFORMANCE_CONFIG

    def test_due_monitors_and_recorded_runs_advance_the_schedule(
        self, store: MonitoringStore
    ) -> None:
        due, later, manual = _name("due"), _name("later"), _name("manual")
        store.create_monitor(make_monitor(due, next_run=100))
        store.create_monitor(make_monitor(later, next_run=10_000))
        store.create_monitor(make_monitor(manual, interval=0, next_run=None))
        names = [m.name for m in store.due_monitors(500)]
        assert due in names and later not in names and manual not in names
        run = MonitorRun(new_id(), due, "ok", True, 5, None, {"a": 1}, None, None, 500, 510)
        store.record_monitor_run(run, {"seen": ["f1"]}, 60_510)
        assert due not in [m.name for m in store.due_monitors(500)]
        fresh = store.get_monitor(due)
        assert fresh.state == {"seen": ["f1"]} and fresh.last_run_time == 500
        assert store.list_monitor_runs(due, 10) == [run]
        assert store.get_monitor_run(run.run_id) == run
        with pytest.raises(NotFoundError):
            store.record_monitor_run(
                MonitorRun(new_id(), _name("x"), "ok", False, 0, None, {}, None, None, 1, 2),
                {},
                None,
            )

    def test_a_due_monitor_is_claimed_once(self, store: MonitoringStore) -> None:
        name = _name("claim")
        store.create_monitor(make_monitor(name, next_run=100))
        assert not store.claim_monitor(name, 99, 5_000)  # not the schedule it has
        assert store.claim_monitor(name, 100, 5_000)
        assert not store.claim_monitor(name, 100, 6_000)  # somebody else was first
        assert name not in [m.name for m in store.due_monitors(4_999)]
        assert name in [m.name for m in store.due_monitors(5_000)]  # the lease ran out
        assert not store.claim_monitor(_name("missing"), 100, 5_000)

    def test_alerts_deduplicate_while_open_and_resolve(self, store: MonitoringStore) -> None:
        name = _name("a")
        store.create_monitor(make_monitor(name))
        first, created = store.open_alert(
            new_id(), name, "column_drift", "x", "warning", {"s": 1}, None, 10
        )
        assert created and first.count == 1 and first.status == "open"
        again, created = store.open_alert(
            new_id(), name, "column_drift", "x", "warning", {"s": 2}, None, 20
        )
        assert not created and again.alert_id == first.alert_id
        assert again.count == 2 and again.last_seen == 20 and again.evidence == {"s": 2}
        other, created = store.open_alert(
            new_id(), name, "column_drift", "y", "warning", {}, None, 20
        )
        assert created
        resolved = store.resolve_alerts(name, [("column_drift", "y")], 30)
        assert [a.alert_id for a in resolved] == [first.alert_id]
        assert resolved[0].status == "resolved" and resolved[0].resolved_time == 30
        assert [a.alert_id for a in store.list_alerts(name, "open")] == [other.alert_id]
        reopened, created = store.open_alert(
            new_id(), name, "column_drift", "x", "critical", {}, None, 40
        )
        assert created and reopened.alert_id != first.alert_id
        assert len(store.list_alerts(name, None)) == 3
        with pytest.raises(NotFoundError):
            store.open_alert(new_id(), _name("none"), "c", "x", "warning", {}, None, 1)

    def test_events_are_an_ordered_log_paged_by_seq(self, store: MonitoringStore) -> None:
        name = _name("e")
        start = store.list_events(0, 1000)
        since = start[-1].seq if start else 0
        a = store.append_event("monitor.run", name, {"n": 1}, 1)
        b = store.append_event("alert.opened", name, {"n": 2}, 2)
        assert b.seq > a.seq
        assert [e.seq for e in store.list_events(since, 10)][-2:] == [a.seq, b.seq]
        assert [e.payload for e in store.list_events(a.seq, 10) if e.monitor == name] == [{"n": 2}]
        only = store.list_events(since, 10, ["alert.opened"])
        assert [e.seq for e in only if e.monitor == name] == [b.seq]
