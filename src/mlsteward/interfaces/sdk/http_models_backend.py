"""The models part of ``HttpBackend``: ``ModelsBackend`` over ``/api/v1/models``."""

from __future__ import annotations

import httpx

from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.services.api import wire_models
from mlsteward.services.models.export_service import ExportOptions
from mlsteward.services.models.onnx_record import ExportRecord

#: A conversion with parity checks and int8 of a large ensemble can take minutes.
_EXPORT_TIMEOUT = httpx.Timeout(900.0, connect=5.0)


class HttpModelsBackendMixin:
    """Implements ``ModelsBackend`` over HTTP; the host class provides ``_api``."""

    _api: ApiClient

    def export_onnx(self, model_uri: str, options: ExportOptions) -> ExportRecord:
        body = {
            "model_uri": model_uri,
            "quantize": options.quantize,
            "tolerance": float(options.tolerance),
            "target_opset": options.target_opset,
            "sample": None if options.sample is None else wire_models.encode_sample(options.sample),
            "sample_targets": wire_models.encode_targets(options.sample_targets),
        }
        # Exporting again gives the same files, so a retry after a lost answer is safe.
        raw = self._api.json(
            "POST", wire_models.EXPORT_ONNX_PATH, json=body, timeout=_EXPORT_TIMEOUT
        )
        return wire_models.decode_export(raw)
