"""The models operations a client can call (see ``mlsteward.services.operations``)."""

from __future__ import annotations

from typing import Any

from mlsteward.engines.models.export_options import ExportOptions
from mlsteward.services.api import wire_models
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.models.export_service import ExportOutcome, export_stored_model
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    ResourceKind,
)
from mlsteward.services.operations.declarations import Codec, Declarations


class ExportOnnx(OperationRequest):
    body: wire_models.ExportOnnxRequest


declare = Declarations("models", ResourceKind.RUN, tag="models")
EXPORT = Codec(wire_models.encode_export, wire_models.decode_export, wire_models.ExportRecordOut)


@declare.post(
    "/models/export-onnx",
    returns=EXPORT,
    # Converting, checking parity and recording the files in the model's run.
    action=Action.EXECUTE,
    # Exporting again writes the same files, so a retry after a lost answer is safe.
    idempotent=True,
    # A large model's conversion and parity check can take minutes.
    timeout_s=900.0,
    responses={
        403: {
            "model": ErrorResponse,
            "description": "PERMISSION_DENIED: this server does not load users' models",
        },
        404: None,
    },
    resource_name=lambda r: _run_of(r.body.model_uri),
)
def export_onnx(ctx: ServiceContext, r: ExportOnnx) -> ExportOutcome:
    """Export a logged scikit-learn, XGBoost or LightGBM model to ONNX beside it.

    400 names an estimator no converter handles, or what is wrong with the sample; 404 when
    the run, the model in it, the registered model, version or alias does not exist; 409
    when the stored files do not match their recorded hashes.
    403 unless the server was started with ``--allow-model-code``: exporting loads the
    model, and loading a pickle runs whatever code it carries.
    """
    body = r.body
    sample, targets = wire_models.parity_data(body)
    tolerance = body.tolerance
    if isinstance(tolerance, int) and not isinstance(tolerance, bool):
        tolerance = float(tolerance)
    options = ExportOptions(
        sample=sample,
        sample_targets=targets,
        quantize=body.quantize,
        tolerance=tolerance,
        target_opset=body.target_opset,
    )
    stored = export_stored_model(ctx, body.model_uri, options)
    return ExportOutcome(stored.record, stored.uri)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)


def _run_of(model_uri: str) -> str | None:
    """The run a ``runs:/<run_id>/<path>`` URI names (what the policy scopes the export to);
    None for another kind of URI, which needs a server-wide grant."""
    if not model_uri.startswith("runs:/"):
        return None
    return model_uri.removeprefix("runs:/").lstrip("/").split("/", 1)[0] or None
