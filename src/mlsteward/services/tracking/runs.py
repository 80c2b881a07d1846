"""Run rules: creation inside an active experiment, status changes, deletion and restore."""

from __future__ import annotations

from mlsteward.domain.entities import LifecycleStage, Run, RunInfo, RunStatus, RunTag
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.experiments import require_active
from mlsteward.services.tracking.run_names import random_run_name
from mlsteward.services.tracking.validation import (
    validate_int64,
    validate_key,
    validate_name,
    validate_value,
)

RUN_NAME_TAG = "mlsteward.runName"
PARENT_RUN_TAG = "mlsteward.parentRunId"


def parse_status(status: str | RunStatus) -> RunStatus:
    if isinstance(status, RunStatus):
        return status
    try:
        return RunStatus(str(status).upper())
    except ValueError:
        known = ", ".join(s.value for s in RunStatus)
        raise InvalidArgumentError(f"Unknown run status {status!r}; use one of {known}") from None


def create_run(
    ctx: ServiceContext,
    experiment_id: str,
    *,
    run_name: str | None = None,
    tags: dict[str, str] | None = None,
    parent_run_id: str | None = None,
    start_time: int | None = None,
) -> Run:
    require_active(ctx, experiment_id)
    name = validate_name("Run", run_name, ctx.limits) if run_name else random_run_name()
    if parent_run_id is not None:
        parent = ctx.stores.tracking.get_run(parent_run_id)
        if parent.info.lifecycle_stage is LifecycleStage.DELETED:
            raise InvalidArgumentError(f"Parent run {parent_run_id!r} is deleted")
    clean = {
        validate_key("Tag", k, ctx.limits): validate_value(
            "Tag", k, v, ctx.limits.max_tag_value_length
        )
        for k, v in (tags or {}).items()
    }
    clean[RUN_NAME_TAG] = name
    if parent_run_id:
        clean[PARENT_RUN_TAG] = parent_run_id
    run_id = new_id()
    info = RunInfo(
        run_id=run_id,
        experiment_id=experiment_id,
        run_name=name,
        user_id=ctx.actor,
        status=RunStatus.RUNNING,
        start_time=(
            validate_int64("start_time", start_time) if start_time is not None else ctx.clock()
        ),
        end_time=None,
        lifecycle_stage=LifecycleStage.ACTIVE,
        artifact_uri=f"runs:/{run_id}",
        parent_run_id=parent_run_id,
    )
    return ctx.stores.tracking.create_run(info, [RunTag(k, v) for k, v in clean.items()])


def get_run(ctx: ServiceContext, run_id: str) -> Run:
    return ctx.stores.tracking.get_run(run_id)


def require_active_run(ctx: ServiceContext, run_id: str) -> Run:
    run = ctx.stores.tracking.get_run(run_id)
    if run.info.lifecycle_stage is LifecycleStage.DELETED:
        raise NotFoundError(f"Run {run_id!r} is deleted; restore it before logging to it")
    return run


def update_run(
    ctx: ServiceContext,
    run_id: str,
    *,
    status: str | RunStatus | None = None,
    end_time: int | None = None,
    run_name: str | None = None,
) -> RunInfo:
    """Change status, end time or name. A terminal status without end time gets 'now'."""
    require_active_run(ctx, run_id)
    new_status = parse_status(status) if status is not None else None
    if end_time is not None:
        end_time = validate_int64("end_time", end_time)
    elif new_status is not None and new_status.is_terminal:
        end_time = ctx.clock()
    tags = []
    if run_name is not None:
        run_name = validate_name("Run", run_name, ctx.limits)
        tags.append(RunTag(RUN_NAME_TAG, run_name))
    return ctx.stores.tracking.update_run(
        run_id, status=new_status, end_time=end_time, run_name=run_name, tags=tags
    )


def end_run(ctx: ServiceContext, run_id: str, status: str | RunStatus = "FINISHED") -> RunInfo:
    final = parse_status(status)
    if not final.is_terminal:
        raise InvalidArgumentError(f"A run ends as FINISHED, FAILED or KILLED, not {final.value}")
    return update_run(ctx, run_id, status=final)


def delete_run(ctx: ServiceContext, run_id: str) -> None:
    ctx.stores.tracking.set_run_lifecycle(run_id, LifecycleStage.DELETED, ctx.clock())


def restore_run(ctx: ServiceContext, run_id: str) -> None:
    ctx.stores.tracking.set_run_lifecycle(run_id, LifecycleStage.ACTIVE, ctx.clock())


def delete_tag(ctx: ServiceContext, run_id: str, key: str) -> None:
    require_active_run(ctx, run_id)
    ctx.stores.tracking.delete_tag(run_id, validate_key("Tag", key, ctx.limits))
