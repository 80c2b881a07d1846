"""The routes a deployment's plan carries while a rollout is under way.

Outside a rollout the stable version takes all traffic. During one, the stable route is the
version the rollout started from (an alias moved meanwhile does not change what is compared),
and the candidate is a ``canary`` route with the step's share (blue/green: 0 while it warms,
then 1, the stable version kept loaded at weight 0 for an instant rollback) or a ``shadow``
route that answers nobody.
"""

from __future__ import annotations

from mlsteward.domain.deployments import Rollout, RouteTarget

STABLE = "stable"
CANARY = "canary"
SHADOW = "shadow"


def plan_routes(stable: RouteTarget, rollout: Rollout | None) -> tuple[RouteTarget, ...]:
    """``stable`` alone, or the stable and candidate routes of an active rollout."""
    if rollout is None or not rollout.active:
        return (stable,)
    base = RouteTarget(STABLE, rollout.model_name, rollout.stable_version, 1.0)
    if rollout.strategy == "shadow":
        return (base, RouteTarget(SHADOW, rollout.model_name, rollout.candidate_version, 0.0))
    weight = rollout.weight
    return (
        RouteTarget(STABLE, base.model_name, base.version, 1.0 - weight),
        RouteTarget(CANARY, rollout.model_name, rollout.candidate_version, weight),
    )
