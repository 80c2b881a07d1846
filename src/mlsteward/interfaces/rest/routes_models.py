"""``/api/v1/models``: operations on logged models (ONNX export, for now).

``POST /models/export-onnx`` converts the model a ``runs:/`` or ``models:/`` URI names,
checks parity on its input example and the sample sent, optionally adds an int8 graph,
records ``onnx/`` beside the model in its run and answers with the export record. The work
happens in :func:`mlsteward.services.models.export_service.export_stored_model`, the same
function the SDK's local backend calls. The route is synchronous: FastAPI runs it in a worker
thread, so a long conversion does not stall the event loop.
"""

from __future__ import annotations

from typing import Any, Self

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, model_validator

from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.services.api import wire_models
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.models.export_service import ExportOptions, export_stored_model

router = APIRouter(
    prefix="/models",
    tags=["models"],
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


class SampleIn(BaseModel):
    """Rows to check parity on: exactly one of ``columns``, ``records`` or ``tensor``."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, list[Any]] | None = None
    records: list[dict[str, Any]] | None = None
    tensor: list[Any] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        given = [f for f in wire_models.SAMPLE_FORMS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of columns, records or tensor (got {given})")
        return self


class ExportOnnxRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_uri: str
    quantize: StrictBool = False
    tolerance: StrictFloat | StrictInt = DEFAULT_TOLERANCE
    target_opset: StrictInt | None = None
    sample: SampleIn | None = None
    sample_targets: list[Any] | None = None


class ExportRecordOut(BaseModel):
    """``ExportRecord.to_dict()`` plus ``stored_at`` (``runs:/<run_id>/<model>/onnx``)."""

    model_config = ConfigDict(extra="allow")

    converter: str
    converter_version: str
    model_file: str
    parity: list[dict[str, Any]]
    parity_ok: bool
    tolerance: float | str
    quantized_file: str | None
    quantization: dict[str, Any] | None
    files: dict[str, dict[str, Any]]
    stored_at: str


@router.post(
    "/export-onnx",
    response_model=ExportRecordOut,
    responses={
        403: {
            "model": ErrorResponse,
            "description": "PERMISSION_DENIED: this server does not load users' models",
        }
    },
)
def export_onnx(body: ExportOnnxRequest, ctx: Ctx) -> Response:
    """Export a logged scikit-learn, XGBoost or LightGBM model to ONNX beside it.

    400 names an estimator no converter handles, or what is wrong with the sample; 404 when
    the run, the model in it, the registered model, version or alias does not exist; 409
    when the stored files do not match their recorded hashes.
    403 unless the server was started with ``--allow-model-code``: exporting loads the
    model, and loading a pickle runs whatever code it carries.
    """
    options = ExportOptions(
        sample=wire_models.decode_sample(
            body.sample.model_dump(exclude_none=True) if body.sample else None
        ),
        sample_targets=wire_models.decode_targets(body.sample_targets),
        quantize=body.quantize,
        tolerance=float(body.tolerance),
        target_opset=body.target_opset,
    )
    stored = export_stored_model(ctx, body.model_uri, options)
    return json_response(wire_models.encode_export(stored.record, stored.uri))
