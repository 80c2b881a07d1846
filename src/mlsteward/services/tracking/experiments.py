"""Experiment rules: unique names, soft deletion, the Default experiment."""

from __future__ import annotations

from mlsteward.domain.entities import Experiment, LifecycleStage
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.validation import validate_key, validate_name, validate_value

DEFAULT_EXPERIMENT = "Default"


def create_experiment(
    ctx: ServiceContext, name: str, tags: dict[str, str] | None = None
) -> Experiment:
    name = validate_name("Experiment", name, ctx.limits)
    clean_tags = {
        validate_key("Tag", k, ctx.limits): validate_value(
            "Tag", k, v, ctx.limits.max_tag_value_length
        )
        for k, v in (tags or {}).items()
    }
    tracking = ctx.stores.tracking
    return tracking.create_experiment(new_id(), name, ctx.blobs.root, clean_tags, ctx.clock())


def get_experiment(ctx: ServiceContext, experiment_id: str) -> Experiment:
    return ctx.stores.tracking.get_experiment(experiment_id)


def get_experiment_by_name(ctx: ServiceContext, name: str) -> Experiment | None:
    return ctx.stores.tracking.get_experiment_by_name(name)


def get_or_create_experiment(ctx: ServiceContext, name: str) -> Experiment:
    """The active experiment called ``name``, created when absent; a deleted one is an error."""
    name = validate_name("Experiment", name, ctx.limits)
    tracking = ctx.stores.tracking
    experiment = tracking.get_or_create_experiment(new_id(), name, ctx.blobs.root, ctx.clock())
    if experiment.lifecycle_stage is LifecycleStage.DELETED:
        raise InvalidArgumentError(
            f"Experiment {name!r} is deleted; restore it or choose another name"
        )
    return experiment


def list_experiments(ctx: ServiceContext, include_deleted: bool = False) -> list[Experiment]:
    return ctx.stores.tracking.list_experiments(include_deleted)


def delete_experiment(ctx: ServiceContext, experiment_id: str) -> None:
    ctx.stores.tracking.set_experiment_lifecycle(experiment_id, LifecycleStage.DELETED, ctx.clock())


def restore_experiment(ctx: ServiceContext, experiment_id: str) -> None:
    ctx.stores.tracking.set_experiment_lifecycle(experiment_id, LifecycleStage.ACTIVE, ctx.clock())


def set_experiment_tag(ctx: ServiceContext, experiment_id: str, key: str, value: str) -> None:
    key = validate_key("Tag", key, ctx.limits)
    text = validate_value("Tag", key, value, ctx.limits.max_tag_value_length)
    ctx.stores.tracking.set_experiment_tag(experiment_id, key, text, ctx.clock())


def require_active(ctx: ServiceContext, experiment_id: str) -> Experiment:
    experiment = ctx.stores.tracking.get_experiment(experiment_id)
    if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise NotFoundError(f"Experiment {experiment_id!r} is deleted")
    return experiment
