"""The deployment operations a client can call (see ``mlsteward.services.operations``):
create, list, read, change, delete, the history of changes, the serving plan, and the
replicas' reports with the health judged from them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mlsteward.domain.deployments import (
    Deployment,
    DeploymentEvent,
    DeploymentHealth,
    ReplicaReport,
    ServingPlan,
)
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import health as judged
from mlsteward.services.deployment import records, replica_reports
from mlsteward.services.deployment import wire as w
from mlsteward.services.deployment.schemas import (
    CreateDeploymentRequest,
    DeploymentEventOut,
    DeploymentHealthOut,
    DeploymentHistoryOut,
    DeploymentListOut,
    DeploymentName,
    DeploymentOut,
    HistoryLimit,
    Reason,
    ReplicaName,
    ReplicaReportOut,
    ReplicaReportRequest,
    ServingPlanOut,
    UpdateDeploymentRequest,
)
from mlsteward.services.deployment.validation import model_name_of
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Operation, OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import Action

P = w.DEPLOYMENTS_PATH
#: The registered model a request names must exist (a missing one is bad input, 400), and the
#: deployment read or changed must exist.
NOT_FOUND = {404: {"model": ErrorResponse, "description": "NOT_FOUND: no such deployment"}}
CHANGED_MEANWHILE = {
    409: {"model": ErrorResponse, "description": "CONFLICT: the deployment changed meanwhile"}
}
_ = DeploymentEventOut  # documented inside DeploymentHistoryOut


class CreateDeployment(OperationRequest):
    body: CreateDeploymentRequest


class ListDeployments(OperationRequest):
    pass


class DeploymentRef(OperationRequest):
    name: DeploymentName


class UpdateDeployment(OperationRequest):
    name: DeploymentName
    body: UpdateDeploymentRequest


class DeleteDeployment(OperationRequest):
    name: DeploymentName
    reason: Reason


class DeploymentHistory(OperationRequest):
    name: DeploymentName
    limit: HistoryLimit = 100


class ReportReplica(OperationRequest):
    name: DeploymentName
    replica: ReplicaName
    body: ReplicaReportRequest


def _model_read(uri: object) -> list[tuple[ResourceKind, str | None]]:
    """The registered model a deployment request names: the caller must be able to read it,
    so a grant on a deployment never reaches a model the caller may not see."""
    name = model_name_of(uri) if isinstance(uri, str) else None
    return [(ResourceKind.REGISTERED_MODEL, name)] if name else []


declare = Declarations("deployments", ResourceKind.DEPLOYMENT, tag="deployments")
ONE = Codec(w.encode_deployment, w.decode_deployment, DeploymentOut)


@declare.post(
    P,
    returns=ONE,
    status=201,
    responses=CHANGED_MEANWHILE,
    resource_name=lambda r: r.body.name,
    reads=lambda r: _model_read(r.body.model_uri),
)
def create(ctx: ServiceContext, r: CreateDeployment) -> Deployment:
    """Create a deployment of ``models:/NAME@ALIAS`` (follows the alias) or
    ``models:/NAME/VERSION`` (pinned); 400 when the URI does not resolve, 409 when the name
    is taken."""
    body = r.body
    return records.create_deployment(
        ctx,
        body.name,
        body.model_uri,
        runtime=body.runtime,
        replicas=body.replicas,
        max_batch_size=body.max_batch_size,
        max_wait_ms=body.max_wait_ms,
        log_enabled=body.log_enabled,
        log_sample_rate=body.log_sample_rate,
        log_retention_days=body.log_retention_days,
        reason=body.reason,
    )


@declare.get(
    P,
    returns=Codec(
        listed("deployments", w.encode_deployment),
        unlisted("deployments", w.decode_deployment),
        DeploymentListOut,
    ),
)
def _list(ctx: ServiceContext, r: ListDeployments) -> list[Deployment]:
    """Every deployment, by name."""
    return records.list_deployments(ctx)


#: ``deployments.list`` (its function is not named ``list``, which would hide the builtin).
list_all = _list


@declare.get(f"{P}/{{name}}", returns=ONE, responses=NOT_FOUND)
def get(ctx: ServiceContext, r: DeploymentRef) -> Deployment:
    """A deployment's record: its model URI, settings and revision."""
    return records.get_deployment(ctx, r.name)


