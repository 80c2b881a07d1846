"""The declared audit operations, through the dispatcher; and the monitor scheduler's runs,
audited as the service principal ``scheduler``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.audit import operations as audit_ops
from mlsteward.services.audit.verification import verify_store
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    MonitorScheduler,
    create_monitor,
    profile_from,
    save_profile,
)
from mlsteward.services.operations import dispatch
from mlsteward.storage.audit_base import AuditQuery

from .conftest import record_event


def test_records_are_listed_a_page_at_a_time(audit_ctx: ServiceContext) -> None:
    for i in range(25):
        record_event(audit_ctx, i)
    seen, after = [], 0
    while True:
        request = audit_ops.ListRecords(after_seq=after, limit=10)
        page = dispatch(audit_ctx, audit_ops.list_records, request)
        seen += [r.seq for r in page.records]
        if page.next_after_seq is None:
            break
        after = page.next_after_seq
    assert seen == list(range(1, 26))
    bobs = dispatch(audit_ctx, audit_ops.list_records, audit_ops.ListRecords(actor="bob"))
    assert bobs.records and {r.actor for r in bobs.records} == {"bob"}
    assert bobs.next_after_seq is None


@pytest.mark.parametrize(
    "values", [{"limit": 0}, {"limit": 10_001}, {"after_seq": -1}, {"since_ms": "soon"}]
)
def test_bad_listing_values_are_refused(audit_ctx: ServiceContext, values: dict) -> None:
    with pytest.raises(InvalidArgumentError):
        dispatch(audit_ctx, audit_ops.list_records, audit_ops.list_records.make(**values))


def test_checkpoints_and_the_public_key(audit_ctx: ServiceContext) -> None:
    record_event(audit_ctx, 1)
    made = dispatch(audit_ctx, audit_ops.create_checkpoint, audit_ops.AuditLog())
    listed = dispatch(audit_ctx, audit_ops.list_checkpoints, audit_ops.AuditLog())
    assert listed == [made]
    key = dispatch(audit_ctx, audit_ops.public_key, audit_ops.AuditLog())
    assert audit_ctx.audit_signer is not None
    assert (key.key_id, key.public_key_pem) == (
        audit_ctx.audit_signer.key_id,
        audit_ctx.audit_signer.public_key_pem(),
    )
    assert made.key_id == key.key_id
    checked = dispatch(audit_ctx, audit_ops.verify, audit_ops.AuditLog())
    assert (checked.ok, checked.checked, checked.last_checkpoint_seq) == (True, 2, 1)
    unsigned = replace(audit_ctx, audit_signer=None)
    with pytest.raises(InvalidArgumentError, match="no signing key"):
        dispatch(unsigned, audit_ops.public_key, audit_ops.AuditLog())
    with pytest.raises(InvalidArgumentError, match="no signing key"):
        dispatch(unsigned, audit_ops.create_checkpoint, audit_ops.AuditLog())


def test_scheduled_monitor_runs_are_audited_as_the_scheduler(
    audit_ctx: ServiceContext, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200)})
    data = tmp_path / "window.csv"
    frame.to_csv(data, index=False)
    save_profile(audit_ctx, profile_from(frame), "ref")
    create_monitor(audit_ctx, "watched", str(data), "ref", interval_s=60)
    before = audit_ctx.stores.audit.head()[0]
    results = MonitorScheduler(audit_ctx, poll_s=1.0).run_due()
    assert [r.run.monitor for r in results] == ["watched"]
    records = list(audit_ctx.stores.audit.records(AuditQuery(after_seq=before)))
    assert [(r.operation, r.actor, r.actor_kind, r.resource_name) for r in records] == [
        ("monitoring.run_monitor", "scheduler", "service", "watched")
    ]
    assert verify_store(audit_ctx).ok


def test_the_scheduler_runs_monitors_on_a_server_with_authentication(
    audit_ctx: ServiceContext, tmp_path: Path
) -> None:
    """On a server the context is under the role policy, where the scheduler holds no grant:
    it still runs the monitors (it acts for the server), audited under its own name."""
    from mlsteward.services.identity.role_policy import RolePolicy

    server = replace(audit_ctx, policy=RolePolicy(audit_ctx.stores))
    frame = pd.DataFrame({"x": np.random.default_rng(1).normal(size=200)})
    data = tmp_path / "window.csv"
    frame.to_csv(data, index=False)
    save_profile(audit_ctx, profile_from(frame), "ref")
    create_monitor(audit_ctx, "guarded", str(data), "ref", interval_s=60)
    before = audit_ctx.stores.audit.head()[0]
    results = MonitorScheduler(server, poll_s=1.0).run_due()
    assert [r.run.monitor for r in results] == ["guarded"]
    records = list(audit_ctx.stores.audit.records(AuditQuery(after_seq=before)))
    assert [(r.actor, r.actor_kind) for r in records] == [("scheduler", "service")]


@pytest.mark.parametrize(
    "field",
    ["actor", "resource_kind", "resource_name", "operation"],
)
@pytest.mark.parametrize(
    "hostile",
    ["x' OR '1'='1", "alice'; DROP TABLE audit_records; --", "%", "_", "bob\x00", "a" * 5_000],
)
def test_hostile_filters_are_data(audit_ctx: ServiceContext, field: str, hostile: str) -> None:
    """A filter is compared as a value: SQL, wildcards and NUL match nothing and change
    nothing."""
    for i in range(6):
        record_event(audit_ctx, i)
    before = audit_ctx.stores.audit.head()
    try:
        page = dispatch(
            audit_ctx, audit_ops.list_records, audit_ops.list_records.make(**{field: hostile})
        )
    except InvalidArgumentError:
        pass  # refused outright is fine too
    else:
        assert page.records == []
    assert audit_ctx.stores.audit.head() == before
    assert verify_store(audit_ctx).ok
