"""Rollouts: a candidate version brought in beside a deployment's stable one, analysed at an
interval, promoted or rolled back on its own, or by hand.

A rollout lives in the deployment record (``Deployment.rollout``); every change of it is a
deployment event whose ``changes`` hold the rollout before and after, the last analysis's
evidence included, so the history says what was decided and on what figures. Promotion
moves the deployment's model: the alias it follows, through the registry's rules (protected
aliases pass their gates and approvals; a refusal pauses the rollout with the reason), or,
for a pinned version, the record's URI. A rollback takes the candidate's traffic away at
once; the stable version never stopped serving.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from itertools import pairwise
from typing import Any

from mlsteward.domain.deployments import (
    DEFAULT_STEPS,
    ROLLOUT_STRATEGIES,
    Deployment,
    DeploymentEvent,
    Rollout,
    RolloutCriteria,
    setting_changes,
    validate_deployment_name,
)
from mlsteward.domain.errors import ConflictError, InvalidArgumentError, MlstewardError
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment import validation as check
from mlsteward.services.deployment.records import _deployed_version, _resolve, _store
from mlsteward.services.deployment.rollout_analysis import Verdict, analyze_window
from mlsteward.services.deployment.signatures import check_replacement

logger = logging.getLogger("mlsteward.rollouts")
MAX_STEPS = 20
MAX_INTERVAL_S = 86_400.0


def _steps(strategy: str, steps: object) -> tuple[float, ...]:
    if steps is None:
        return DEFAULT_STEPS[strategy]
    if strategy != "canary":
        raise InvalidArgumentError(f"Only a canary takes steps; a {strategy} rollout has its own")
    if not isinstance(steps, list | tuple) or not 1 <= len(steps) <= MAX_STEPS:
        raise InvalidArgumentError(f"steps must be 1 to {MAX_STEPS} traffic shares")
    shares = tuple(check.number("a step", step, 0.0, 1.0) for step in steps)
    if any(b <= a for a, b in pairwise(shares)) or shares[0] <= 0:
        raise InvalidArgumentError("steps must grow, each a share above 0 and at most 1")
    return shares


def _sticky(value: object) -> str | None:
    if value is None:
        return None
    kind, _, name = str(value).partition(":")
    if kind not in ("header", "input") or not name.strip() or len(str(value)) > 200:
        raise InvalidArgumentError(
            f"sticky_key must be header:NAME or input:NAME, not {str(value)[:80]!r}"
        )
    return f"{kind}:{name.strip().lower() if kind == 'header' else name.strip()}"


def criteria_of(values: dict[str, Any] | None) -> RolloutCriteria:
    """Analysis criteria from the fields given (the rest keep their defaults), checked."""
    given = dict(values or {})
    unknown = sorted(set(given) - set(RolloutCriteria.__dataclass_fields__))
    if unknown:
        raise InvalidArgumentError(f"Unknown rollout criteria: {', '.join(unknown)}")
    d = RolloutCriteria()
    return RolloutCriteria(
        interval_s=check.number(
            "interval_s", given.get("interval_s", d.interval_s), 0.0, MAX_INTERVAL_S
        ),
        max_error_rate=check.number(
            "max_error_rate", given.get("max_error_rate", d.max_error_rate), 0.0, 1.0
        ),
        max_p99_latency_ms=check.number(
            "max_p99_latency_ms",
            given.get("max_p99_latency_ms", d.max_p99_latency_ms),
            0.0,
            3_600_000.0,
        ),
        check_drift=check.flag("check_drift", given.get("check_drift", d.check_drift)),
        drift_p_value=check.number(
            "drift_p_value", given.get("drift_p_value", d.drift_p_value), 0.0, 1.0
        ),
        min_requests=check.whole(
            "min_requests", given.get("min_requests", d.min_requests), 1, 10_000_000
        ),
        min_labels=check.whole("min_labels", given.get("min_labels", d.min_labels), 1, 10_000_000),
        max_accuracy_drop=check.number(
            "max_accuracy_drop", given.get("max_accuracy_drop", d.max_accuracy_drop), 0.0, 1.0
        ),
    )


def _save(
    ctx: ServiceContext,
    current: Deployment,
    updated: Deployment,
    action: str,
    reason: str,
    model_version: int | None = None,
) -> Deployment:
    """Store ``updated`` as the next revision with its event (compare and set)."""
    now = ctx.clock()
    saved = replace(
        updated, revision=current.revision + 1, last_updated_by=ctx.actor, last_update_time=now
    )
    event = DeploymentEvent(
        deployment=current.name,
        revision=saved.revision,
        action=action,
        actor=ctx.actor,
        time_ms=now,
        reason=reason,
        changes=setting_changes(current.settings(), saved.settings()),
        model_version=model_version,
    )
    return _store(ctx).update_deployment(saved, event, expected_revision=current.revision)


def _active(ctx: ServiceContext, name: str) -> tuple[Deployment, Rollout]:
    current = _store(ctx).get_deployment(validate_deployment_name(name))
    if current.rollout is None or not current.rollout.active:
        raise ConflictError(f"Deployment {name!r} has no rollout under way")
    return current, current.rollout


def start_rollout(
    ctx: ServiceContext,
    name: str,
    version: int,
    *,
    strategy: str = "canary",
    steps: list[float] | None = None,
    criteria: dict[str, Any] | None = None,
    sticky_key: str | None = None,
    reason: str,
) -> Deployment:
    """Bring ``version`` of the deployment's model in beside the version it serves now."""
    why = check.reason(reason, required=True)
    if strategy not in ROLLOUT_STRATEGIES:
        raise InvalidArgumentError(
            f"strategy must be one of {', '.join(ROLLOUT_STRATEGIES)}, not {strategy!r}"
        )
    shares = _steps(strategy, steps)
    rules = criteria_of(criteria)
    sticky = _sticky(sticky_key)
    current = _store(ctx).get_deployment(validate_deployment_name(name))
    if current.rollout is not None and current.rollout.active:
        raise ConflictError(f"Deployment {name!r} already has a rollout under way: finish it first")
    stable = _deployed_version(ctx, current)
    if stable is None:
        raise ConflictError(
            f"Deployment {name!r} serves {current.model_uri}, which does not resolve"
        )
    number = check.whole("version", version, 1, 2**31 - 1)
    if number == stable.version:
        raise InvalidArgumentError(f"Version {number} is the one deployment {name!r} serves now")
    candidate = _resolve(ctx, f"models:/{stable.name}/{number}")
    warnings = check_replacement(ctx, stable, candidate)
    now = ctx.clock()
    rollout = Rollout(
        strategy=strategy,
        model_name=stable.name,
        stable_version=stable.version,
        candidate_version=candidate.version,
        steps=shares,
        criteria=rules,
        started_ms=now,
        step_started_ms=now,
        sticky_key=sticky,
        message="; ".join(warnings),
    )
    return _save(ctx, current, replace(current, rollout=rollout), "rollout", why, candidate.version)


