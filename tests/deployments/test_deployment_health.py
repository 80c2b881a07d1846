"""A deployment's health: data-plane replicas report after each plan poll and the control plane
judges them.

- the replica-report storage contract on SQLite and PostgreSQL, and the 0011 migration on a
  database written before it;
- the service's rules, on a clock the test moves: unknown, healthy, degraded (too few,
  lagging behind an update or an alias move, not ready, erring), stale and down;
- hostile reports refused at the boundary (both doors) with nothing stored; a viewer may read
  the health but not report; a report is never audited;
- the CLI's table and JSON;
- a real ``mlsteward serve`` process reporting in, catching up with a plan change and going
  stale once stopped.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from mlsteward.domain.deployments import DeploymentHealth, ReplicaReport, RouteTarget
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError, PermissionDeniedError
from mlsteward.domain.identity import Principal, PrincipalKind, Role
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.serving.data_plane import DataPlane
from mlsteward.interfaces.serving.replica_status import ReplicaReporter, replica_name
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import operations as ops
from mlsteward.services.deployment.health import MAX_ERROR_RATE
from mlsteward.services.identity import accounts, grants
from mlsteward.services.identity.role_policy import RolePolicy
from mlsteward.services.operations import dispatch
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import _config, head_revision
from mlsteward.testing.deployment_conformance import (
    ReplicaReportStoreConformance,
    make_report,
    unique_name,
)
from mlsteward.testing.operation_doors import RecordingAuditor, SwitchPolicy, open_door
from mlsteward.testing.schema_revisions import current_revision

# The serving tests' store (models logged once per module) and data-plane processes.
from serving.conftest import Store, X, serving, store  # noqa: F401 - a fixture

from .conftest import Cli, register_version

NAME = "churn-api"
T0 = 1_800_000_000_000
#: Three rows for the serving store's ``clf`` (a float32 tensor of four columns).
BODY = {
    "inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP32", "data": X[:3].ravel().tolist()}]
}


# -- the storage contract ------------------------------------------------------------------
class TestSqlReplicaReports(ReplicaReportStoreConformance):
    pass


def test_a_database_from_before_0011_keeps_replica_reports(empty_url: str) -> None:
    engine = create_engine(normalize_sql_url(empty_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0010_deployments")
    finally:
        engine.dispose()
    stores = open_store(empty_url)  # upgrades to head
    try:
        assert current_revision(empty_url) == head_revision()
        assert stores.deployments is not None
        report = make_report(unique_name())
        stores.deployments.put_replica_report(report, forget_before_ms=0, max_replicas=10)
        assert stores.deployments.list_replica_reports(report.deployment) == [report]
    finally:
        stores.close()


# -- the rules ---------------------------------------------------------------------------------
class Clock:
    """Milliseconds that move only when the test says."""

    def __init__(self) -> None:
        self.now_ms = T0

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, seconds: float) -> None:
        self.now_ms += round(seconds * 1000)


@pytest.fixture
def deployed(client: Client) -> Client:
    """``churn`` versions 1 (behind ``champion``) and 2; ``churn-api`` follows the alias with
    two replicas wanted."""
    register_version(client, "churn")
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    client.deployments.create(NAME, "models:/churn@champion", replicas=2, reason="launch")
    return client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def plane(deployed: Client, store_uri: str, tmp_path: Path, clock: Clock) -> Iterator[Plane]:
    """Calls as a data plane would, through the dispatcher, on the test's clock."""
    stores = open_store(store_uri)
    try:
        ctx = ServiceContext(
            actor="data-plane",
            stores=stores,
            blobs=open_blob_store(str(tmp_path / "blobs")),
            outbound=OutboundAccess.unrestricted(),
            clock=clock,
        )
        yield Plane(ctx)
    finally:
        stores.close()


STABLE_1 = {"route": "stable", "model_name": "churn", "version": 1, "weight": 1.0}


def report_fields(**changes: Any) -> dict[str, Any]:
    """A ready replica of revision 1 serving version 1, with some traffic."""
    return {
        "started_ms": T0 - 60_000,
        "interval_s": 5.0,
        "revision": 1,
        "ready": True,
        "routes": [STABLE_1],
        "requests": 400,
        "errors": 2,
        "predictions_logged": 398,
        "log_dropped": 0,
        "p50_ms": 1.5,
        "p99_ms": 9.0,
        "message": "",
        **changes,
    }


