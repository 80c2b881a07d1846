"""Approvals and rejections of versions, with separation of builders and validators.

Rules:

* Whoever registered a version cannot approve it (``PermissionDeniedError``); they may
  reject it (withdrawing their own work is harmless). Names are compared as one person
  whatever their case, width or spacing (``Alice``, ``ALICE``, ``alice `` and ``ａｌｉｃｅ``
  are one person; see ``mlsteward.services.people``).
* An approval needs a named user: an anonymous caller cannot approve.
* Every decision needs a comment.
* Approving when your approval is already standing (no rejection since, and given on the
  evaluation the version has now) is a ``ConflictError``; so is rejecting when your
  rejection is already standing. After someone else's rejection you may approve again, which
  lifts the block: the gate reads the most recent decision. After the version's evaluation
  changed, earlier approvals no longer count (see ``gates``) and may be given again.
* Each decision records the digest of the evaluation it was given on (the store reads it
  under the model's lock).
* Decisions are appended and never edited, so the full review trail stays listable.
"""

from __future__ import annotations

from typing import cast

from mlsteward.domain.errors import ConflictError, PermissionDeniedError
from mlsteward.domain.registry import Approval, ApprovalDecision, ModelVersion
from mlsteward.services.context import ServiceContext
from mlsteward.services.people import as_name, is_named_person, same_person
from mlsteward.services.registry.gates import is_stale
from mlsteward.services.registry.validation import (
    validate_model_name,
    validate_text,
    validate_version,
)


def _standing(
    approvals: list[Approval], actor: str, decision: ApprovalDecision, version: ModelVersion
) -> bool:
    """Whether ``actor``'s ``decision`` still stands: no opposite decision came after it and,
    for an approval, it was given on the evaluation ``version`` has now."""
    last_opposite = max(
        (a.approval_id for a in approvals if a.decision is not decision), default=-1
    )
    return any(
        same_person(a.actor, actor)
        and a.decision is decision
        and a.approval_id > last_opposite
        and not is_stale(version, a)
        for a in approvals
    )


def _decide(
    ctx: ServiceContext, name: str, version: int | str, comment: str, decision: ApprovalDecision
) -> Approval:
    store = ctx.stores.registry
    clean_name = validate_model_name(name, ctx.limits)
    number = validate_version(version)
    text = cast(str, validate_text("comment", comment, required=True))  # required: never None
    registered = store.get_model_version(clean_name, number)
    if decision is ApprovalDecision.APPROVED:
        if not is_named_person(ctx.actor):
            raise PermissionDeniedError(
                f"An approval needs a named reviewer, not {ctx.actor!r} (sign in to the server, or "
                "locally name yourself with MLSTEWARD_USER or Client(user=...)); nothing was "
                "recorded"
            )
        if same_person(registered.created_by, ctx.actor):
            raise PermissionDeniedError(
                f"{ctx.actor!r} registered version {number} of {clean_name!r}"
                f"{as_name(ctx.actor, registered.created_by)} and cannot approve it: builders "
                "and validators are different people; ask another user to review it"
            )
    approvals = store.list_approvals(clean_name, number)
    if _standing(approvals, ctx.actor, decision, registered):
        verb = "approved" if decision is ApprovalDecision.APPROVED else "rejected"
        raise ConflictError(
            f"{ctx.actor!r} already {verb} version {number} of {clean_name!r} and that "
            "decision still stands; nothing was recorded"
        )
    return store.add_approval(
        clean_name, number, actor=ctx.actor, decision=decision, comment=text, now=ctx.clock()
    )


def approve_model_version(
    ctx: ServiceContext, name: str, version: int | str, comment: str
) -> Approval:
    """Record the actor's approval of a version (never the registrant's own)."""
    return _decide(ctx, name, version, comment, ApprovalDecision.APPROVED)


def reject_model_version(
    ctx: ServiceContext, name: str, version: int | str, comment: str
) -> Approval:
    """Record a rejection; it blocks protected aliases until the version is approved again."""
    return _decide(ctx, name, version, comment, ApprovalDecision.REJECTED)


def list_approvals(
    ctx: ServiceContext, name: str, version: int | str | None = None
) -> list[Approval]:
    """Every decision on the model (or one version), oldest first."""
    return ctx.stores.registry.list_approvals(
        validate_model_name(name, ctx.limits),
        None if version is None else validate_version(version),
    )
