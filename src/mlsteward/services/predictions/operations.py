"""The prediction-log operations a client can call: one prediction, a time range, feedback.

They are about a deployment (resource kind ``deployment``, named by its first path segment),
so a grant on a deployment covers its log. Finding a prediction without naming its
deployment is about the collection: a server-wide reader's.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.predictions import PredictionRecord
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.declaration import Operation, OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.predictions import predictions
from mlsteward.services.predictions import wire as w

TAG = "predictions"
NOT_LOGGED = {404: {"model": ErrorResponse, "description": "NOT_FOUND: no such logged prediction"}}
ONE = Codec(w.encode_prediction, w.decode_prediction, w.PredictionOut)

declare = Declarations("predictions", ResourceKind.DEPLOYMENT, tag=TAG)


class PredictionOfDeployment(OperationRequest):
    name: w.DeploymentName
    prediction_id: w.PredictionId


class PredictionAnywhere(OperationRequest):
    prediction_id: w.PredictionId


class QueryPredictions(OperationRequest):
    name: w.DeploymentName
    start: w.TimeMs
    end: w.TimeMs
    limit: w.QueryLimit = w.DEFAULT_QUERY_ROWS


class PrunePredictions(OperationRequest):
    name: w.DeploymentName
    older_than_days: w.RetentionDays


class RecordFeedback(OperationRequest):
    name: w.DeploymentName
    body: w.FeedbackIn


@declare.get("/deployments/{name}/predictions/{prediction_id}", returns=ONE, responses=NOT_LOGGED)
def get(ctx: ServiceContext, r: PredictionOfDeployment) -> PredictionRecord:
    """One logged prediction of a deployment: inputs, outputs, version, route, latency."""
    return predictions.get_prediction(ctx, r.name, r.prediction_id)


@declare.get(
    "/predictions/{prediction_id}",
    returns=ONE,
    responses=NOT_LOGGED,
    resource_name=lambda r: None,
)
def find(ctx: ServiceContext, r: PredictionAnywhere) -> PredictionRecord:
    """One logged prediction, whichever deployment answered it."""
    return predictions.get_prediction(ctx, None, r.prediction_id)


@declare.get(
    "/deployments/{name}/predictions",
    returns=Codec(w.encode_page, w.decode_page, w.PredictionPageOut),
)
def query(ctx: ServiceContext, r: QueryPredictions) -> w.PredictionPage:
    """The predictions a deployment made from ``start`` to before ``end`` (epoch ms, the
    time in each prediction ID), oldest first; ``truncated`` when ``limit`` cut the list."""
    return predictions.query_predictions(ctx, r.name, r.start, r.end, r.limit)


@declare.post(
    "/deployments/{name}/feedback",
    returns=Codec(w.encode_receipt, w.decode_receipt, w.FeedbackReceiptOut),
)
def feedback(ctx: ServiceContext, r: RecordFeedback) -> w.FeedbackReceipt:
    """Store labels that arrived after their predictions, by prediction ID. Malformed or
    future IDs refuse the whole request (400, listed); well-formed IDs the log does not hold
    yet are stored and listed in ``unknown``."""
    items = getattr(r.body, "items", None)
    return predictions.record_feedback(ctx, r.name, items)  # type: ignore[arg-type]


@declare.delete(
    "/deployments/{name}/predictions",
    returns=Codec(w.encode_prune, w.decode_prune, w.PruneReceiptOut),
)
def prune(ctx: ServiceContext, r: PrunePredictions) -> w.PruneReceipt:
    """Remove the deployment's logged predictions and labels older than ``older_than_days``
    (whole hours of predictions, whole days of labels); the server does this daily by each
    deployment's retention setting."""
    return predictions.prune_predictions(ctx, r.name, r.older_than_days)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
