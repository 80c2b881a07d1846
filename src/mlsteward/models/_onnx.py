"""``export_onnx``: convert a logged model, check parity, store the graph beside the model."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE
from mlsteward.interfaces.sdk.tracking_uri import backend_for
from mlsteward.models._artifacts import download, recorded_digests
from mlsteward.models._load import _local_dir
from mlsteward.services.models.model_uri import resolve_model_uri
from mlsteward.services.models.onnx_packaging import EXPORT_DIR, export_model_dir
from mlsteward.services.models.onnx_record import ExportRecord
from mlsteward.services.models.store_check import check_against_store


def export_onnx(
    model_uri: str | os.PathLike[str],
    sample: Any = None,
    quantize: bool = False,
    *,
    sample_targets: Any = None,
    tolerance: float = DEFAULT_TOLERANCE,
    target_opset: int | None = None,
) -> ExportRecord:
    """Export a scikit-learn, XGBoost or LightGBM model to ONNX, stored as ``<model>/onnx/``.

    Parity with the native model is measured on the logged input example and on ``sample``
    (max absolute difference, label agreement) and recorded with the export; ``parity_ok``
    tells serving whether the faster ONNX runtime may replace the native one
    (``load_model(uri, runtime="auto")``). ``quantize=True`` adds an int8 graph and records
    how it moves from the native model (and, with ``sample_targets``, the accuracy change).
    An estimator no converter handles raises ``UnsupportedModelError`` naming it.
    """
    uri = os.fspath(model_uri)
    options: dict[str, Any] = {
        "sample": sample,
        "sample_targets": sample_targets,
        "quantize": quantize,
        "tolerance": tolerance,
        "target_opset": target_opset,
    }
    local = _local_dir(uri)
    if local is not None:
        return export_model_dir(local, **options)
    location = resolve_model_uri(uri)
    backend = backend_for()
    digests = recorded_digests(backend, location)
    with tempfile.TemporaryDirectory(prefix="mlsteward-export-") as tmp:
        directory = download(backend, location, Path(tmp) / "model")
        check_against_store(directory, digests)
        shutil.rmtree(directory / EXPORT_DIR, ignore_errors=True)
        record = export_model_dir(directory, **options)
        backend.log_artifact(
            location.run_id, directory / EXPORT_DIR, f"{location.artifact_path}/{EXPORT_DIR}"
        )
    return record
