"""A long-running job (batch scoring) is not wrapped in one store transaction, which would
hold the database's write lock for its whole run; it is still audited when it ends."""

from __future__ import annotations

from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import dispatch
from mlsteward.services.operations.declaration import OperationRequest
from mlsteward.services.operations.declarations import Declarations
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.storage.audit_base import AuditQuery
from mlsteward.storage.sql import database


class Job(OperationRequest):
    name: str


def _declared(long_running: bool):  # type: ignore[no-untyped-def]
    declare = Declarations("jobs", ResourceKind.REGISTERED_MODEL)
    seen: list[bool] = []

    @declare.post("/jobs/{name}", action=Action.EXECUTE, long_running=long_running)
    def run(ctx: ServiceContext, r: Job) -> None:
        seen.append(database._UNIT.get() is not None)  # inside one open transaction?

    return run, seen


def _last_operation(ctx: ServiceContext) -> str:
    seq = ctx.stores.audit.head()[0]
    (last,) = ctx.stores.audit.records(AuditQuery(after_seq=seq - 1, through_seq=seq))
    return last.operation


def test_a_long_running_job_runs_outside_one_transaction_and_is_audited(
    audit_ctx: ServiceContext,
) -> None:
    operation, seen = _declared(long_running=True)
    dispatch(audit_ctx, operation, Job(name="churn"))
    assert seen == [False]
    assert _last_operation(audit_ctx) == "jobs.run"


def test_an_ordinary_change_runs_in_the_transaction_of_its_audit_record(
    audit_ctx: ServiceContext,
) -> None:
    operation, seen = _declared(long_running=False)
    dispatch(audit_ctx, operation, Job(name="churn"))
    assert seen == [True]
    assert _last_operation(audit_ctx) == "jobs.run"
