"""``export_onnx``: convert a logged model, check parity, store the graph beside the model.

A logged model is exported where it is stored: the ``models.export_onnx`` operation runs in
this process for a local store and on the server for ``http://``, and records the ``onnx/``
files in the model's run in one step. A local model directory is exported in place.
"""

from __future__ import annotations

import os
from typing import Any

from mlsteward.engines.models.export_options import ExportOptions, export_directory
from mlsteward.engines.models.model_uri import resolve_model_uri
from mlsteward.engines.models.onnx_record import ExportRecord
from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE
from mlsteward.interfaces.sdk.models.load import local_model_dir
from mlsteward.interfaces.sdk.tracking_uri import backend_for
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.models import operations as ops

#: URI schemes the export service resolves itself; others go through resolver hooks first.
_SERVICE_SCHEMES = ("runs:", "models:")


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

    ``model_uri`` is ``runs:/<run_id>/<path>``, ``models:/<name>@<alias>``,
    ``models:/<name>/<version>`` or a local model directory. Parity with the native model is
    measured on the logged input example and on ``sample`` (max absolute difference, label
    agreement) and recorded with the export; ``parity_ok`` tells serving whether the faster
    ONNX runtime may replace the native one (``load_model(uri, runtime="auto")``).
    ``quantize=True`` adds an int8 graph and records how it moves from the native model
    (and, with ``sample_targets``, the accuracy change). An estimator no converter handles
    raises ``UnsupportedModelError`` naming it. Against a server the sample travels as JSON
    (numbers, text, booleans) and the server does the conversion.
    """
    # Checked here, before anything is sent: a bad option reads the same through every door.
    options = ExportOptions(
        sample=sample,
        sample_targets=sample_targets,
        quantize=quantize,
        tolerance=tolerance,
        target_opset=target_opset,
    )
    uri = os.fspath(model_uri)
    local = local_model_dir(uri)
    if local is not None:
        return export_directory(local, options)
    if not uri.startswith(_SERVICE_SCHEMES):
        uri = resolve_model_uri(uri).uri  # a plugged-in scheme ends at a run's artifact
    outcome = invoke(
        backend_for().transport,
        ops.export_onnx,
        model_uri=uri,
        quantize=options.quantize,
        tolerance=float(options.tolerance),
        target_opset=options.target_opset,
        sample=options.sample,
        sample_targets=options.sample_targets,
    )
    return outcome.record
