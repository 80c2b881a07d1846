"""The server's retention setting: the checkpointer prunes once a day, through the declared
operation (so the prune is itself recorded), never below the six-month floor."""

from __future__ import annotations

import pytest

from mlsteward.services.audit.checkpointer import AuditCheckpointer
from mlsteward.services.audit.verification import verify_store
from mlsteward.services.context import ServiceContext
from mlsteward.storage.audit_base import AuditQuery

from .conftest import Clock, record_event

DAY_MS = 86_400_000


def test_the_retention_setting_prunes_once_a_day(audit_ctx: ServiceContext, clock: Clock) -> None:
    for i in range(3):
        record_event(audit_ctx, i)
    clock.now += 200 * DAY_MS  # those three are now 200 days old
    record_event(audit_ctx, 3)
    checkpointer = AuditCheckpointer(audit_ctx, 60.0, retention_days=190)
    assert checkpointer.prune_if_due() == 3
    assert checkpointer.prune_if_due() is None  # not again the same day
    kept = list(audit_ctx.stores.audit.records(AuditQuery()))
    assert [r.operation for r in kept] == ["test.change_3", "audit.prune"]
    assert (kept[-1].actor, kept[-1].actor_kind) == ("audit-retention", "service")
    assert verify_store(audit_ctx).ok


def test_the_retention_floor_is_six_months(audit_ctx: ServiceContext) -> None:
    with pytest.raises(ValueError, match="at least 183 days"):
        AuditCheckpointer(audit_ctx, 60.0, retention_days=30)
