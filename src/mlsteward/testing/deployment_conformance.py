"""The deployment storage contract as a pytest class: every backend runs the same suite.

Subclass :class:`DeploymentStoreConformance` (records and history) and
:class:`ReplicaReportStoreConformance` (the replicas' latest reports) in a test module and
provide the ``store_harness`` fixture of :mod:`mlsteward.testing.store_conformance` (a harness
whose ``open`` gives the stores of a migrated database; these suites use its
``deployments``). Tests name their deployments uniquely, so one database may serve a whole
session::

    from mlsteward.testing.deployment_conformance import (
        DeploymentStoreConformance,
        ReplicaReportStoreConformance,
    )

    class TestMyDeployments(DeploymentStoreConformance):
        pass

    class TestMyReplicaReports(ReplicaReportStoreConformance):
        pass
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest

from mlsteward.domain.deployments import (
    Batching,
    Deployment,
    DeploymentEvent,
    FieldChange,
    LogSettings,
    ReplicaReport,
    Rollout,
    RolloutCriteria,
    RouteTarget,
    setting_changes,
)
from mlsteward.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlsteward.storage.deployments_base import DeploymentStore
from mlsteward.testing.store_conformance import StoreHarness

#: A time in milliseconds beyond 32 bits, as every stored time is.
T0 = 1_700_000_000_000


def unique_name(prefix: str = "dep") -> str:
    """A deployment name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_deployment(name: str, revision: int = 1, **changes: object) -> Deployment:
    """A deployment the way the service would build one."""
    deployment = Deployment(
        name=name,
        model_uri="models:/churn@champion",
        runtime="onnx",
        replicas=3,
        batching=Batching(max_batch_size=64, max_wait_ms=1.5),
        log=LogSettings(enabled=True, sample_rate=0.25, retention_days=7, queue_size=500),
        revision=revision,
        created_by="alice",
        creation_time=T0,
        last_updated_by="alice",
        last_update_time=T0,
    )
    return dataclasses.replace(deployment, **changes)  # type: ignore[arg-type]


def make_event(
    deployment: Deployment, action: str = "create", before: Deployment | None = None
) -> DeploymentEvent:
    """The event of a change that left ``deployment`` (from ``before``)."""
    old = before.settings() if before is not None else {}
    new = deployment.settings() if action != "delete" else {}
    return DeploymentEvent(
        deployment=deployment.name,
        revision=deployment.revision if action != "delete" else deployment.revision + 1,
        action=action,
        actor=deployment.last_updated_by,
        time_ms=deployment.last_update_time,
        reason=f"{action}: ünïcode reason",
        changes=setting_changes(old, new),
        model_version=None if action == "delete" else 4,
        warnings=("churn version 4 has no signature: compatibility not checked",)
        if action == "update"
        else (),
    )


#: A day in milliseconds: how long a silent replica is kept in these tests.
DAY_MS = 86_400_000


def make_report(
    deployment: str, replica: str = "host-a:8080:4242", received_ms: int = T0, **changes: object
) -> ReplicaReport:
    """A replica's report the way the service would store one."""
    report = ReplicaReport(
        deployment=deployment,
        replica=replica,
        started_ms=T0 - 60_000,
        interval_s=5.0,
        revision=3,
        ready=True,
        routes=(
            RouteTarget("stable", "churn", 4, 0.75),
            RouteTarget("canary", "churn", 5, 0.25),
        ),
        requests=1200,
        errors=3,
        predictions_logged=1150,
        log_dropped=2,
        p50_ms=1.25,
        p99_ms=18.5,
        message="",
        received_ms=received_ms,
    )
    return dataclasses.replace(report, **changes)  # type: ignore[arg-type]


def _put(store: DeploymentStore, report: ReplicaReport, max_replicas: int = 100) -> None:
    store.put_replica_report(
        report, forget_before_ms=report.received_ms - DAY_MS, max_replicas=max_replicas
    )


