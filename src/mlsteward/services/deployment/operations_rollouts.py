"""The rollout operations a client can call: start one, promote, roll back, pause, resume,
and analyse now (the server's loop analyses at each rollout's interval on its own)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mlsteward.domain.deployments import Deployment
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import rollouts
from mlsteward.services.deployment import wire as w
from mlsteward.services.deployment.schemas import (
    DeploymentName,
    DeploymentOut,
    RolloutActionRequest,
    StartRolloutRequest,
)
from mlsteward.services.operations.declaration import Operation, OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import Action

P = w.DEPLOYMENTS_PATH + "/{name}/rollout"
ONE = Codec(w.encode_deployment, w.decode_deployment, DeploymentOut)
RESPONSES = {
    404: {"model": ErrorResponse, "description": "NOT_FOUND: no such deployment"},
    409: {
        "model": ErrorResponse,
        "description": "CONFLICT: no rollout under way (or one already is), or the "
        "deployment changed meanwhile",
    },
}

declare = Declarations("deployments", ResourceKind.DEPLOYMENT, tag="deployments")


class StartRollout(OperationRequest):
    name: DeploymentName
    body: StartRolloutRequest


class RolloutAction(OperationRequest):
    name: DeploymentName
    body: RolloutActionRequest


class AnalyzeRollout(OperationRequest):
    name: DeploymentName


@declare.post(P, returns=ONE, action=Action.UPDATE, responses=RESPONSES)
def rollout(ctx: ServiceContext, r: StartRollout) -> Deployment:
    """Start a rollout of another version of the deployment's model: ``canary`` (traffic
    shares by step, 5% -> 25% -> 100% by default), ``blue_green`` (warmed with no traffic,
    then all of it, the old version kept loaded) or ``shadow`` (a copy of traffic, answers
    logged only). 400 when the version's signature would break callers."""
    body = r.body
    given = body.criteria
    raw = given.model_dump() if isinstance(given, BaseModel) else dict(given or {})
    criteria = {key: value for key, value in raw.items() if value is not None}
    return rollouts.start_rollout(
        ctx,
        r.name,
        body.version,
        strategy=body.strategy,
        steps=body.steps,
        criteria=criteria or None,
        sticky_key=body.sticky_key,
        reason=body.reason,
    )


@declare.post(P + "/promote", returns=ONE, action=Action.UPDATE, responses=RESPONSES)
def promote(ctx: ServiceContext, r: RolloutAction) -> Deployment:
    """Make the candidate the deployment's model now: the alias it follows moves through the
    registry's rules (a refusal pauses the rollout and is returned), a pinned URI changes."""
    return rollouts.promote_rollout(ctx, r.name, r.body.reason)


@declare.post(P + "/rollback", returns=ONE, action=Action.UPDATE, responses=RESPONSES)
def rollback(ctx: ServiceContext, r: RolloutAction) -> Deployment:
    """Send all traffic back to the stable version now."""
    return rollouts.rollback_rollout(ctx, r.name, r.body.reason)


@declare.post(P + "/pause", returns=ONE, action=Action.UPDATE, responses=RESPONSES)
def pause(ctx: ServiceContext, r: RolloutAction) -> Deployment:
    """Hold the rollout: traffic stays as it is and the analysis stops deciding."""
    return rollouts.pause_rollout(ctx, r.name, r.body.reason)


@declare.post(P + "/resume", returns=ONE, action=Action.UPDATE, responses=RESPONSES)
def resume(ctx: ServiceContext, r: RolloutAction) -> Deployment:
    """Let the analysis decide again, over a fresh window."""
    return rollouts.resume_rollout(ctx, r.name, r.body.reason)


@declare.post(P + "/analyze", returns=ONE, action=Action.UPDATE, responses=RESPONSES)
def analyze(ctx: ServiceContext, r: AnalyzeRollout) -> Deployment:
    """Analyse the current step now (without waiting for its interval) and act on the
    verdict: roll back, advance, promote, or wait for more answers."""
    return rollouts.analyze_rollout(ctx, r.name, force=True)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
