"""The audit recorder the dispatcher hands state changes to: one chained record each."""

from __future__ import annotations

from mlsteward.domain.audit import AuditEntry
from mlsteward.services.audit.change_digest import change_sha256
from mlsteward.services.operations.audit import AuditEvent
from mlsteward.storage.audit_base import AuditStore


class ChainedAuditRecorder:
    """Appends each state change to the audit chain, in the change's own transaction (the
    dispatcher opens it), so a change is never committed without its record."""

    in_transaction = True

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def record(self, event: AuditEvent) -> None:
        self.store.append(entry_for(event))


def entry_for(event: AuditEvent) -> AuditEntry:
    """The audit entry of ``event``: who, what, on which resource, and the request's digest."""
    return AuditEntry(
        time_ms=event.time_ms,
        actor=event.actor,
        actor_kind=event.actor_kind,
        operation=event.operation,
        action=event.action,
        resource_kind=event.resource.kind.value,
        resource_name=event.resource.name,
        request_id=event.request_id,
        change_sha256=change_sha256(event.request),
    )
