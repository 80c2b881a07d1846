"""The models part of the SDK's seam: operations on logged models that run where the data is.

``export_onnx`` fetches a stored model, converts it and records the export in its run. The
local backend calls the export service in-process; the HTTP backend (see
:mod:`mlsteward.interfaces.sdk.http_models_backend`) asks the server, which calls the same
service, so the files never make a round trip through the client.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from mlsteward.services.context import ServiceContext
from mlsteward.services.models.export_service import ExportOptions, export_stored_model
from mlsteward.services.models.onnx_record import ExportRecord


@runtime_checkable
class ModelsBackend(Protocol):
    def export_onnx(self, model_uri: str, options: ExportOptions) -> ExportRecord: ...


class LocalModelsBackendMixin:
    """Implements ``ModelsBackend`` in-process; the host class provides ``ctx``."""

    ctx: ServiceContext

    def export_onnx(self, model_uri: str, options: ExportOptions) -> ExportRecord:
        return export_stored_model(self.ctx, model_uri, options).record
