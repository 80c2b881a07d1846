"""Export a saved model to ONNX beside it (``<model>/onnx/``), with parity and quantization.

Parity is measured on the model's input example and on any sample the caller passes, by
running both runtimes through the same signature enforcement a user's call goes through:
the largest absolute difference (of probabilities for classifiers, of predictions for
regressors) and the share of equal labels. Serving may take the ONNX runtime only when
``parity_ok``. The optional int8 graph records how far it moves from the native model, and,
given the sample's targets, the change in accuracy (classifiers) or RMSE (regressors).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.input_example import normalize_example
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.loading import load_model_dir
from mlsteward.engines.models.manifest import MANIFEST_FILE, hash_files, sha256_file
from mlsteward.engines.models.onnx_record import (
    EXPORT_DIR,
    EXPORT_MANIFEST,
    ExportRecord,
    write_export,
)
from mlsteward.engines.onnx_export.converters import convert
from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE, ParityReport, compare
from mlsteward.engines.onnx_export.quantization import quantize_int8
from mlsteward.plugins.flavors.onnx_flavor import new_session, onnx_native

MODEL_FILE = "model.onnx"
QUANTIZED_FILE = "model.int8.onnx"


def _plain(values: list[Any] | None) -> list[Any] | None:
    return [v.item() if hasattr(v, "item") else v for v in values] if values is not None else None


def _runtime(native: LoadedModel, graph: bytes, columns: list[str] | None, squeeze: bool) -> Any:
    session = new_session(graph)
    wrapped = onnx_native(session, columns=columns, squeeze=squeeze, classes=native.classes)
    return LoadedModel(native.manifest, wrapped, native.directory, "onnx")


def _parity(native: LoadedModel, onnx: LoadedModel, name: str, data: Any) -> ParityReport:
    proba = native.has_predict_proba and onnx.has_predict_proba
    return compare(
        name,
        native.predict(data),
        onnx.predict(data),
        native.predict_proba(data) if proba else None,
        onnx.predict_proba(data) if proba else None,
    )


def _score(model: LoadedModel, data: Any, targets: Any, classifier: bool) -> float:
    predicted = np.asarray(model.predict(data)).ravel()
    truth = np.asarray(targets).ravel()
    if classifier:
        if predicted.dtype.kind != truth.dtype.kind:
            predicted, truth = predicted.astype(str), truth.astype(str)
        return float(np.mean(predicted == truth))
    return float(np.sqrt(np.mean((predicted.astype(float) - truth.astype(float)) ** 2)))


def export_model_dir(
    model_dir: str | Path,
    *,
    sample: Any = None,
    sample_targets: Any = None,
    quantize: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    target_opset: int | None = None,
) -> ExportRecord:
    """Convert the model in ``model_dir``, check parity, write ``onnx/``; returns the record."""
    directory = Path(model_dir)
    native = load_model_dir(directory, runtime="native")
    manifest = native.manifest
    datasets: list[tuple[str, Any]] = []
    if native.input_example is not None:
        datasets.append(("input_example", native.input_example))
    if sample is not None:
        datasets.append(("sample", normalize_example(sample)))
    if not datasets:
        raise InvalidArgumentError(
            "export_onnx verifies parity on data: this model has no input example, so pass "
            "sample= (a few hundred representative rows)"
        )
    if sample_targets is not None and sample is None:
        raise InvalidArgumentError("sample_targets needs sample")

    conversion = convert(
        native.unwrap(), manifest.flavor, manifest.signature.inputs.to_dict(), target_opset
    )
    graph = conversion.model.SerializeToString()
    probe = _runtime(native, graph, conversion.columns, squeeze=False)
    first = datasets[0][1]
    squeeze = (
        np.asarray(native.predict(first)).ndim == 1 and np.asarray(probe.predict(first)).ndim == 2
    )
    onnx = _runtime(native, graph, conversion.columns, squeeze) if squeeze else probe
    reports = [_parity(native, onnx, name, data) for name, data in datasets]

    export_dir = directory / EXPORT_DIR
    if export_dir.exists():
        shutil.rmtree(export_dir)
    export_dir.mkdir()
    (export_dir / MODEL_FILE).write_bytes(graph)
    files = [MODEL_FILE]
    quantization = None
    if quantize:
        quantized = quantize_int8(graph)
        (export_dir / QUANTIZED_FILE).write_bytes(quantized.model_bytes)
        files.append(QUANTIZED_FILE)
        int8 = _runtime(native, quantized.model_bytes, conversion.columns, squeeze)
        quantization = {
            "method": "onnxruntime dynamic quantization, int8 weights",
            "quantized_nodes": quantized.quantized_nodes,
            "note": None
            if quantized.quantized_nodes
            else "no MatMul/Gemm-style nodes to quantize: the graph is unchanged in effect",
            "parity": [_parity(native, int8, n, d).to_dict() for n, d in datasets],
        }
        if sample_targets is not None:
            classifier = native.has_predict_proba
            scores = {
                name: _score(model, datasets[-1][1], sample_targets, classifier)
                for name, model in (("native", native), ("onnx", onnx), ("int8", int8))
            }
            quantization["accuracy"] = {
                "metric": "accuracy" if classifier else "rmse",
                **scores,
                "change": scores["int8"] - scores["native"],
            }
    record = ExportRecord(
        converter=conversion.converter,
        converter_version=conversion.converter_version,
        model_file=MODEL_FILE,
        files=hash_files(export_dir, files),
        parity=[r.to_dict() for r in reports],
        parity_ok=all(r.holds(tolerance) for r in reports),
        tolerance=tolerance,
        columns=conversion.columns,
        squeeze=squeeze,
        classes=_plain(native.classes),
        opsets={op.domain or "ai.onnx": int(op.version) for op in conversion.model.opset_import},
        quantized_file=QUANTIZED_FILE if quantize else None,
        quantization=quantization,
        source_manifest_sha256=sha256_file(directory / MANIFEST_FILE).sha256,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    write_export(directory, record)
    return record


__all__ = ["EXPORT_DIR", "EXPORT_MANIFEST", "export_model_dir"]
