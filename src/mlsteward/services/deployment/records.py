"""Deployment records: create, read, change and delete them, each change recorded as an
event (who, when, why, what changed), and the serving plan a data plane follows.

A deployment names its model by a ``models:/`` URI, checked to resolve whenever it is set.
Deploying a version whose signature would break the callers of the version deployed now is
refused with the differences listed; a version without a signature is allowed, and the event
carries a warning that compatibility was not checked. An alias a deployment follows is
resolved again by every :func:`serving_plan`, so moving it changes what data planes serve
without changing the record (its ``revision`` counts changes of the record only).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mlsteward.domain.deployments import (
    Batching,
    Deployment,
    DeploymentEvent,
    LogSettings,
    RouteTarget,
    ServingPlan,
    setting_changes,
    validate_deployment_name,
)
from mlsteward.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
)
from mlsteward.domain.registry import ModelVersion
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import validation as check
from mlsteward.services.deployment.signatures import check_replacement
from mlsteward.services.registry.uris import resolve_model_uri
from mlsteward.storage.deployments_base import DeploymentStore

#: The route a deployment's one model serves on until rollouts add others.
STABLE = "stable"
MAX_HISTORY = 1000


def _store(ctx: ServiceContext) -> DeploymentStore:
    store = ctx.stores.deployments
    if store is None:
        raise MlstewardError(f"The store at {ctx.stores.uri} keeps no deployments")
    return store


def _resolve(ctx: ServiceContext, uri: str) -> ModelVersion:
    """The version ``uri`` names now; a URI that names nothing is bad input (400)."""
    try:
        return resolve_model_uri(ctx, uri)
    except NotFoundError as error:
        raise InvalidArgumentError(f"{uri} does not resolve: {error.message}") from error


def _settings(
    *,
    runtime: object,
    replicas: object,
    max_batch_size: object,
    max_wait_ms: object,
    log_enabled: object,
    log_sample_rate: object,
    log_retention_days: object,
) -> dict[str, Any]:
    """Validated settings, as the record holds them."""
    return {
        "runtime": check.runtime(runtime),
        "replicas": check.whole("replicas", replicas, 1, check.MAX_REPLICAS),
        "batching": Batching(
            max_batch_size=check.whole("max_batch_size", max_batch_size, 1, check.MAX_BATCH_SIZE),
            max_wait_ms=check.number("max_wait_ms", max_wait_ms, 0.0, check.MAX_WAIT_MS),
        ),
        "log": LogSettings(
            enabled=check.flag("log_enabled", log_enabled),
            sample_rate=check.number("log_sample_rate", log_sample_rate, 0.0, 1.0),
            retention_days=check.whole(
                "log_retention_days", log_retention_days, 1, check.MAX_RETENTION_DAYS
            ),
        ),
    }


def create_deployment(
    ctx: ServiceContext,
    name: str,
    model_uri: str,
    *,
    runtime: str = "auto",
    replicas: int = 1,
    max_batch_size: int = 32,
    max_wait_ms: float = 2.0,
    log_enabled: bool = True,
    log_sample_rate: float = 1.0,
    log_retention_days: int = 30,
    reason: str | None = None,
) -> Deployment:
    """A new deployment of the model ``model_uri`` names (which must resolve)."""
    name = validate_deployment_name(name)
    uri = check.model_uri(model_uri)
    settings = _settings(
        runtime=runtime,
        replicas=replicas,
        max_batch_size=max_batch_size,
        max_wait_ms=max_wait_ms,
        log_enabled=log_enabled,
        log_sample_rate=log_sample_rate,
        log_retention_days=log_retention_days,
    )
    why = check.reason(reason, required=False)
    version = _resolve(ctx, uri)
    store = _store(ctx)
    now = ctx.clock()
    deployment = Deployment(
        name=name,
        model_uri=uri,
        revision=store.last_revision(name) + 1,
        created_by=ctx.actor,
        creation_time=now,
        last_updated_by=ctx.actor,
        last_update_time=now,
        **settings,
    )
    event = DeploymentEvent(
        deployment=name,
        revision=deployment.revision,
        action="create",
        actor=ctx.actor,
        time_ms=now,
        reason=why,
        changes=setting_changes({}, deployment.settings()),
        model_version=version.version,
    )
    return store.create_deployment(deployment, event)


def get_deployment(ctx: ServiceContext, name: str) -> Deployment:
    return _store(ctx).get_deployment(validate_deployment_name(name))


def list_deployments(ctx: ServiceContext) -> list[Deployment]:
    return _store(ctx).list_deployments()


def update_deployment(
    ctx: ServiceContext,
    name: str,
    *,
    reason: str,
    model_uri: str | None = None,
    runtime: str | None = None,
    replicas: int | None = None,
    max_batch_size: int | None = None,
    max_wait_ms: float | None = None,
    log_enabled: bool | None = None,
    log_sample_rate: float | None = None,
    log_retention_days: int | None = None,
) -> Deployment:
    """Change the settings given (None keeps one), saying why. A new model must resolve and
    keep the deployed version's callers working (see the module docstring). Changing nothing
    returns the record as it is, with no event."""
    name = validate_deployment_name(name)
    why = check.reason(reason, required=True)
    store = _store(ctx)
    current = store.get_deployment(name)
    settings = _settings(
        runtime=current.runtime if runtime is None else runtime,
        replicas=current.replicas if replicas is None else replicas,
        max_batch_size=(
            current.batching.max_batch_size if max_batch_size is None else max_batch_size
        ),
        max_wait_ms=current.batching.max_wait_ms if max_wait_ms is None else max_wait_ms,
        log_enabled=current.log.enabled if log_enabled is None else log_enabled,
        log_sample_rate=current.log.sample_rate if log_sample_rate is None else log_sample_rate,
        log_retention_days=(
            current.log.retention_days if log_retention_days is None else log_retention_days
        ),
    )
    settings["log"] = replace(settings["log"], queue_size=current.log.queue_size)
    uri = current.model_uri if model_uri is None else check.model_uri(model_uri)
    candidate = replace(current, model_uri=uri, **settings)
    changes = setting_changes(current.settings(), candidate.settings())
    if not changes:
        return current
    version = _resolve(ctx, uri)
    warnings = check_replacement(ctx, _deployed_version(ctx, current), version)
    now = ctx.clock()
    updated = replace(
        candidate,
        revision=current.revision + 1,
        last_updated_by=ctx.actor,
        last_update_time=now,
    )
    event = DeploymentEvent(
        deployment=name,
        revision=updated.revision,
        action="update",
        actor=ctx.actor,
        time_ms=now,
        reason=why,
        changes=changes,
        model_version=version.version,
        warnings=tuple(warnings),
    )
    return store.update_deployment(updated, event, expected_revision=current.revision)


def _deployed_version(ctx: ServiceContext, deployment: Deployment) -> ModelVersion | None:
    """The version the deployment serves now (None when its URI no longer resolves: there is
    nothing left to stay compatible with)."""
    try:
        return resolve_model_uri(ctx, deployment.model_uri)
    except NotFoundError:
        return None


def delete_deployment(ctx: ServiceContext, name: str, reason: str) -> None:
    """Remove the deployment; its history stays (and a deployment created again under the
    name continues its revisions)."""
    name = validate_deployment_name(name)
    why = check.reason(reason, required=True)
    store = _store(ctx)
    current = store.get_deployment(name)
    event = DeploymentEvent(
        deployment=name,
        revision=current.revision + 1,
        action="delete",
        actor=ctx.actor,
        time_ms=ctx.clock(),
        reason=why,
        changes=setting_changes(current.settings(), {}),
    )
    store.delete_deployment(name, event, expected_revision=current.revision)


def deployment_history(ctx: ServiceContext, name: str, limit: int = 100) -> list[DeploymentEvent]:
    """The deployment's changes, newest first (a deleted deployment's too); NotFoundError for
    a name never used."""
    name = validate_deployment_name(name)
    limit = check.whole("limit", limit, 1, MAX_HISTORY)
    events = _store(ctx).list_deployment_events(name, limit)
    if not events:
        raise NotFoundError(f"No deployment named {name!r} has ever existed")
    return events


def serving_plan(ctx: ServiceContext, name: str) -> ServingPlan:
    """What a data plane serves for ``name`` now: the record with its model URI resolved."""
    # Imported here: the prediction log (pyarrow) is needed by the plan alone.
    from mlsteward.services.predictions.location import prediction_log_root

    deployment = get_deployment(ctx, name)
    routes = resolved_routes(ctx, deployment)
    rollout = deployment.rollout
    sticky = rollout.sticky_key if rollout is not None and rollout.active else None
    return ServingPlan(
        deployment=deployment.name,
        revision=deployment.revision,
        runtime=deployment.runtime,
        routes=routes,
        batching=deployment.batching,
        log=deployment.log,
        log_root=prediction_log_root(ctx),
        sticky_key=sticky,
    )


def resolved_routes(ctx: ServiceContext, deployment: Deployment) -> tuple[RouteTarget, ...]:
    """The routes ``deployment``'s plan has now: its URI resolved, and a rollout's candidate
    beside it (ConflictError when the URI resolves to nothing now)."""
    from mlsteward.services.deployment.rollout_routes import plan_routes

    try:
        version = resolve_model_uri(ctx, deployment.model_uri)
    except NotFoundError as error:
        raise ConflictError(
            f"Deployment {deployment.name!r} serves {deployment.model_uri}, which does not "
            f"resolve now: {error.message}"
        ) from error
    stable = RouteTarget(STABLE, version.name, version.version, 1.0)
    return plan_routes(stable, deployment.rollout)
