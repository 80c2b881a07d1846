"""The local and the HTTP door to one store, with a policy and an auditor a test controls.

The HTTP door is the real app (routes mounted from the declarations, error handlers,
middleware) served in this process through Starlette's test transport, so a test can swap
the policy and auditor the server's context holds; the local door is the in-process backend.
Both are reached through a ``Client``, as a user would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.identity import Principal
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.operations import (
    Action,
    AuditEvent,
    Decision,
    Resource,
)

Door = Literal["local", "http"]


@dataclasses.dataclass
class SwitchPolicy:
    """Allows everything until ``deny`` is set; remembers what it was asked."""

    deny: bool = False
    asked: list[tuple[str, str, Action, Resource]] = dataclasses.field(default_factory=list)

    def decide(
        self, principal: Principal, action: Action, resource: Resource, operation: str
    ) -> Decision:
        self.asked.append((operation, principal.name, action, resource))
        if self.deny:
            return Decision(False, f"denied by the test policy: {operation}")
        return Decision(True)


@dataclasses.dataclass
class RecordingAuditor:
    """Keeps every event; with ``fail`` set it raises instead, which must undo the change."""

    in_transaction: bool = True
    fail: bool = False
    events: list[AuditEvent] = dataclasses.field(default_factory=list)

    def record(self, event: AuditEvent) -> None:
        if self.fail:
            raise MlstewardError(f"the test auditor refused {event.operation}")
        self.events.append(event)


def client_over(backend: Any) -> Client:
    """A ``Client`` on ``backend`` (not the process-wide one its URI would pick)."""
    client = Client.__new__(Client)
    client._backend = backend
    client.tracking_uri = backend.uri
    return client


@contextmanager
def open_door(
    door: Door,
    store_uri: str,
    artifacts_uri: str,
    policy: SwitchPolicy,
    auditor: RecordingAuditor,
    *,
    user: str = "tester",
) -> Iterator[Client]:
    """A client through ``door`` whose operations the given policy and auditor see."""
    if door == "local":
        from mlsteward.interfaces.sdk.local_backend import LocalBackend
        from mlsteward.interfaces.sdk.transport import InProcessTransport

        local = LocalBackend(store_uri, artifacts_uri, actor=user)
        local.ctx = dataclasses.replace(local.ctx, policy=policy, auditor=auditor)
        local.transport = InProcessTransport(local.ctx)
        try:
            yield client_over(local)
        finally:
            local.close()
        return
    from fastapi.testclient import TestClient

    from mlsteward.interfaces.rest.app import create_app
    from mlsteward.interfaces.sdk.http_backend import HttpBackend

    app = create_app(store_uri, artifacts_uri, upgrade=True)
    with TestClient(app, base_url="http://testserver") as served:
        app.state.ctx = dataclasses.replace(
            app.state.ctx, policy=policy, auditor=auditor, allow_model_code=True
        )
        remote = HttpBackend("http://testserver", user=user, transport=served._transport)
        try:
            yield client_over(remote)
        finally:
            remote.close()
