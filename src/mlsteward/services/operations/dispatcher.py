"""``dispatch``: the one way a declared operation runs, through every door.

The policy decides before the service runs; a state-changing operation is handed to the
audit recorder after it, in the same store transaction when the recorder asks for one (a
long-running job excepted: its record follows in a transaction of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from mlsteward.domain.errors import PermissionDeniedError, UnauthenticatedError
from mlsteward.services.operations.audit import AuditEvent
from mlsteward.services.operations.declaration import Operation, OperationRequest
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.services.operations.policy import ALLOWED, Decision, Resource

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

RequestT = TypeVar("RequestT", bound=OperationRequest)
ResultT = TypeVar("ResultT")


def dispatch(
    ctx: ServiceContext, operation: Operation[RequestT, ResultT], request: RequestT
) -> ResultT:
    """Run ``operation`` for ``ctx.acting``: refused with :class:`PermissionDeniedError` when
    the policy says no (nothing runs), audited when it changes state."""
    resource = Resource(operation.resource, operation.resource_of(request))
    if operation.signs_in is not None:
        ctx = ctx.as_principal(operation.signs_in(ctx, request), ctx.request_id)
    if not operation.public:
        _authorize(ctx, operation, resource, request)
    auditor = ctx.auditor
    if not operation.mutates:
        return operation.run(ctx, request)
    if not auditor.in_transaction or operation.long_running:
        result = operation.run(ctx, request)
        auditor.record(_event(ctx, operation, resource, request))
        return result
    with ctx.stores.unit_of_work():
        result = operation.run(ctx, request)
        auditor.record(_event(ctx, operation, resource, request))
    return result


def _authorize(
    ctx: ServiceContext,
    operation: Operation[RequestT, ResultT],
    resource: Resource,
    request: RequestT,
) -> None:
    """Ask the policy; raise when it refuses (401 when the caller must sign in first)."""
    decision = ctx.policy.decide(ctx.acting, operation.action, resource, operation.name)
    if decision.allowed and operation.reads is not None:
        decision = _may_read(ctx, operation, operation.reads(request))
    if decision.allowed:
        return
    if decision.sign_in:
        raise UnauthenticatedError(decision.reason or "Sign in first: this server needs a token")
    raise PermissionDeniedError(
        decision.reason
        or f"{ctx.actor} may not {operation.action.value} {resource} ({operation.name})"
    )


def _may_read(
    ctx: ServiceContext,
    operation: Operation[RequestT, ResultT],
    sources: Sequence[tuple[ResourceKind, str | None]],
) -> Decision:
    """Allowed when the policy lets the caller read every source the operation reads."""
    for kind, name in sources:
        source = Resource(kind, name)
        decision = ctx.policy.decide(ctx.acting, Action.READ, source, operation.name)
        if not decision.allowed:
            return Decision(
                False,
                decision.reason or f"{ctx.actor} may not read {source} ({operation.name})",
                decision.sign_in,
            )
    return ALLOWED


def _event(
    ctx: ServiceContext,
    operation: Operation[RequestT, ResultT],
    resource: Resource,
    request: RequestT,
) -> AuditEvent:
    return audit_event(ctx, operation.name, operation.action, resource, request)


def audit_event(
    ctx: ServiceContext, operation: str, action: Action, resource: Resource, request: object
) -> AuditEvent:
    """The audit event of a change ``ctx`` made: who (as the context acts), when, in answer
    to which request."""
    return AuditEvent(
        operation=operation,
        action=action.value,
        resource=resource,
        actor=ctx.actor,
        actor_kind=ctx.acting.kind.value,
        time_ms=ctx.clock(),
        request_id=ctx.request_id,
        request=request,
    )


def record_change(
    ctx: ServiceContext, operation: str, action: Action, resource: Resource, request: object
) -> None:
    """Audit a change made outside a declared operation (by whoever holds the store, or a
    sign-in through an identity provider); call it inside the change's unit of work."""
    ctx.auditor.record(audit_event(ctx, operation, action, resource, request))
