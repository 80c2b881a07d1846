"""An audit-logging service context over a database of its own (the chain is per database,
so these tests do not share PostgreSQL's session database), and helpers to grow a chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlsteward.domain.audit import AuditRecord
from mlsteward.services.audit.recorder import ChainedAuditRecorder
from mlsteward.services.audit.signing import AuditSigner
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import AuditEvent, Resource, ResourceKind
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.storage.audit_base import AuditQuery

DAY_MS = 86_400_000


@dataclass
class Clock:
    """A clock a test sets; each reading moves it one millisecond on."""

    now: int = 1_750_000_000_000

    def __call__(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit_ctx(isolated_store_url: str, tmp_path: Path, clock: Clock) -> Iterator[ServiceContext]:
    """Records every state change in the chain and signs with a key in ``tmp_path``."""
    stores = open_store(isolated_store_url)
    try:
        yield ServiceContext(
            actor="tester",
            stores=stores,
            blobs=open_blob_store(str(tmp_path / "blobs")),
            clock=clock,
            outbound=OutboundAccess.unrestricted(),
            auditor=ChainedAuditRecorder(stores.audit),
            audit_signer=AuditSigner.load_or_create(tmp_path / "keys" / "audit.pem"),
        )
    finally:
        stores.close()


def record_event(ctx: ServiceContext, i: int, request: Any = None) -> AuditRecord:
    """Append one varied record straight through the recorder; returns the new head."""
    kinds = list(ResourceKind)
    event = AuditEvent(
        operation=f"test.change_{i % 7}",
        action=("create", "update", "delete", "execute")[i % 4],
        resource=Resource(kinds[i % len(kinds)], None if i % 5 == 0 else f"thing-{i}"),
        actor=("alice", "bob", "ci-bot")[i % 3],
        actor_kind=("user", "user", "service")[i % 3],
        time_ms=ctx.clock(),
        request_id=None if i % 4 == 0 else f"req-{i}",
        request=request if request is not None else {"i": i, "payload": "x" * (i % 9)},
    )
    ctx.auditor.record(event)
    seq = ctx.stores.audit.head()[0]
    (last,) = ctx.stores.audit.records(AuditQuery(after_seq=seq - 1, through_seq=seq))
    return last
