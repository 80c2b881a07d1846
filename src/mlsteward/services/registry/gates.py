"""Promotion gates: what a version needs before a protected alias (or gated stage) points at it.

Two gates, both required:

* **Approval.** The version's most recent decision must be an approval by a named user who
  is not the person who registered the version (names compared as in ``people``), given on
  the evaluation the version has now. ``approvals`` refuses self-approval; the gate also
  ignores any such approval already in the store (recorded before names were compared that
  way). An approval given before the attached evaluation last changed does not count: the
  numbers it vouched for are gone, so someone must approve again. A rejection recorded
  after an approval blocks promotion until someone approves again, whatever the evaluation.
* **Acceptance thresholds.** Every threshold the model declares must be met by the version's
  metrics: results attached with ``attach_evaluation`` first, else the run's latest value.
  A metric that is missing or NaN fails its threshold.

The guard returned for the store's write carries what was judged (latest decision,
thresholds, evaluation digest), so a change of any of them before the write is a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlsteward.domain.errors import NotFoundError
from mlsteward.domain.registry import (
    AliasGuard,
    Approval,
    ApprovalDecision,
    GateError,
    ModelVersion,
    RegisteredModel,
)
from mlsteward.domain.registry_evaluation import evaluation_digest
from mlsteward.services.context import ServiceContext
from mlsteward.services.people import is_named_person, same_person


@dataclass(frozen=True)
class ObservedMetric:
    value: float
    origin: str  # "evaluation" or "run"


def evaluated_metrics(ctx: ServiceContext, version: ModelVersion) -> dict[str, ObservedMetric]:
    """The metrics gates judge a version by: attached evaluation over the run's metrics."""
    observed: dict[str, ObservedMetric] = {}
    if version.run_id is not None:
        try:
            run = ctx.stores.tracking.get_run(version.run_id)
        except NotFoundError:
            run = None
        if run is not None:
            for key, value in run.data.metrics.items():
                observed[key] = ObservedMetric(value, "run")
    for key, value in version.evaluation.items():
        observed[key] = ObservedMetric(value, "evaluation")
    return observed


def latest_decision(approvals: Sequence[Approval]) -> Approval | None:
    return max(approvals, key=lambda a: a.approval_id) if approvals else None


def by_a_reviewer(version: ModelVersion, decision: Approval) -> bool:
    """Whether a decision's author may review the version: a named user other than its
    registrant (rejections count from anyone)."""
    if decision.decision is ApprovalDecision.REJECTED:
        return True
    return is_named_person(decision.actor) and not same_person(decision.actor, version.created_by)


def is_stale(version: ModelVersion, decision: Approval) -> bool:
    """An approval given on an evaluation the version no longer has (rejections never are)."""
    return decision.decision is ApprovalDecision.APPROVED and (
        decision.evaluation_digest != evaluation_digest(version.evaluation)
    )


def counts_for_gate(version: ModelVersion, decision: Approval) -> bool:
    """Whether a decision counts at the gate: any rejection; an approval only by a named
    user who is not the version's registrant, on the evaluation the version has now."""
    return by_a_reviewer(version, decision) and not is_stale(version, decision)


def _names(decisions: Sequence[Approval]) -> str:
    return ", ".join(dict.fromkeys(repr(a.actor) for a in decisions))


def _approval_problem(version: ModelVersion, approvals: Sequence[Approval]) -> str | None:
    last = latest_decision([a for a in approvals if counts_for_gate(version, a)])
    if last is None:
        ignored = [a for a in approvals if not by_a_reviewer(version, a)]
        note = (
            f" (not counted: the approval by {_names(ignored)}; an approval must come from a "
            "named user other than the registrant)"
            if ignored
            else ""
        )
        stale = [a for a in approvals if by_a_reviewer(version, a) and is_stale(version, a)]
        if stale:
            return (
                f"approved by {_names(stale)} on an earlier evaluation; re-approval needed: "
                f"the evaluation attached to version {version.version} changed after that "
                f"approval (see its evaluation history){note}"
            )
        return (
            f"no approval: version {version.version} was registered by "
            f"{version.created_by!r} and needs an approval (with a comment) by another "
            f"user{note}"
        )
    if last.decision is ApprovalDecision.REJECTED:
        return (
            f"rejected by {last.actor!r} ({last.comment!r}); a rejection after any approval "
            "blocks promotion until someone approves the version again"
        )
    return None


def _threshold_problems(
    ctx: ServiceContext, model: RegisteredModel, version: ModelVersion
) -> list[str]:
    if not model.acceptance_thresholds:
        return []
    observed = evaluated_metrics(ctx, version)
    problems = []
    for threshold in model.acceptance_thresholds:
        seen = observed.get(threshold.metric)
        if seen is None:
            problems.append(
                f"threshold {threshold} cannot be checked: version {version.version} has no "
                f"metric {threshold.metric!r} (attach an evaluation or log it on the run)"
            )
        elif not threshold.is_met_by(seen.value):
            problems.append(
                f"threshold {threshold} not met: {threshold.metric} = {seen.value:g} "
                f"(from the {'attached evaluation' if seen.origin == 'evaluation' else 'run'})"
            )
    return problems


def check_gates(
    ctx: ServiceContext,
    model: RegisteredModel,
    version: ModelVersion,
    target: str,
    current_version: int | None,
) -> AliasGuard:
    """Raise GateError listing every unmet condition; else the guard for the store's write.

    ``target`` names what is being moved ("protected alias 'production'") for the message.
    """
    approvals = ctx.stores.registry.list_approvals(model.name, version.version)
    problems = []
    approval_problem = _approval_problem(version, approvals)
    if approval_problem:
        problems.append(approval_problem)
    problems.extend(_threshold_problems(ctx, model, version))
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise GateError(
            f"Cannot point {target} of {model.name!r} at version {version.version}; nothing "
            f"was changed. Missing:\n{listed}",
            problems,
        )
    last = latest_decision(approvals)
    return AliasGuard(
        current_version,
        last.approval_id if last else None,
        check_decision=True,
        thresholds=model.acceptance_thresholds,
        evaluation_digest=evaluation_digest(version.evaluation),
    )


def is_gated_stage(model: RegisteredModel, stage_value: str) -> bool:
    """A stage is gated when the alias of the same name (lower-case) is protected."""
    return stage_value.lower() in model.protected_aliases
