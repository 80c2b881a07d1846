"""ONNX models (``onnx.ModelProto``), run with ONNX Runtime on the CPU.

The ``.onnx`` file is a protobuf graph: loading it runs no Python code from the file. The
same runtime wrapper serves models exported by ``mlsteward.export_onnx``, whose inputs may be
one tensor or one tensor per column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mlsteward.plugins.flavors.base import Flavor, NativeModel, SavedFiles, Wants

MODEL_FILE = "model.onnx"

_ORT_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.str_,
}
_PROBA_NAMES = ("probabilities", "output_probability", "probability")


class OnnxFlavor(Flavor):
    name: ClassVar[str] = "onnx"
    priority: ClassVar[int] = 10
    modules: ClassVar[tuple[str, ...]] = ("onnx", "onnxruntime", "numpy")
    serialization: ClassVar[str] = "ONNX protobuf (no code)"
    executes_code_on_load: ClassVar[bool] = False

    def matches(self, model: Any) -> bool:
        return type(model).__name__ == "ModelProto" and type(model).__module__.startswith("onnx")

    def save(self, model: Any, directory: Path) -> SavedFiles:
        (directory / MODEL_FILE).write_bytes(model.SerializeToString())
        return SavedFiles([MODEL_FILE])

    def load(self, directory: Path, options: Mapping[str, Any]) -> Any:
        return new_session(directory / MODEL_FILE)

    def wrap(self, model: Any) -> NativeModel:
        session = model if hasattr(model, "get_inputs") else new_session(model.SerializeToString())
        return onnx_native(session)

    def describe_inputs(self, model: Any) -> dict[str, Any] | None:
        session = model if hasattr(model, "get_inputs") else new_session(model.SerializeToString())
        specs = []
        for arg in session.get_inputs():
            dtype = np.dtype(_ORT_TYPES.get(arg.type, object))
            shape = [d if isinstance(d, int) and d >= 0 else -1 for d in arg.shape]
            name = "string" if dtype.kind == "U" else dtype.name
            specs.append({"name": arg.name, "dtype": name, "shape": shape})
        return {"type": "tensors", "tensors": specs}


#: Intra-op threads of each ONNX Runtime session (``MLSTEWARD_ONNX_THREADS`` overrides).
DEFAULT_THREADS = 1


def new_session(source: Path | bytes, threads: int | None = None) -> Any:
    """An ONNX Runtime session on the CPU.

    One intra-op thread by default: a serving process runs many requests side by side, and
    a pool of spinning worker threads per session (the runtime's default) steals the cores
    those requests, and the other sessions, need. Set ``threads`` or
    ``MLSTEWARD_ONNX_THREADS`` (0 = the runtime's choice) for big batches on idle cores.
    """
    import onnxruntime as ort

    if threads is None:
        threads = int(os.environ.get("MLSTEWARD_ONNX_THREADS", DEFAULT_THREADS))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    model = source if isinstance(source, bytes) else str(source)
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def onnx_native(
    session: Any,
    *,
    columns: Sequence[str] | None = None,
    squeeze: bool = False,
    classes: list[Any] | None = None,
) -> NativeModel:
    """Call ``session`` like a scikit-learn model: ``predict`` gives the first output.

    ``columns`` means one graph input per column (the export of a ColumnTransformer): the
    caller passes a DataFrame. Otherwise a single input takes an array (cast to the graph's
    dtype), and several inputs take a dict. ``squeeze`` turns an (n, 1) output into (n,),
    as scikit-learn regressors return.
    """
    inputs = session.get_inputs()
    outputs = [o.name for o in session.get_outputs()]
    types = {arg.name: _ORT_TYPES.get(arg.type) for arg in inputs}
    label = outputs[:1]
    proba = [n for n in outputs if n in _PROBA_NAMES][:1]
    if not proba and len(outputs) > 1 and "float" in session.get_outputs()[1].type:
        proba = outputs[1:2]
    run = session.run
    wants: Wants
    if columns is not None:
        kinds = [(name, types[name]) for name in columns]
        wants = "frame"

        def feed(data: Any) -> dict[str, np.ndarray]:
            return {
                name: data[name].to_numpy().astype(kind, copy=False).reshape(-1, 1)
                for name, kind in kinds
            }
    elif len(inputs) == 1:
        name, kind = inputs[0].name, types[inputs[0].name]
        wants = "array"

        def feed(data: Any) -> dict[str, np.ndarray]:
            array = np.asarray(data)
            if kind is not None and array.dtype != kind:
                array = array.astype(kind)
            return {name: array}
    else:
        wants = "any"

        def feed(data: Any) -> dict[str, np.ndarray]:
            return dict(data)

    def predict(data: Any) -> Any:
        result = run(label, feed(data))[0]
        return result.ravel() if squeeze and result.ndim == 2 and result.shape[1] == 1 else result

    predict_proba = None
    if proba:

        def predict_proba(data: Any) -> Any:
            return run(proba, feed(data))[0]

    return NativeModel(
        raw=session, predict=predict, predict_proba=predict_proba, wants=wants, classes=classes
    )
