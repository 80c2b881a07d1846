"""Turn a scikit-learn, XGBoost or LightGBM model into an ONNX graph.

scikit-learn goes through skl2onnx, XGBoost and LightGBM through onnxmltools (both behind
the ``onnx`` extra). The graph's inputs follow the model's signature: one float tensor when
every input is numeric, or one tensor per column (named after it) when the model has text
columns or routes columns by name through a ColumnTransformer. Classifiers are exported
without ZipMap, so probabilities come back as a plain (n, classes) array.
"""

from __future__ import annotations

import copy
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.onnx_export.errors import UnsupportedModelError

#: A signature's input schema in its manifest (dict) form.
Schema = Mapping[str, Any]

CONVERTIBLE_FLAVORS = ("sklearn", "xgboost", "lightgbm")
_TEXT = {"string", "object", "category", "binary"}


@dataclass(frozen=True)
class Conversion:
    """An ONNX graph plus how to feed it: ``columns`` is None for a single tensor input."""

    model: Any
    converter: str
    converter_version: str
    columns: list[str] | None


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _require(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise InvalidArgumentError(
            f"ONNX export needs {module}: install mlsteward[onnx] (onnx, onnxruntime, skl2onnx, "
            "onnxmltools)"
        )


def _steps(model: Any) -> list[tuple[str, Any]]:
    """Every estimator inside ``model`` (itself first), with its parameter path."""
    found: list[tuple[str, Any]] = [("", model)]
    get_params = getattr(model, "get_params", None)
    if get_params is not None:
        for key, value in get_params(deep=True).items():
            if hasattr(value, "fit") and value is not model:
                found.append((key, value))
    return found


def _has_column_transformer(model: Any) -> bool:
    return any(type(step).__name__ == "ColumnTransformer" for _, step in _steps(model))


def per_column_inputs(model: Any, schema: Schema) -> bool:
    """Whether the graph needs one input per column rather than one float matrix."""
    if schema["type"] != "columns":
        return False
    if any(c["dtype"] in _TEXT for c in schema["columns"]):
        return True
    return hasattr(model, "feature_names_in_") and _has_column_transformer(model)


def _width(schema: Schema) -> int:
    if schema["type"] == "columns":
        return len(schema["columns"])
    tensors = schema["tensors"]
    if len(tensors) != 1 or len(tensors[0]["shape"]) != 2:
        raise InvalidArgumentError(
            "ONNX export of a tabular model needs one 2-D input (rows x features); this "
            f"signature has {list(tensors)}"
        )
    width = int(tensors[0]["shape"][1])
    if width < 0:
        raise InvalidArgumentError("ONNX export needs a fixed number of features")
    return width


def _unsupported_sklearn_step(model: Any) -> str | None:
    """The dotted name of the first estimator skl2onnx has no converter for."""
    from skl2onnx._supported_operators import sklearn_operator_name_map

    containers = {"Pipeline", "ColumnTransformer", "FeatureUnion"}
    for path, step in _steps(model):
        klass = type(step)
        if klass.__name__ in containers or klass in sklearn_operator_name_map:
            continue
        where = f" (Pipeline step {path!r})" if path else ""
        return f"{klass.__module__}.{klass.__qualname__}{where}"
    return None


def convert_sklearn_model(model: Any, schema: Schema, target_opset: int | None) -> Conversion:
    _require("skl2onnx")
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    missing = _unsupported_sklearn_step(model)
    if missing:
        raise UnsupportedModelError(
            f"Cannot export to ONNX: skl2onnx has no converter for {missing}. Replace that "
            "estimator, or serve the model with its native runtime."
        )
    columns: list[str] | None = None
    if per_column_inputs(model, schema):
        columns = [str(c["name"]) for c in schema["columns"]]
        initial: list[tuple[str, Any]] = [
            (
                str(c["name"]),
                StringTensorType([None, 1]) if c["dtype"] in _TEXT else FloatTensorType([None, 1]),
            )
            for c in schema["columns"]
        ]
    else:
        initial = [("input", FloatTensorType([None, _width(schema)]))]
    try:
        graph = convert_sklearn(
            model, initial_types=initial, options={"zipmap": False}, target_opset=target_opset
        )
    except Exception as error:
        if "zipmap" in str(error).lower():  # regressors reject the classifier-only option
            graph = convert_sklearn(model, initial_types=initial, target_opset=target_opset)
        else:
            raise UnsupportedModelError(
                f"skl2onnx could not convert {type(model).__qualname__}: "
                f"{type(error).__name__}: {error}"
            ) from error
    return Conversion(graph, "skl2onnx", _version("skl2onnx"), columns)


def convert_xgboost_model(model: Any, schema: Schema, target_opset: int | None) -> Conversion:
    _require("onnxmltools")
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    # onnxmltools reads features as f0, f1...: drop the names on a copy, the graph is positional
    clone = copy.deepcopy(model)
    booster = clone.get_booster() if hasattr(clone, "get_booster") else clone
    booster.feature_names = None
    initial = [("input", FloatTensorType([None, _width(schema)]))]
    try:
        graph = onnxmltools.convert_xgboost(clone, initial_types=initial, target_opset=target_opset)
    except Exception as error:
        raise UnsupportedModelError(
            f"onnxmltools could not convert {type(model).__qualname__}: {error}"
        ) from error
    return Conversion(graph, "onnxmltools", _version("onnxmltools"), None)


def convert_lightgbm_model(model: Any, schema: Schema, target_opset: int | None) -> Conversion:
    _require("onnxmltools")
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    initial = [("input", FloatTensorType([None, _width(schema)]))]
    try:
        graph = onnxmltools.convert_lightgbm(
            model, initial_types=initial, zipmap=False, target_opset=target_opset
        )
    except Exception as error:
        raise UnsupportedModelError(
            f"onnxmltools could not convert {type(model).__qualname__}: {error}"
        ) from error
    return Conversion(graph, "onnxmltools", _version("onnxmltools"), None)


def convert(model: Any, flavor: str, inputs: Schema, target_opset: int | None = None) -> Conversion:
    """Convert an in-memory model of ``flavor``; UnsupportedModelError names what cannot be."""
    _require("onnx")
    if flavor == "sklearn":
        return convert_sklearn_model(model, inputs, target_opset)
    if flavor == "xgboost":
        return convert_xgboost_model(model, inputs, target_opset)
    if flavor == "lightgbm":
        return convert_lightgbm_model(model, inputs, target_opset)
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    if flavor == "onnx":
        raise UnsupportedModelError(f"{kind} is already an ONNX model; nothing to export")
    raise UnsupportedModelError(
        f"Cannot export {kind} ({flavor} flavor) to ONNX: export_onnx converts "
        f"{', '.join(CONVERTIBLE_FLAVORS)} models. For PyTorch use torch.onnx.export and log "
        "the result with the onnx flavor."
    )
