"""The tracking operations a client can call: experiments, runs, metrics and artifacts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from mlsteward.domain.entities import Experiment
from mlsteward.domain.errors import NotFoundError
from mlsteward.services.api import wire
from mlsteward.services.api.schemas import (
    CreateExperimentRequest,
    ExperimentListOut,
    ExperimentNameRequest,
    ExperimentOut,
    TagRequest,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    ResourceKind,
)
from mlsteward.services.tracking import experiments

EXPERIMENT = ResourceKind.EXPERIMENT


def _experiment_json(experiment: Experiment) -> dict[str, object]:
    return experiment.to_dict()


# -- experiments ---------------------------------------------------------------------------
class CreateExperiment(OperationRequest):
    body: CreateExperimentRequest


class ListExperiments(OperationRequest):
    include_deleted: bool = False


class ExperimentByName(OperationRequest):
    name: Annotated[str, Field(min_length=1)]


class GetOrCreateExperiment(OperationRequest):
    body: ExperimentNameRequest


class ExperimentId(OperationRequest):
    experiment_id: str


class SetExperimentTag(OperationRequest):
    experiment_id: str
    body: TagRequest


def _create_experiment(ctx: ServiceContext, r: CreateExperiment) -> Experiment:
    return experiments.create_experiment(ctx, r.body.name, r.body.tags)


def _list_experiments(ctx: ServiceContext, r: ListExperiments) -> list[Experiment]:
    return experiments.list_experiments(ctx, r.include_deleted)


def _experiment_by_name(ctx: ServiceContext, r: ExperimentByName) -> Experiment:
    """The experiment called ``name``; 404 when there is none."""
    found = experiments.get_experiment_by_name(ctx, r.name)
    if found is None:
        raise NotFoundError(f"No experiment named {r.name!r}")
    return found


def _get_or_create_experiment(ctx: ServiceContext, r: GetOrCreateExperiment) -> Experiment:
    """The active experiment called ``name``, created when absent (safe to retry)."""
    return experiments.get_or_create_experiment(ctx, r.body.name)


def _get_experiment(ctx: ServiceContext, r: ExperimentId) -> Experiment:
    return experiments.get_experiment(ctx, r.experiment_id)


def _delete_experiment(ctx: ServiceContext, r: ExperimentId) -> None:
    experiments.delete_experiment(ctx, r.experiment_id)


def _restore_experiment(ctx: ServiceContext, r: ExperimentId) -> None:
    experiments.restore_experiment(ctx, r.experiment_id)


def _set_experiment_tag(ctx: ServiceContext, r: SetExperimentTag) -> None:
    experiments.set_experiment_tag(ctx, r.experiment_id, r.body.key, r.body.value)


create_experiment = Operation(
    name="tracking.create_experiment",
    method="POST",
    path="/experiments",
    request=CreateExperiment,
    run=_create_experiment,
    action=Action.CREATE,
    resource=EXPERIMENT,
    status=201,
    encode=_experiment_json,
    decode=wire.decode_experiment,
    response_model=ExperimentOut,
    responses={409: None},
    tag="experiments",
)
list_experiments = Operation(
    name="tracking.list_experiments",
    method="GET",
    path="/experiments",
    request=ListExperiments,
    run=_list_experiments,
    action=Action.READ,
    resource=EXPERIMENT,
    encode=listed("experiments", _experiment_json),
    decode=unlisted("experiments", wire.decode_experiment),
    response_model=ExperimentListOut,
    tag="experiments",
)
get_experiment_by_name = Operation(
    name="tracking.get_experiment_by_name",
    method="GET",
    path="/experiments/by-name",
    request=ExperimentByName,
    run=_experiment_by_name,
    action=Action.READ,
    resource=EXPERIMENT,
    encode=_experiment_json,
    decode=wire.decode_experiment,
    response_model=ExperimentOut,
    tag="experiments",
    resource_name=lambda r: r.name,
)
get_or_create_experiment = Operation(
    name="tracking.get_or_create_experiment",
    method="POST",
    path="/experiments/get-or-create",
    request=GetOrCreateExperiment,
    run=_get_or_create_experiment,
    action=Action.CREATE,
    resource=EXPERIMENT,
    encode=_experiment_json,
    decode=wire.decode_experiment,
    response_model=ExperimentOut,
    idempotent=True,
    tag="experiments",
    resource_name=lambda r: r.body.name,
)
get_experiment = Operation(
    name="tracking.get_experiment",
    method="GET",
    path="/experiments/{experiment_id}",
    request=ExperimentId,
    run=_get_experiment,
    action=Action.READ,
    resource=EXPERIMENT,
    encode=_experiment_json,
    decode=wire.decode_experiment,
    response_model=ExperimentOut,
    tag="experiments",
)
delete_experiment = Operation(
    name="tracking.delete_experiment",
    method="DELETE",
    path="/experiments/{experiment_id}",
    request=ExperimentId,
    run=_delete_experiment,
    action=Action.DELETE,
    resource=EXPERIMENT,
    status=204,
    tag="experiments",
)
restore_experiment = Operation(
    name="tracking.restore_experiment",
    method="POST",
    path="/experiments/{experiment_id}/restore",
    request=ExperimentId,
    run=_restore_experiment,
    action=Action.UPDATE,
    resource=EXPERIMENT,
    status=204,
    idempotent=True,
    tag="experiments",
)
set_experiment_tag = Operation(
    name="tracking.set_experiment_tag",
    method="POST",
    path="/experiments/{experiment_id}/tags",
    request=SetExperimentTag,
    run=_set_experiment_tag,
    action=Action.UPDATE,
    resource=EXPERIMENT,
    status=204,
    idempotent=True,
    tag="experiments",
)

OPERATIONS: tuple[Operation[Any, Any], ...] = (
    create_experiment,
    list_experiments,
    get_experiment_by_name,
    get_or_create_experiment,
    get_experiment,
    delete_experiment,
    restore_experiment,
    set_experiment_tag,
)