class Plane:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def report(self, replica: str, *, ctx: ServiceContext | None = None, **changes: Any) -> Any:
        values = report_fields(**changes)
        return dispatch(
            ctx or self.ctx, ops.report, ops.report.make(name=NAME, replica=replica, **values)
        )

    def health(self, ctx: ServiceContext | None = None) -> DeploymentHealth:
        return dispatch(ctx or self.ctx, ops.health, ops.health.make(name=NAME))


def test_unknown_until_a_replica_reports(plane: Plane) -> None:
    health = plane.health()
    assert (health.status, health.live, health.desired, health.replicas) == ("unknown", 0, 2, ())
    assert "No replica of churn-api has reported" in health.reasons[0]
    assert health.error_rate is None


def test_healthy_with_every_replica_live_ready_and_current(plane: Plane, clock: Clock) -> None:
    stored = plane.report("host-a:8080:11")
    assert stored.received_ms == T0
    assert stored.routes == (RouteTarget("stable", "churn", 1, 1.0),)
    clock.advance(1)
    plane.report("host-b:8080:12", requests=100, errors=0)
    clock.advance(2)
    health = plane.health()
    assert (health.status, health.live, health.ready, health.revision) == ("healthy", 2, 2, 1)
    assert health.reasons == ("2 of 2 replicas live, ready and on revision 1",)
    assert [(r.report.replica, r.state, r.lagging, r.age_ms) for r in health.replicas] == [
        ("host-b:8080:12", "live", False, 2000),
        ("host-a:8080:11", "live", False, 3000),
    ]
    assert health.error_rate == pytest.approx(2 / 500)


def test_too_few_replicas_is_degraded(plane: Plane) -> None:
    plane.report("host-a:8080:11")
    health = plane.health()
    assert health.status == "degraded"
    assert health.reasons == ("1 of 2 replicas live and ready",)


def test_a_silent_replica_goes_stale_and_then_the_deployment_is_down(
    plane: Plane, clock: Clock
) -> None:
    plane.report("host-a:8080:11", interval_s=2.0)
    plane.report("host-b:8080:12", interval_s=10.0)
    clock.advance(6.0)  # three of host-a's intervals: still live
    assert [r.state for r in plane.health().replicas] == ["live", "live"]
    clock.advance(0.001)
    health = plane.health()
    assert {r.report.replica: r.state for r in health.replicas} == {
        "host-a:8080:11": "stale",
        "host-b:8080:12": "live",
    }
    assert health.status == "degraded"
    assert "1 stale replica not heard from" in health.reasons[-1]
    clock.advance(30.0)
    down = plane.health()
    assert (down.status, down.live) == ("down", 0)
    assert down.reasons == (
        "No replica reported within 3 poll intervals; the last report came 36s ago",
    )


def test_replicas_lag_behind_an_update_until_they_catch_up(plane: Plane, deployed: Client) -> None:
    plane.report("host-a:8080:11")
    plane.report("host-b:8080:12")
    deployed.deployments.update(NAME, reason="bigger batches", max_batch_size=64)
    health = plane.health()
    assert health.status == "degraded"
    assert [r.lagging for r in health.replicas] == [True, True]
    assert health.reasons[0] == (
        "Replica host-a:8080:11 lags: it serves revision 1 (stable: churn v1), the plan is "
        "at revision 2"
    )
    plane.report("host-a:8080:11", revision=2)
    plane.report("host-b:8080:12", revision=2)
    assert plane.health().status == "healthy"


def test_an_alias_move_makes_replicas_on_the_old_version_lag(
    plane: Plane, deployed: Client
) -> None:
    plane.report("host-a:8080:11")
    plane.report("host-b:8080:12")
    deployed.set_registered_model_alias("churn", "champion", 2)  # same revision, new version
    health = plane.health()
    assert (health.status, health.revision) == ("degraded", 1)
    assert all(r.lagging for r in health.replicas)
    moved = {**STABLE_1, "version": 2}
    plane.report("host-a:8080:11", routes=[moved])
    plane.report("host-b:8080:12", routes=[moved])
    assert plane.health().status == "healthy"


def test_a_replica_not_ready_says_why(plane: Plane) -> None:
    plane.report("host-a:8080:11")
    plane.report("host-b:8080:12", ready=False, revision=0, routes=[], message="OSError: disk full")
    health = plane.health()
    assert health.status == "degraded"
    assert "Replica host-b:8080:12 is not ready: OSError: disk full" in health.reasons
    plane.report("host-a:8080:11", ready=False, revision=0, routes=[])
    down = plane.health()
    assert down.status == "down"
    assert down.reasons[0] == "None of the 2 live replicas is ready"


