"""``/api/v1/experiments``: create, read, find by name, delete and restore, tag."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from mlsteward.domain.errors import NotFoundError
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.interfaces.rest.schemas import (
    CreateExperimentRequest,
    ErrorResponse,
    ExperimentListOut,
    ExperimentNameRequest,
    ExperimentOut,
    TagRequest,
)
from mlsteward.services.tracking import experiments

router = APIRouter(
    prefix="/experiments",
    tags=["experiments"],
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


@router.post(
    "", status_code=201, response_model=ExperimentOut, responses={409: {"model": ErrorResponse}}
)
def create_experiment(body: CreateExperimentRequest, ctx: Ctx) -> Response:
    experiment = experiments.create_experiment(ctx, body.name, body.tags)
    return json_response(experiment.to_dict(), 201)


@router.get("", response_model=ExperimentListOut)
def list_experiments(ctx: Ctx, include_deleted: bool = False) -> Response:
    found = experiments.list_experiments(ctx, include_deleted)
    return json_response({"experiments": [e.to_dict() for e in found]})


@router.get("/by-name", response_model=ExperimentOut)
def get_experiment_by_name(ctx: Ctx, name: str = Query(min_length=1)) -> Response:
    """The experiment called ``name``; 404 when there is none."""
    experiment = experiments.get_experiment_by_name(ctx, name)
    if experiment is None:
        raise NotFoundError(f"No experiment named {name!r}")
    return json_response(experiment.to_dict())


@router.post("/get-or-create", response_model=ExperimentOut)
def get_or_create_experiment(body: ExperimentNameRequest, ctx: Ctx) -> Response:
    """The active experiment called ``name``, created when absent (safe to retry)."""
    return json_response(experiments.get_or_create_experiment(ctx, body.name).to_dict())


@router.get("/{experiment_id}", response_model=ExperimentOut)
def get_experiment(experiment_id: str, ctx: Ctx) -> Response:
    return json_response(experiments.get_experiment(ctx, experiment_id).to_dict())


@router.delete("/{experiment_id}", status_code=204)
def delete_experiment(experiment_id: str, ctx: Ctx) -> Response:
    experiments.delete_experiment(ctx, experiment_id)
    return no_content()


@router.post("/{experiment_id}/restore", status_code=204)
def restore_experiment(experiment_id: str, ctx: Ctx) -> Response:
    experiments.restore_experiment(ctx, experiment_id)
    return no_content()


@router.post("/{experiment_id}/tags", status_code=204)
def set_experiment_tag(experiment_id: str, body: TagRequest, ctx: Ctx) -> Response:
    experiments.set_experiment_tag(ctx, experiment_id, body.key, body.value)
    return no_content()
