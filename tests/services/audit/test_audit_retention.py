"""Retention: nothing younger than 183 days is pruned, and the chain still verifies from the
prune point (in place and exported)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.services.audit import operations as audit_ops
from mlsteward.services.audit.export import export_lines
from mlsteward.services.audit.retention import MIN_RETENTION_DAYS, prune
from mlsteward.services.audit.schemas import PruneRequest
from mlsteward.services.audit.verification import verify_export, verify_store
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import dispatch
from mlsteward.storage.audit_base import AuditQuery
from mlsteward.storage.sql.engine import normalize_sql_url

from .conftest import DAY_MS, Clock, record_event


def _aged_chain(ctx: ServiceContext, clock: Clock) -> None:
    """20 records 400 days old, then 10 from today."""
    today = clock.now
    clock.now = today - 400 * DAY_MS
    for i in range(20):
        record_event(ctx, i)
    clock.now = today
    for i in range(20, 30):
        record_event(ctx, i)


@pytest.mark.parametrize("days", [0, 30, MIN_RETENTION_DAYS - 0.5, float("nan"), -1])
def test_below_the_floor_is_refused(audit_ctx: ServiceContext, clock: Clock, days: float) -> None:
    _aged_chain(audit_ctx, clock)
    with pytest.raises(InvalidArgumentError, match="at least 183 days"):
        prune(audit_ctx, days)
    assert audit_ctx.stores.audit.pruned_through() == 0


def test_pruning_keeps_verification_working_from_the_boundary(
    audit_ctx: ServiceContext, clock: Clock, tmp_path: Path
) -> None:
    _aged_chain(audit_ctx, clock)
    assert prune(audit_ctx, 365) == 20
    store = audit_ctx.stores.audit
    assert store.pruned_through() == 20
    assert [c.seq for c in store.checkpoints()] == [20]
    assert [r.seq for r in store.records(AuditQuery())] == list(range(21, 31))
    result = verify_store(audit_ctx)
    assert (result.ok, result.checked, result.last_checkpoint_seq) == (True, 10, 20), result
    assert prune(audit_ctx, MIN_RETENTION_DAYS) == 0  # nothing else is old enough

    path = tmp_path / "pruned.jsonl"
    path.write_text("".join(export_lines(audit_ctx, AuditQuery())), encoding="utf-8")
    assert audit_ctx.audit_signer is not None
    exported = verify_export(path, audit_ctx.audit_signer.public_key_pem())
    assert (exported.ok, exported.checked) == (True, 10), exported

    # A deletion right after the prune point is still caught.
    record_event(audit_ctx, 99)
    (first,) = store.records(AuditQuery(limit=1))
    assert first.seq == 21


def test_the_prune_operation_is_itself_recorded(audit_ctx: ServiceContext, clock: Clock) -> None:
    _aged_chain(audit_ctx, clock)
    request = audit_ops.Prune(body=PruneRequest(older_than_days=200))
    assert dispatch(audit_ctx, audit_ops.prune, request) == 20
    records = list(audit_ctx.stores.audit.records(AuditQuery()))
    assert (records[-1].seq, records[-1].operation, records[-1].action) == (
        31,
        "audit.prune",
        "delete",
    )
    assert verify_store(audit_ctx).ok


def test_a_chain_that_does_not_verify_is_not_pruned(
    audit_ctx: ServiceContext, clock: Clock, isolated_store_url: str
) -> None:
    _aged_chain(audit_ctx, clock)
    engine = create_engine(normalize_sql_url(isolated_store_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_records SET actor = 'nobody' WHERE seq = 7"))
    finally:
        engine.dispose()
    with pytest.raises(ConflictError, match="Record 7"):
        prune(audit_ctx, 365)
    assert audit_ctx.stores.audit.pruned_through() == 0
    assert audit_ctx.stores.audit.checkpoints() == []


def test_pruning_needs_the_signing_key(audit_ctx: ServiceContext, clock: Clock) -> None:
    _aged_chain(audit_ctx, clock)
    with pytest.raises(InvalidArgumentError, match="no signing key"):
        prune(replace(audit_ctx, audit_signer=None), 365)