def test_an_error_rate_above_the_bound_is_degraded(plane: Plane) -> None:
    plane.report("host-a:8080:11", requests=1000, errors=10)
    plane.report("host-b:8080:12", requests=1000, errors=100)
    health = plane.health()
    assert health.error_rate == pytest.approx(110 / 2000)
    assert health.error_rate > MAX_ERROR_RATE
    assert health.status == "degraded"
    assert health.reasons == ("Error rate 5.5% over 2000 requests is above 5%",)


def test_few_requests_do_not_judge_the_error_rate(plane: Plane) -> None:
    plane.report("host-a:8080:11", requests=4, errors=2)
    plane.report("host-b:8080:12", requests=4, errors=2)
    health = plane.health()
    assert (health.status, health.error_rate) == ("healthy", 0.5)


def test_the_latest_report_replaces_the_one_before(plane: Plane, clock: Clock) -> None:
    plane.report("host-a:8080:11", requests=10, errors=0)
    clock.advance(5)
    plane.report("host-a:8080:11", requests=25, errors=1)
    (only,) = plane.health().replicas
    assert (only.report.requests, only.report.errors, only.age_ms) == (25, 1, 0)


def test_an_unknown_deployment_is_not_found(plane: Plane) -> None:
    values = report_fields()
    with pytest.raises(NotFoundError):
        dispatch(plane.ctx, ops.report, ops.report.make(name="nope", replica="h:1:2", **values))
    with pytest.raises(NotFoundError):
        dispatch(plane.ctx, ops.health, ops.health.make(name="nope"))


# -- hostile input ----------------------------------------------------------------------------
HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("path-in-replica", {"replica": "../../etc/passwd"}, "replica is named"),
    ("long-replica", {"replica": "h" * 129}, "replica is named"),
    ("empty-replica", {"replica": ""}, "replica is named"),
    ("space-in-replica", {"replica": "host a"}, "replica is named"),
    ("negative-count", {"requests": -1}, "requests must be a whole number"),
    ("huge-count", {"predictions_logged": 2**60}, "predictions_logged must be a whole number"),
    ("float-count", {"log_dropped": 1.5}, "log_dropped must be a whole number"),
    ("bool-count", {"requests": True}, "requests must be a whole number"),
    ("more-errors-than-requests", {"requests": 3, "errors": 4}, "cannot exceed requests"),
    ("zero-interval", {"interval_s": 0}, "interval_s must be a number"),
    ("nan-interval", {"interval_s": math.nan}, "interval_s must be a number"),
    ("negative-latency", {"p99_ms": -1.0}, "p99_ms must be a number"),
    ("infinite-latency", {"p50_ms": math.inf}, "p50_ms must be a number"),
    ("negative-revision", {"revision": -2}, "revision must be a whole number"),
    ("text-ready", {"ready": "yes"}, "ready must be true or false"),
    ("long-message", {"message": "x" * 1001}, "at most 1000 characters"),
    ("too-many-routes", {"routes": [STABLE_1] * 9}, "at most 8 routes"),
    ("bad-route-name", {"routes": [{**STABLE_1, "route": "Stable!"}]}, "route name"),
    ("bad-model-name", {"routes": [{**STABLE_1, "model_name": "a/b"}]}, "model name"),
    ("zero-version", {"routes": [{**STABLE_1, "version": 0}]}, "version must be from 1"),
    ("heavy-weight", {"routes": [{**STABLE_1, "weight": 2}]}, "weight must be a number"),
    ("extra-route-field", {"routes": [{**STABLE_1, "blob": "x" * 100}]}, "exactly route"),
    ("route-not-a-list", {"routes": "stable"}, "routes must be a list"),
]


