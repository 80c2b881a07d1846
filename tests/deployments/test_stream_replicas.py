"""Stream consumers report in like data-plane replicas (kind ``stream``).

- the consumer's fields are stored and read back (in the report's JSON status column: no
  migration), and hostile ones are refused with nothing stored;
- the health verdict: consumers are listed with their backlog, not counted among the
  serving replicas; a deployment only consumers report for is judged on them;
- the CLI shows them with their lag;
- the reporter sends the broker's URL without credentials.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlsteward.domain.deployments import ReplicaReport
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.streaming.config import StreamConfig
from mlsteward.interfaces.streaming.status import (
    StreamReporter,
    public_source,
    stream_replica_name,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import operations as ops
from mlsteward.services.operations import dispatch
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store

from .conftest import Cli, register_version

NAME = "orders-scoring"
T0 = 1_800_000_000_000
STABLE_1 = {"route": "stable", "model_name": "churn", "version": 1, "weight": 1.0}


class Clock:
    def __init__(self) -> None:
        self.now_ms = T0

    def __call__(self) -> int:
        return self.now_ms


def stream_fields(**changes: Any) -> dict[str, Any]:
    """A ready consumer of revision 1 with a backlog."""
    return {
        "started_ms": T0 - 60_000,
        "interval_s": 5.0,
        "revision": 1,
        "ready": True,
        "routes": [STABLE_1],
        "requests": 90,
        "errors": 0,
        "kind": "stream",
        "source": "redis://broker:6379/0",
        "subject": "orders",
        "group": "mlsteward-orders-scoring",
        "scored": 90,
        "dead_lettered": 3,
        "redelivered": 2,
        "stream_errors": 1,
        "consumer_lag": 1200,
        "unacknowledged": 40,
        **changes,
    }


class Plane:
    """Calls as data planes and consumers would, through the dispatcher."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def report(self, replica: str, **fields: Any) -> ReplicaReport:
        return dispatch(self.ctx, ops.report, ops.report.make(name=NAME, replica=replica, **fields))

    def health(self) -> Any:
        return dispatch(self.ctx, ops.health, ops.health.make(name=NAME))


@pytest.fixture
def plane(client: Client, store_uri: str, tmp_path: Path) -> Iterator[Plane]:
    register_version(client, "churn")
    client.deployments.create(NAME, "models:/churn/1", replicas=2, reason="launch")
    stores = open_store(store_uri)
    try:
        ctx = ServiceContext(
            actor="data-plane",
            stores=stores,
            blobs=open_blob_store(str(tmp_path / "blobs")),
            outbound=OutboundAccess.unrestricted(),
            clock=Clock(),
        )
        yield Plane(ctx)
    finally:
        stores.close()


def test_a_consumers_report_keeps_its_fields(plane: Plane) -> None:
    sent = plane.report("host-1:stream:42", **stream_fields())
    [stored] = plane.health().replicas
    assert stored.report == sent
    assert (stored.report.kind, stored.report.consumer_lag, stored.report.scored) == (
        "stream",
        1200,
        90,
    )
    assert (stored.report.subject, stored.report.unacknowledged) == ("orders", 40)


def test_a_serving_replica_is_of_kind_serve_and_carries_no_consumer_fields(plane: Plane) -> None:
    fields = stream_fields()
    serve = {k: v for k, v in fields.items() if k in ReplicaReport.__dataclass_fields__}
    for name in ("kind", "source", "subject", "group", "scored", "dead_lettered"):
        serve.pop(name)
    for name in ("redelivered", "stream_errors", "consumer_lag", "unacknowledged"):
        serve.pop(name)
    report = plane.report("host-1:8080:7", **serve)
    assert (report.kind, report.consumer_lag, report.source) == ("serve", None, "")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"kind": "batch"}, "kind must be one of"),
        ({"kind": "serve"}, "describe a stream consumer"),
        ({"source": "redis://user:secret@broker:6379"}, "must not carry credentials"),
        ({"consumer_lag": -1}, "consumer_lag"),
        ({"dead_lettered": 1.5}, "dead_lettered"),
        ({"subject": "x" * 300}, "subject"),
        ({"group": "line\nbreak"}, "group must be printable"),
    ],
)
def test_hostile_consumer_fields_are_refused_and_nothing_is_stored(
    plane: Plane, changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=words):
        plane.report("host-1:stream:42", **stream_fields(**changes))
    assert plane.health().replicas == ()