def pause_rollout(ctx: ServiceContext, name: str, reason: str) -> Deployment:
    """Hold the rollout where it is: traffic stays split, the analysis stops deciding."""
    why = check.reason(reason, required=True)
    current, rollout = _active(ctx, name)
    if rollout.state == "paused":
        return current
    paused = replace(rollout, state="paused", message=why)
    return _save(ctx, current, replace(current, rollout=paused), "pause", why)


def resume_rollout(ctx: ServiceContext, name: str, reason: str) -> Deployment:
    """Let the analysis decide again, from a fresh window."""
    why = check.reason(reason, required=True)
    current, rollout = _active(ctx, name)
    if rollout.state == "progressing":
        return current
    resumed = replace(rollout, state="progressing", message="", step_started_ms=ctx.clock())
    return _save(ctx, current, replace(current, rollout=resumed), "resume", why)


def rollback_rollout(
    ctx: ServiceContext, name: str, reason: str, evidence: dict[str, Any] | None = None
) -> Deployment:
    """Send all traffic back to the stable version (it never stopped serving)."""
    why = check.reason(reason, required=True)
    current, rollout = _active(ctx, name)
    done = replace(rollout, state="rolled_back", message=why, evidence=evidence or rollout.evidence)
    return _save(
        ctx, current, replace(current, rollout=done), "rollback", why, rollout.stable_version
    )


