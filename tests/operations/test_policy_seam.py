"""Every declared operation passes the policy and, when it changes state, the auditor: through
the local door and the HTTP door alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlsteward.domain.errors import MlstewardError, PermissionDeniedError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.operations import Operation
from mlsteward.services.operations.catalog import declared_operations
from mlsteward.testing.operation_doors import (
    Door,
    RecordingAuditor,
    SwitchPolicy,
    open_door,
)

from .examples import EXAMPLES

OPERATIONS = declared_operations()
DOORS: tuple[Door, ...] = ("local", "http")


class Seam:
    def __init__(self, client: Client, policy: SwitchPolicy, auditor: RecordingAuditor) -> None:
        self.client = client
        self.policy = policy
        self.auditor = auditor

    def call(self, operation: Operation[Any, Any], values: dict[str, Any]) -> Any:
        transport = self.client._backend.transport
        return transport.call(operation, operation.make(**values))


@pytest.fixture(scope="module", params=DOORS)
def seam(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seam]:
    root: Path = tmp_path_factory.mktemp(f"seam-{request.param}")
    policy, auditor = SwitchPolicy(), RecordingAuditor()
    with open_door(
        request.param, f"sqlite:///{root / 'store.db'}", str(root / "artifacts"), policy, auditor
    ) as client:
        yield Seam(client, policy, auditor)


def test_every_declared_operation_has_an_example() -> None:
    missing = [op.name for op in OPERATIONS if op.name not in EXAMPLES]
    assert missing == []
    assert sorted(set(EXAMPLES) - {op.name for op in OPERATIONS}) == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_a_denying_policy_blocks_the_operation(seam: Seam, operation: Operation[Any, Any]) -> None:
    if operation.public:
        pytest.skip("a public operation (signing in) is not put to the policy")
    seam.policy.deny = False
    values = EXAMPLES[operation.name](seam.client)
    seam.policy.asked.clear()
    seam.auditor.events.clear()
    seam.policy.deny = True
    try:
        with pytest.raises(PermissionDeniedError, match="denied by the test policy"):
            seam.call(operation, values)
    finally:
        seam.policy.deny = False
    assert [asked[0] for asked in seam.policy.asked] == [operation.name]
    _, actor, action, resource = seam.policy.asked[0]
    assert (actor, action, resource.kind) == ("tester", operation.action, operation.resource)
    assert seam.auditor.events == []


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_the_auditor_sees_every_state_change(seam: Seam, operation: Operation[Any, Any]) -> None:
    values = EXAMPLES[operation.name](seam.client)
    seam.auditor.events.clear()
    seam.call(operation, values)
    recorded = [event.operation for event in seam.auditor.events]
    assert recorded == ([operation.name] if operation.mutates else [])
    if operation.mutates:
        event = seam.auditor.events[0]
        # Signing in acts as the account it proved, not as the caller before it.
        actor = values["name"] if operation.signs_in is not None else "tester"
        assert (event.actor, event.action) == (actor, operation.action.value)


def test_public_operations_are_not_put_to_the_policy(seam: Seam) -> None:
    public = [op for op in OPERATIONS if op.public]
    assert [op.name for op in public] == ["identity.login"]
    values = EXAMPLES["identity.login"](seam.client)
    seam.policy.asked.clear()
    seam.policy.deny = True
    try:
        seam.call(public[0], values)
    finally:
        seam.policy.deny = False
    assert seam.policy.asked == []


def test_a_failing_auditor_undoes_the_change(seam: Seam) -> None:
    name = f"undone-{id(seam)}"
    seam.auditor.fail = True
    try:
        with pytest.raises(MlstewardError, match="the test auditor refused"):
            seam.client.create_experiment(name)
    finally:
        seam.auditor.fail = False
    assert seam.client.get_experiment_by_name(name) is None


def test_the_audit_record_carries_the_callers_request_id(seam: Seam) -> None:
    if seam.client.tracking_uri != "http://testserver":
        pytest.skip("a request id travels over HTTP only")
    http = seam.client._backend._api._client
    seam.auditor.events.clear()
    answer = http.post(
        "/experiments", json={"name": f"rid-{id(seam)}"}, headers={"X-Request-ID": "req-42"}
    )
    assert answer.status_code == 201, answer.text
    assert [event.request_id for event in seam.auditor.events] == ["req-42"]