def test_consumers_are_listed_beside_the_serving_replicas_not_among_them(plane: Plane) -> None:
    serving = {k: v for k, v in stream_fields().items() if k in ("started_ms", "interval_s")}
    for replica in ("api-1:8080:1", "api-2:8080:2"):
        plane.report(replica, **serving, revision=1, ready=True, routes=[STABLE_1])
    plane.report("host-1:stream:42", **stream_fields())
    health = plane.health()
    assert (health.status, health.live, health.ready, health.desired) == ("healthy", 2, 2, 2)
    assert health.reasons[0] == "2 of 2 replicas live, ready and on revision 1"
    assert any(
        "Stream consumer host-1:stream:42 on orders: 1200 pending, 40 unacknowledged" in reason
        for reason in health.reasons
    )

    plane.report("host-1:stream:42", **stream_fields(ready=False, message="stopped"))
    health = plane.health()
    assert health.status == "degraded"
    assert "Stream consumer host-1:stream:42 is not ready: stopped" in health.reasons


def test_a_deployment_only_consumers_report_for_is_judged_on_them(plane: Plane) -> None:
    plane.report("host-1:stream:42", **stream_fields())
    health = plane.health()
    assert health.status == "healthy", health.reasons
    assert health.reasons[0].startswith("1 stream consumer live, ready and on revision 1")
    plane.report("host-1:stream:42", **stream_fields(ready=False, message="stopped"))
    health = plane.health()
    assert health.status == "down"
    assert "Stream consumer host-1:stream:42 is not ready: stopped" in health.reasons
    plane.ctx.clock.now_ms += 60_000  # type: ignore[attr-defined]
    health = plane.health()
    assert health.status == "down"
    assert "No stream consumer of orders-scoring reported" in health.reasons[0]


def test_the_cli_shows_consumers_with_their_lag(client: Client, cli: Cli, plane: Plane) -> None:
    client.deployments.report(
        NAME,
        ReplicaReport(
            deployment=NAME,
            replica="host-1:stream:42",
            **{k: v for k, v in stream_fields().items() if k != "routes"},
        ),
    )
    shown = cli("deployments", "health", NAME)
    assert shown.exit_code == 0, shown.output
    assert "stream consumer" in shown.output and "1200" in shown.output
    assert "orders" in shown.output
    raw = json.loads(cli("deployments", "health", NAME, "--json").output)
    [replica] = raw["replicas"]
    assert replica["report"]["consumer_lag"] == 1200
    assert replica["report"]["kind"] == "stream"


def test_the_reporter_names_the_consumer_and_hides_credentials() -> None:
    assert public_source("redis://user:secret@broker:6379/0") == "redis://broker:6379/0"
    assert public_source("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
    assert stream_replica_name("host a/b-42", 42) == "host-a-b-42:stream:42"
    config = StreamConfig(
        "orders-scoring", "redis://:pw@broker:6379", "orders", "scores", consumer="c1"
    )
    sent: list[ReplicaReport] = []
    reporter = StreamReporter(config, "c1:stream:1", sent.append)
    assert reporter.deliver(dataclasses.replace(_blank(), kind="stream"))
    assert len(sent) == 1 and reporter.sent == 1


def _blank() -> ReplicaReport:
    return ReplicaReport(NAME, "c1:stream:1", T0, 5.0, 0, False)