def promote_rollout(
    ctx: ServiceContext, name: str, reason: str, evidence: dict[str, Any] | None = None
) -> Deployment:
    """Make the candidate the deployment's model (see the module docstring); a registry that
    refuses the alias move pauses the rollout with its reason and raises it."""
    why = check.reason(reason, required=True)
    current, rollout = _active(ctx, name)
    found = check.MODEL_URI_PATTERN.fullmatch(current.model_uri)
    alias = found.group(2) if found else None
    uri = current.model_uri
    if alias is not None:
        from mlsteward.services.registry.aliases import set_alias

        try:
            set_alias(
                ctx,
                rollout.model_name,
                alias,
                rollout.candidate_version,
                reason=f"rollout of deployment {name!r}: {why}",
            )
        except MlstewardError as error:
            held = replace(
                rollout,
                state="paused",
                message=f"the registry refused to move {alias!r}: {error.message}",
                evidence=evidence or rollout.evidence,
            )
            _save(ctx, current, replace(current, rollout=held), "pause", held.message)
            raise
    else:
        uri = f"models:/{rollout.model_name}/{rollout.candidate_version}"
    done = replace(rollout, state="promoted", message=why, evidence=evidence or rollout.evidence)
    return _save(
        ctx,
        current,
        replace(current, model_uri=uri, rollout=done),
        "promote",
        why,
        rollout.candidate_version,
    )


def analyze_rollout(ctx: ServiceContext, name: str, *, force: bool = False) -> Deployment:
    """Analyse the rollout's current step and act on the verdict: roll back on a failure,
    advance (or promote after the last step) when healthy, otherwise wait. Unless ``force``,
    nothing is decided before the step has lasted one interval; a paused rollout is left."""
    from mlsteward.services.predictions.location import prediction_log_root

    current, rollout = _active(ctx, name)
    now = ctx.clock()
    if rollout.state != "progressing":
        return current
    if not force and now - rollout.step_started_ms < rollout.criteria.interval_s * 1000:
        return current
    verdict = analyze_window(prediction_log_root(ctx), current.name, rollout, now)
    return _act(ctx, current, rollout, verdict, now)


def _act(
    ctx: ServiceContext, current: Deployment, rollout: Rollout, verdict: Verdict, now: int
) -> Deployment:
    evidence = verdict.evidence
    if verdict.outcome == "fail":
        why = "automatic rollback: " + "; ".join(verdict.reasons)
        logger.warning("deployment %s: %s", current.name, why)
        return rollback_rollout(ctx, current.name, why, evidence)
    if verdict.outcome == "wait":
        return current
    if rollout.step + 1 < len(rollout.steps):
        advanced = replace(rollout, step=rollout.step + 1, step_started_ms=now, evidence=evidence)
        why = (
            f"automatic: step {rollout.step + 1} healthy, candidate traffic "
            f"{rollout.weight:.0%} -> {advanced.weight:.0%}"
        )
        return _save(ctx, current, replace(current, rollout=advanced), "advance", why)
    why = f"automatic promotion: {len(rollout.steps)} step(s) healthy"
    try:
        return promote_rollout(ctx, current.name, why, evidence)
    except MlstewardError as error:
        logger.warning("deployment %s: promotion paused: %s", current.name, error.message)
        return _store(ctx).get_deployment(current.name)


def analyze_rollouts(ctx: ServiceContext) -> dict[str, str]:
    """One pass over every deployment with a rollout under way (what the server's loop
    runs): each deployment's resulting rollout state, or the error that stopped its pass."""
    results: dict[str, str] = {}
    for deployment in _store(ctx).list_deployments():
        if deployment.rollout is None or deployment.rollout.state != "progressing":
            continue
        try:
            after = analyze_rollout(ctx, deployment.name)
        except (MlstewardError, OSError, ValueError) as error:
            logger.warning("rollout analysis of %s failed: %s", deployment.name, error)
            results[deployment.name] = f"error: {error}"
            continue
        state = after.rollout.state if after.rollout else "none"
        results[deployment.name] = state
    return results