class DeploymentStoreConformance:
    """``DeploymentStore`` primitives; needs a ``store_harness`` fixture."""

    @pytest.fixture
    def store(self, store_harness: StoreHarness) -> Iterator[DeploymentStore]:
        opened = store_harness.open()
        try:
            assert opened.deployments is not None, "the backend keeps no deployments"
            yield opened.deployments
        finally:
            opened.close()

    def test_round_trip(self, store: DeploymentStore) -> None:
        deployment = make_deployment(unique_name())
        assert store.create_deployment(deployment, make_event(deployment)) == deployment
        assert store.get_deployment(deployment.name) == deployment
        assert deployment in store.list_deployments()

    def test_names_are_unique(self, store: DeploymentStore) -> None:
        deployment = make_deployment(unique_name())
        store.create_deployment(deployment, make_event(deployment))
        again = make_deployment(deployment.name, runtime="native")
        with pytest.raises(AlreadyExistsError):
            store.create_deployment(again, make_event(again))
        assert store.get_deployment(deployment.name).runtime == "onnx"
        assert len(store.list_deployment_events(deployment.name, 10)) == 1

    def test_unknown_deployment(self, store: DeploymentStore) -> None:
        name = unique_name()
        with pytest.raises(NotFoundError):
            store.get_deployment(name)
        ghost = make_deployment(name, revision=2)
        with pytest.raises(NotFoundError):
            store.update_deployment(ghost, make_event(ghost, "update"), expected_revision=1)
        with pytest.raises(NotFoundError):
            store.delete_deployment(name, make_event(ghost, "delete"), expected_revision=1)
        assert store.list_deployment_events(name, 10) == []
        assert store.last_revision(name) == 0

    def test_list_is_by_name(self, store: DeploymentStore) -> None:
        prefix = unique_name("list")
        for suffix in ("b", "a", "c"):
            made = make_deployment(f"{prefix}-{suffix}")
            store.create_deployment(made, make_event(made))
        mine = [d.name for d in store.list_deployments() if d.name.startswith(prefix)]
        assert mine == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]

    def test_update_appends_an_event_with_before_and_after(self, store: DeploymentStore) -> None:
        first = make_deployment(unique_name())
        store.create_deployment(first, make_event(first))
        second = dataclasses.replace(
            first,
            model_uri="models:/churn/7",
            batching=Batching(8, 0.0),
            revision=2,
            last_updated_by="bob",
            last_update_time=T0 + 5,
        )
        store.update_deployment(second, make_event(second, "update", first), expected_revision=1)
        stored = store.get_deployment(first.name)
        assert stored == second
        assert (stored.created_by, stored.creation_time) == ("alice", T0)
        newest, oldest = store.list_deployment_events(first.name, 10)
        assert (newest.revision, newest.action, newest.actor) == (2, "update", "bob")
        assert FieldChange("model", "models:/churn@champion", "models:/churn/7") in newest.changes
        assert FieldChange("max_wait_ms", 1.5, 0.0) in newest.changes
        assert newest.warnings == ("churn version 4 has no signature: compatibility not checked",)
        assert newest.reason == "update: ünïcode reason"
        assert (oldest.revision, oldest.action) == (1, "create")
        assert store.list_deployment_events(first.name, 1) == [newest]

    def test_a_stale_revision_changes_nothing(self, store: DeploymentStore) -> None:
        first = make_deployment(unique_name())
        store.create_deployment(first, make_event(first))
        second = dataclasses.replace(first, replicas=1, revision=2)
        store.update_deployment(second, make_event(second, "update", first), expected_revision=1)
        stale = dataclasses.replace(first, replicas=9, revision=2)
        with pytest.raises(ConflictError):
            store.update_deployment(stale, make_event(stale, "update", first), expected_revision=1)
        with pytest.raises(ConflictError):
            store.delete_deployment(first.name, make_event(first, "delete"), expected_revision=1)
        assert store.get_deployment(first.name).replicas == 1
        assert [e.revision for e in store.list_deployment_events(first.name, 10)] == [2, 1]

    def test_history_outlives_the_deployment(self, store: DeploymentStore) -> None:
        first = make_deployment(unique_name())
        store.create_deployment(first, make_event(first))
        store.delete_deployment(first.name, make_event(first, "delete"), expected_revision=1)
        with pytest.raises(NotFoundError):
            store.get_deployment(first.name)
        assert first.name not in [d.name for d in store.list_deployments()]
        deleted, _created = store.list_deployment_events(first.name, 10)
        assert (deleted.action, deleted.revision, deleted.model_version) == ("delete", 2, None)
        assert all(change.after is None for change in deleted.changes)
        assert store.last_revision(first.name) == 2
        again = make_deployment(first.name, revision=3)
        store.create_deployment(again, make_event(again))
        assert store.get_deployment(first.name).revision == 3
        assert [e.revision for e in store.list_deployment_events(first.name, 10)] == [3, 2, 1]

    def test_a_rollout_round_trips_with_its_evidence(self, store: DeploymentStore) -> None:
        first = make_deployment(unique_name())
        store.create_deployment(first, make_event(first))
        rollout = Rollout(
            strategy="canary",
            model_name="churn",
            stable_version=3,
            candidate_version=4,
            steps=(0.05, 0.25, 1.0),
            criteria=RolloutCriteria(interval_s=30.0, max_error_rate=0.02, check_drift=False),
            step=1,
            state="progressing",
            started_ms=T0,
            step_started_ms=T0 + 30_000,
            sticky_key="header:x-user",
            evidence={"candidate": {"requests": 120, "error_rate": 0.0}, "reasons": []},
        )
        second = dataclasses.replace(first, rollout=rollout, revision=2)
        store.update_deployment(second, make_event(second, "advance", first), expected_revision=1)
        stored = store.get_deployment(first.name)
        assert stored == second
        assert stored.rollout is not None and stored.rollout.weight == 0.25
        newest = store.list_deployment_events(first.name, 1)[0]
        change = next(c for c in newest.changes if c.field == "rollout")
        assert change.before is None
        assert change.after["evidence"]["candidate"]["requests"] == 120