@declare.patch(
    f"{P}/{{name}}",
    returns=ONE,
    responses={**NOT_FOUND, **CHANGED_MEANWHILE},
    reads=lambda r: _model_read(r.body.model_uri) if r.body.model_uri else [],
)
def update(ctx: ServiceContext, r: UpdateDeployment) -> Deployment:
    """Change the settings given, with a reason; the revision grows by one. A new model must
    resolve and keep callers of the deployed version working: 400 lists every difference of
    its signature (a missing input, an unsafe dtype change, a changed output)."""
    body = r.body
    return records.update_deployment(
        ctx,
        r.name,
        reason=body.reason,
        model_uri=body.model_uri,
        runtime=body.runtime,
        replicas=body.replicas,
        max_batch_size=body.max_batch_size,
        max_wait_ms=body.max_wait_ms,
        log_enabled=body.log_enabled,
        log_sample_rate=body.log_sample_rate,
        log_retention_days=body.log_retention_days,
    )


@declare.delete(f"{P}/{{name}}", status=204, responses={**NOT_FOUND, **CHANGED_MEANWHILE})
def delete(ctx: ServiceContext, r: DeleteDeployment) -> None:
    """Delete a deployment, with a reason; its history stays."""
    records.delete_deployment(ctx, r.name, r.reason)


@declare.get(
    f"{P}/{{name}}/history",
    returns=Codec(
        listed("events", w.encode_event), unlisted("events", w.decode_event), DeploymentHistoryOut
    ),
    responses=NOT_FOUND,
)
def history(ctx: ServiceContext, r: DeploymentHistory) -> list[DeploymentEvent]:
    """A deployment's changes, newest first: who, when, why and what changed (before and
    after). A deleted deployment's history stays readable."""
    return records.deployment_history(ctx, r.name, r.limit)


@declare.get(
    f"{P}/{{name}}/plan",
    returns=Codec(w.encode_plan, w.decode_plan, ServingPlanOut),
    responses={
        **NOT_FOUND,
        409: {
            "model": ErrorResponse,
            "description": "CONFLICT: the deployment's model URI does not resolve now",
        },
    },
)
def plan(ctx: ServiceContext, r: DeploymentRef) -> ServingPlan:
    """What a data plane serves now: the deployment with its model URI resolved (an alias to
    its current version), its batching and prediction-log settings. Data planes poll it and
    reload when the revision or a route's version changes."""
    return records.serving_plan(ctx, r.name)


@declare.put(
    f"{P}/{{name}}/replicas/{{replica}}",
    returns=Codec(w.encode_report, w.decode_report, ReplicaReportOut),
    responses=NOT_FOUND,
    # Permission: ``update`` on the deployment, the least the policy's words allow for a
    # write. ``plan`` needs only ``read``, and a viewer's token must not be able to write
    # what others trust (a forged "healthy" or "down" report), so reporting asks one step
    # more: the contributor role on this deployment alone is enough, nothing server-wide.
    action=Action.UPDATE,
    # Not audited: a heartbeat every few seconds per replica would bury the audit log's
    # changes of record. The dispatcher audits exactly the operations that mutate, so this
    # one declares it keeps no record of state (the latest report replaces the one before
    # and a day of silence forgets it) rather than bypassing the dispatcher.
    mutates=False,
    resource_name=lambda r: r.name,
    # A data plane reports on a thread beside its plan polls; it waits no longer than this.
    timeout_s=10.0,
)
def report(ctx: ServiceContext, r: ReportReplica) -> ReplicaReport:
    """A data-plane replica's status after a plan poll, kept as its latest (the one before
    is replaced): the plan revision and route versions it serves, whether it is ready, and
    its counters since it started. Needs ``update`` on the deployment (a contributor grant
    on it), not only the ``read`` the plan needs. 400 for a field out of bounds, 404 for an
    unknown deployment. Not written to the audit log: it is a heartbeat, not a change."""
    body = r.body
    fields = {name: getattr(body, name, None) for name in ReplicaReportRequest.model_fields}
    routes = fields.get("routes")
    if isinstance(routes, list | tuple):
        fields["routes"] = [
            item.model_dump() if isinstance(item, BaseModel) else item for item in routes
        ]
    return replica_reports.record_report(ctx, r.name, r.replica, fields)


@declare.get(
    f"{P}/{{name}}/health",
    returns=Codec(w.encode_health, w.decode_health, DeploymentHealthOut),
    responses=NOT_FOUND,
)
def health(ctx: ServiceContext, r: DeploymentRef) -> DeploymentHealth:
    """The deployment's replicas as their latest reports show them, each ``live`` (heard
    within three of its poll intervals) or ``stale`` and ``lagging`` when it serves another
    revision or versions than the plan now; and the verdict: ``healthy``, ``degraded``,
    ``down`` or ``unknown`` (no replica ever reported), with the reasons in words."""
    return judged.deployment_health(ctx, r.name)


# The rollout operations (declared beside these, in their own module).
from mlsteward.services.deployment import operations_rollouts  # noqa: E402

OPERATIONS: tuple[Operation[Any, Any], ...] = (
    *declare.operations,
    *operations_rollouts.OPERATIONS,
)
