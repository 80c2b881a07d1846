"""The audit seam: every state-changing operation is handed to a recorder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mlsteward.services.operations.policy import Resource


@dataclass(frozen=True)
class AuditEvent:
    """One state change: who did what to which resource, when, in answer to which request."""

    operation: str
    action: str
    resource: Resource
    actor: str
    #: How the actor was established (``user``, ``service``, ``local``, ``anonymous``).
    actor_kind: str
    time_ms: int
    request_id: str | None
    #: The request as the service received it (a recorder may digest it).
    request: Any


class AuditRecorder(Protocol):
    """Receives each state-changing operation after its service returned.

    When ``in_transaction`` is true the dispatcher runs the service and :meth:`record` in one
    store transaction, so a change and its record are committed together or not at all; a
    recorder that raises undoes the change.
    """

    in_transaction: bool

    def record(self, event: AuditEvent) -> None: ...


class NoAudit:
    """Records nothing (until the audit log arrives); adds no transaction."""

    in_transaction = False

    def record(self, event: AuditEvent) -> None:
        return None