@pytest.mark.parametrize(
    ("changes", "words"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_a_hostile_report_is_refused_and_nothing_is_stored(
    plane: Plane, changes: dict[str, Any], words: str
) -> None:
    values = report_fields(**changes)
    replica = values.pop("replica", "host-a:8080:11")
    with pytest.raises(InvalidArgumentError, match=words):
        dispatch(plane.ctx, ops.report, ops.report.make(name=NAME, replica=replica, **values))
    assert plane.health().status == "unknown"


@pytest.fixture
def http_door(tmp_path: Path) -> Iterator[tuple[Client, httpx.Client, RecordingAuditor]]:
    """The REST app in process (routes from the declarations) over a store of its own."""
    auditor = RecordingAuditor()
    with open_door(
        "http", f"sqlite:///{tmp_path / 'http.db'}", str(tmp_path / "art"), SwitchPolicy(), auditor
    ) as client:
        register_version(client, "churn")
        client.set_registered_model_alias("churn", "champion", 1)
        client.deployments.create(NAME, "models:/churn@champion", reason="launch")
        yield client, client._backend._api._client, auditor  # type: ignore[attr-defined]


def test_over_http_bad_reports_get_4xx_and_a_good_one_is_not_audited(
    http_door: tuple[Client, httpx.Client, RecordingAuditor],
) -> None:
    client, http, auditor = http_door
    path = f"/deployments/{NAME}/replicas/host-a:8080:11"
    refused = [
        report_fields(requests=-5),
        report_fields(message="x" * 100_000),
        report_fields(routes=[STABLE_1] * 50),
        {**report_fields(), "surprise": "field"},
        {"interval_s": 5.0},  # nothing else
    ]
    for body in refused:
        answer = http.put(path, json=body)
        assert 400 <= answer.status_code < 500, answer.text
    spaced = http.put(f"/deployments/{NAME}/replicas/host%20a", json=report_fields())
    assert spaced.status_code == 400 and "replica is named" in spaced.text
    assert client.deployments.health(NAME).status == "unknown"
    auditor.events.clear()
    answer = http.put(path, json=report_fields())
    assert answer.status_code == 200, answer.text
    assert answer.json()["replica"] == "host-a:8080:11"
    assert auditor.events == []  # a heartbeat, not a change of record
    health = client.deployments.health(NAME)
    assert (health.status, health.live) == ("healthy", 1)
    # The SDK over HTTP sends a report as the data plane does, and reads it back alike.
    sent = ReplicaReport(
        NAME, "host-b:8080:12", T0, 5.0, 1, True, (RouteTarget("stable", "churn", 1, 1.0),)
    )
    stored = client.deployments.report(NAME, sent)
    assert dataclasses.replace(stored, received_ms=0) == sent
    client.deployments.update(NAME, reason="audited", replicas=3)
    assert [e.operation for e in auditor.events] == ["deployments.update"]


# -- permissions ------------------------------------------------------------------------------
def test_a_viewer_reads_the_health_but_may_not_report(plane: Plane) -> None:
    owner = plane.ctx
    policy_ctx = dataclasses.replace(owner, policy=RolePolicy(owner.stores, cache_seconds=0))
    acting = {}
    for name, role in (("viewer-plane", Role.VIEWER), ("contributor-plane", Role.CONTRIBUTOR)):
        user = accounts.create_user(policy_ctx, name, kind=PrincipalKind.SERVICE)
        grants.add_grant(policy_ctx, name, role, "deployment", NAME)
        principal = Principal(name=user.name, kind=user.kind, user_id=user.user_id)
        acting[role] = policy_ctx.as_principal(principal)
    viewer, contributor = acting[Role.VIEWER], acting[Role.CONTRIBUTOR]
    with pytest.raises(PermissionDeniedError, match="contributor role on deployment 'churn-api'"):
        plane.report("host-a:8080:11", ctx=viewer)
    assert plane.health(viewer).status == "unknown"  # reading is a viewer's
    plane.report("host-a:8080:11", ctx=contributor)
    assert plane.health(viewer).live == 1


# -- the command line -------------------------------------------------------------------------
def test_the_cli_shows_the_replicas_and_the_verdict(plane: Plane, cli: Cli) -> None:
    assert "unknown" in cli("deployments", "health", NAME).output
    plane.report("host-a:8080:11", p50_ms=1.25)
    shown = cli("deployments", "health", NAME)
    assert shown.exit_code == 0, shown.output
    assert "churn-api degraded: 1 of 2 replicas live and ready" in shown.output
    assert "- 1 of 2 replicas live and ready" in shown.output
    assert "host-a:8080:11" in shown.output and "stable: churn v1" in shown.output
    assert "1.2" in shown.output  # p50 ms
    data = json.loads(cli("deployments", "health", NAME, "--json").output)
    assert data["status"] == "degraded"
    assert data["replicas"][0]["report"]["requests"] == 400
    assert data["replicas"][0]["state"] in ("live", "stale")  # the real clock ran meanwhile
    missing = cli("deployments", "health", "no-such")
    assert missing.exit_code != 0 and "no-such" in missing.output


# -- a real data plane --------------------------------------------------------------------------
def _wait_for(what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def live_deployment(store: Store) -> Iterator[str]:  # noqa: F811 - the serving store
    client = store.client()
    client.set_registered_model_alias("clf", "champion", 1)
    name = "clf-health"
    client.deployments.create(name, "models:/clf@champion", reason="health test")
    try:
        yield name
    finally:
        client.deployments.delete(name, reason="test done")
        client.set_registered_model_alias("clf", "champion", 1)


def test_a_data_plane_reports_in_catches_up_and_goes_stale(
    store: Store,  # noqa: F811 - the serving store
    live_deployment: str,
) -> None:
    client = store.client()
    name = live_deployment

    def health() -> DeploymentHealth:
        return client.deployments.health(name)

    def only(judged: DeploymentHealth) -> Any:
        return judged.replicas[0] if len(judged.replicas) == 1 else None

    with serving(store, name, "--plan-interval", "0.2") as plane:
        for _ in range(3):
            answer = httpx.post(f"{plane.url}/v2/models/{name}/infer", json=BODY)
            assert answer.status_code == 200, answer.text
        _wait_for(
            "a live, current report counting the requests and their logged predictions",
            lambda: (
                health().status == "healthy"
                and only(health()).report.requests >= 3
                and only(health()).report.predictions_logged >= 3
            ),
        )
        replica = only(health())
        report = replica.report
        assert (replica.state, replica.lagging, report.ready) == ("live", False, True)
        assert report.replica.endswith(f":{plane.port}:{plane.process.pid}")  # type: ignore[union-attr]
        assert report.routes == (RouteTarget("stable", "clf", 1, 1.0),)
        assert report.revision == 1 and report.errors == 0
        assert report.p50_ms is not None and report.p99_ms is not None

        client.set_registered_model_alias("clf", "champion", 2)
        client.deployments.update(name, reason="bigger batches", max_batch_size=16)
        _wait_for(
            "the replica serving revision 2 with version 2",
            lambda: (
                (r := only(health())) is not None
                and (r.report.revision, r.report.routes[0].version, r.lagging) == (2, 2, False)
            ),
        )
        assert health().status == "healthy"
        assert plane.terminate() == 0
    _wait_for("the stopped replica going stale", lambda: health().status == "down")
    gone = only(health())
    assert (gone.state, gone.report.replica) == ("stale", replica.report.replica)


def test_each_worker_reports_under_its_own_slot(
    store: Store,  # noqa: F811 - the serving store
    live_deployment: str,
) -> None:
    client = store.client()
    with serving(store, live_deployment, "--plan-interval", "0.2", "--workers", "2") as plane:
        _wait_for(
            "both workers reporting",
            lambda: client.deployments.health(live_deployment).live == 2,
        )
        names = sorted(
            r.report.replica for r in client.deployments.health(live_deployment).replicas
        )
        prefix = f":{plane.port}:{plane.process.pid}"  # type: ignore[union-attr]
        assert [n.rsplit(":", 1)[1] for n in names] == ["w1", "w2"]
        assert all(prefix in n for n in names)


# -- the data plane's side --------------------------------------------------------------------
class _NoSource:
    def fetch(self) -> Any:
        raise ConnectionError("control plane down")


def test_a_reporter_reads_the_processes_own_counters_and_logs_a_failure_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plane = DataPlane(_NoSource(), lambda name, version, runtime: None, interval_s=0.5)  # type: ignore[arg-type, return-value]
    plane.last_error = "ValueError: plan revision 3 has no route that answers requests"
    metrics = plane.metrics
    for code, times in (("200", 97), ("400", 1), ("500", 2)):
        for _ in range(times):
            metrics.requests.labels("clf", "1", "rest", code).inc()
    for seconds in [0.003] * 90 + [0.3] * 10:
        metrics.latency.labels("clf", "1").observe(seconds)
    outcomes = iter([ConnectionError("refused"), PermissionError("viewer"), None, None])
    sent: list[ReplicaReport] = []

    def send(report: ReplicaReport) -> None:
        failure = next(outcomes)
        if failure is not None:
            raise failure
        sent.append(report)

    reporter = ReplicaReporter(NAME, replica_name("host a/b", 8080, 42, 2), send)
    with caplog.at_level("INFO", logger="mlsteward.serve"):
        assert [reporter.report(plane) for _ in range(4)] == [False, False, True, True]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "ConnectionError: refused" in warnings[0]
    assert any("reach the control plane again" in r.getMessage() for r in caplog.records)
    report = sent[0]
    assert report.replica == "host-a-b:8080:42:w2"
    assert (report.requests, report.errors, report.ready, report.revision) == (100, 2, False, 0)
    assert report.interval_s == 0.5 and report.routes == ()
    assert report.message.startswith("ValueError: plan revision 3")
    # 90 answers in the (2 ms, 5 ms] bucket, 10 in (200 ms, 500 ms]: read as Prometheus does.
    assert report.p50_ms == pytest.approx(2.0 + 3.0 * 50 / 90)
    assert report.p99_ms == pytest.approx(200.0 + 300.0 * (99 - 90) / 10)