class ReplicaReportStoreConformance:
    """``DeploymentStore``'s replica reports: the latest per replica, forgotten when silent
    too long, beyond a count, or with their deployment; needs a ``store_harness`` fixture."""

    @pytest.fixture
    def store(self, store_harness: StoreHarness) -> Iterator[DeploymentStore]:
        opened = store_harness.open()
        try:
            assert opened.deployments is not None, "the backend keeps no deployments"
            yield opened.deployments
        finally:
            opened.close()

    def test_a_replica_report_round_trips(self, store: DeploymentStore) -> None:
        name = unique_name()
        report = make_report(name, message="plan not applied: ünïcode", p50_ms=None)
        _put(store, report)
        assert store.list_replica_reports(name) == [report]
        assert store.list_replica_reports(unique_name()) == []

    def test_only_the_latest_report_of_a_replica_is_kept(self, store: DeploymentStore) -> None:
        name = unique_name()
        _put(store, make_report(name))
        later = make_report(
            name, received_ms=T0 + 5_000, revision=4, ready=False, requests=1300, routes=()
        )
        _put(store, later)
        assert store.list_replica_reports(name) == [later]

    def test_reports_list_most_recent_first(self, store: DeploymentStore) -> None:
        name = unique_name()
        _put(store, make_report(name, "b", T0 + 1))
        _put(store, make_report(name, "c", T0 + 3))
        _put(store, make_report(name, "a", T0 + 1))
        other = unique_name()
        _put(store, make_report(other, "a", T0 + 2))
        assert [r.replica for r in store.list_replica_reports(name)] == ["c", "a", "b"]
        assert [r.replica for r in store.list_replica_reports(other)] == ["a"]

    def test_replicas_silent_too_long_are_forgotten_on_write(self, store: DeploymentStore) -> None:
        first, second = unique_name(), unique_name()
        _put(store, make_report(first, "old", T0))
        _put(store, make_report(second, "old", T0 + 10))
        _put(store, make_report(first, "recent", T0 + DAY_MS))
        # Forgets what was heard before T0 + 11: both deployments' old replicas.
        _put(store, make_report(second, "new", T0 + DAY_MS + 11))
        assert [r.replica for r in store.list_replica_reports(first)] == ["recent"]
        assert [r.replica for r in store.list_replica_reports(second)] == ["new"]

    def test_the_longest_silent_go_beyond_the_count(self, store: DeploymentStore) -> None:
        name, other = unique_name(), unique_name()
        _put(store, make_report(other, "x", T0))
        for i, replica in enumerate(("r1", "r2", "r3")):
            _put(store, make_report(name, replica, T0 + i), max_replicas=3)
        _put(store, make_report(name, "r1", T0 + 10), max_replicas=3)  # heard again
        _put(store, make_report(name, "r4", T0 + 11), max_replicas=3)
        assert [r.replica for r in store.list_replica_reports(name)] == ["r4", "r1", "r3"]
        assert [r.replica for r in store.list_replica_reports(other)] == ["x"]

    def test_deleting_a_deployment_forgets_its_replicas(self, store: DeploymentStore) -> None:
        deployment = make_deployment(unique_name())
        store.create_deployment(deployment, make_event(deployment))
        _put(store, make_report(deployment.name, "a"))
        other = unique_name()
        _put(store, make_report(other, "a"))
        store.delete_deployment(deployment.name, make_event(deployment, "delete"), 1)
        assert store.list_replica_reports(deployment.name) == []
        assert len(store.list_replica_reports(other)) == 1
