"""Governance actions: changes that weaken a model's gates, and who may make them.

Lifting an alias's protection, loosening or removing acceptance thresholds, and deleting a
protected alias each let a version reach production with less scrutiny than before. So,
like approvals, they follow the four-eyes rule:

* the actor must be a named user (not anonymous) — ``PermissionDeniedError``;
* the actor must not be one of the model's builders: anyone who registered a version of it
  (names compared with :func:`mlsteward.services.people.same_person`, so ``Alice`` and
  ``alice`` are one person) — ``PermissionDeniedError``; a validator or the model's owner
  makes the change instead;
* a reason is required — ``InvalidArgumentError``.

The action itself is recorded with who, when, why, before and after (alias history for
protection and deletions, threshold history for thresholds). Tightening (protecting an
alias, adding or raising a threshold) is not a governance action.
"""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.services.context import ServiceContext
from mlsteward.services.people import as_name, is_named_person, same_person
from mlsteward.services.registry.validation import validate_text


def authorize_governance(ctx: ServiceContext, name: str, action: str, reason: object) -> str:
    """Check the actor may ``action`` on model ``name``; return the reason to record.

    ``action`` completes "cannot ...", e.g. "lift the protection of 'fraud'@production".
    Raises before anything is written.
    """
    if not is_named_person(ctx.actor):
        raise PermissionDeniedError(
            f"To {action}, a named user must act, not {ctx.actor!r}: it weakens the model's "
            "gates, so who did it is recorded (sign in to the server, or locally name yourself "
            "with MLSTEWARD_USER or Client(user=...)); nothing was changed"
        )
    builder = next(
        (b for b in ctx.stores.registry.version_registrants(name) if same_person(ctx.actor, b)),
        None,
    )
    if builder is not None:
        raise PermissionDeniedError(
            f"{ctx.actor!r} cannot {action}: they registered a version of {name!r}"
            f"{as_name(ctx.actor, builder)}, and the people who build a model cannot weaken "
            "its gates; ask a validator or the model's owner; nothing was changed"
        )
    text = validate_text("reason", reason)
    if text is None or not text.strip():
        raise InvalidArgumentError(
            f"A reason is required to {action}; it is recorded with the change"
        )
    return text
