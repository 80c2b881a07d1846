"""The checkpointer thread signs the head whenever it has moved."""

from __future__ import annotations

import time

from mlsteward.services.audit.checkpointer import AuditCheckpointer
from mlsteward.services.context import ServiceContext

from .conftest import record_event


def _wait_for_checkpoint(ctx: ServiceContext, seq: int, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if any(c.seq == seq for c in ctx.stores.audit.checkpoints()):
            return
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint at {seq}: {ctx.stores.audit.checkpoints()}")


def test_the_checkpointer_signs_when_the_head_moves(audit_ctx: ServiceContext) -> None:
    with AuditCheckpointer(audit_ctx, interval_s=0.05) as checkpointer:
        assert checkpointer.running
        for i in range(5):
            record_event(audit_ctx, i)
        _wait_for_checkpoint(audit_ctx, 5)
        for i in range(3):
            record_event(audit_ctx, i)
        _wait_for_checkpoint(audit_ctx, 8)
    assert not checkpointer.running
    signed = [c.seq for c in audit_ctx.stores.audit.checkpoints()]
    assert signed[-1] == 8 and signed == sorted(set(signed))


def test_an_unmoved_head_is_not_signed_again(audit_ctx: ServiceContext) -> None:
    record_event(audit_ctx, 1)
    checkpointer = AuditCheckpointer(audit_ctx, interval_s=60)
    first = checkpointer.sign_if_moved()
    assert first is not None and first.seq == 1
    assert checkpointer.sign_if_moved() is None
    record_event(audit_ctx, 2)
    second = checkpointer.sign_if_moved()
    assert second is not None and second.seq == 2
