"""Optional stages (None -> Staging -> Production -> Archived), for teams that prefer them.

Any stage may follow any other; each change is recorded. ``archive_existing`` moves the
versions already in the target stage to Archived in the same transaction. A stage is gated
like a protected alias when the alias of its lower-case name is protected (protecting
``production`` gates the Production stage); the store then refuses the move if the version's
decisions, its evaluation or the thresholds changed after the gates were checked.
"""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.registry import ModelStage, ModelVersion, StageTransition
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.gates import check_gates, is_gated_stage
from mlsteward.services.registry.validation import (
    validate_model_name,
    validate_text,
    validate_version,
)


def transition_stage(
    ctx: ServiceContext,
    name: str,
    version: int | str,
    stage: str | ModelStage | None,
    archive_existing: bool = False,
    reason: str | None = None,
) -> ModelVersion:
    """Move a version to ``stage``; returns it as it is afterwards."""
    clean_name = validate_model_name(name, ctx.limits)
    number = validate_version(version)
    target = ModelStage.parse(stage)
    text = validate_text("reason", reason)
    if archive_existing and target not in (ModelStage.STAGING, ModelStage.PRODUCTION):
        raise InvalidArgumentError(
            "archive_existing applies to transitions into Staging or Production only"
        )
    store = ctx.stores.registry
    model = store.get_registered_model(clean_name)
    current = store.get_model_version(clean_name, number)
    guard = None
    if current.current_stage is not target and is_gated_stage(model, target.value):
        guard = check_gates(ctx, model, current, f"gated stage {target.value!r}", None)
    store.transition_stage(
        clean_name,
        number,
        target,
        archive_existing=bool(archive_existing),
        actor=ctx.actor,
        reason=text,
        now=ctx.clock(),
        guard=guard,
    )
    return store.get_model_version(clean_name, number)


def stage_history(
    ctx: ServiceContext, name: str, version: int | str | None = None
) -> list[StageTransition]:
    return ctx.stores.registry.list_stage_transitions(
        validate_model_name(name, ctx.limits),
        None if version is None else validate_version(version),
    )
