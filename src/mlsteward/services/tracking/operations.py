"""The tracking operations a client can call: experiments here, runs and metrics in
``operations_runs``, artifacts in ``operations_artifacts``; ``OPERATIONS`` gathers them all."""

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
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.tracking import experiments, operations_artifacts, operations_runs


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


declare = Declarations(
    "tracking", ResourceKind.EXPERIMENT, tag="experiments", responses={400: None, 404: None}
)
ONE = Codec(_experiment_json, wire.decode_experiment, ExperimentOut)


@declare.post("/experiments", returns=ONE, status=201, responses={409: None})
def create_experiment(ctx: ServiceContext, r: CreateExperiment) -> Experiment:
    return experiments.create_experiment(ctx, r.body.name, r.body.tags)


@declare.get(
    "/experiments",
    returns=Codec(
        listed("experiments", _experiment_json),
        unlisted("experiments", wire.decode_experiment),
        ExperimentListOut,
    ),
)
def list_experiments(ctx: ServiceContext, r: ListExperiments) -> list[Experiment]:
    return experiments.list_experiments(ctx, r.include_deleted)


@declare.get("/experiments/by-name", returns=ONE, resource_name=lambda r: r.name)
def get_experiment_by_name(ctx: ServiceContext, r: ExperimentByName) -> Experiment:
    """The experiment called ``name``; 404 when there is none."""
    found = experiments.get_experiment_by_name(ctx, r.name)
    if found is None:
        raise NotFoundError(f"No experiment named {r.name!r}")
    return found


@declare.post(
    "/experiments/get-or-create", returns=ONE, idempotent=True, resource_name=lambda r: r.body.name
)
def get_or_create_experiment(ctx: ServiceContext, r: GetOrCreateExperiment) -> Experiment:
    """The active experiment called ``name``, created when absent (safe to retry)."""
    return experiments.get_or_create_experiment(ctx, r.body.name)


@declare.get("/experiments/{experiment_id}", returns=ONE)
def get_experiment(ctx: ServiceContext, r: ExperimentId) -> Experiment:
    return experiments.get_experiment(ctx, r.experiment_id)


@declare.delete("/experiments/{experiment_id}", status=204)
def delete_experiment(ctx: ServiceContext, r: ExperimentId) -> None:
    experiments.delete_experiment(ctx, r.experiment_id)


@declare.post(
    "/experiments/{experiment_id}/restore", action=Action.UPDATE, status=204, idempotent=True
)
def restore_experiment(ctx: ServiceContext, r: ExperimentId) -> None:
    experiments.restore_experiment(ctx, r.experiment_id)


@declare.post(
    "/experiments/{experiment_id}/tags", action=Action.UPDATE, status=204, idempotent=True
)
def set_experiment_tag(ctx: ServiceContext, r: SetExperimentTag) -> None:
    experiments.set_experiment_tag(ctx, r.experiment_id, r.body.key, r.body.value)


OPERATIONS: tuple[Operation[Any, Any], ...] = (
    *declare.operations,
    *operations_runs.OPERATIONS,
    *operations_artifacts.OPERATIONS,
)
