"""export_onnx: conversion, parity recorded beside the model, int8, runtimes, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import mlsteward
from mlsteward.models import (
    ModelIntegrityError,
    UnsupportedModelError,
    export_onnx,
    load_model,
    log_model,
)

from .custom_models import Doubler

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.usefixtures("tracking")

RNG = np.random.default_rng(11)
X = RNG.normal(size=(300, 6))
Y = (X[:, 0] - X[:, 3] > 0).astype(np.int64)


def _artifacts(run_id: str, path: str) -> set[str]:
    return {e.path for e in mlsteward.Client().list_artifacts(run_id, path)}


def test_export_gradient_boosting_with_parity_and_int8() -> None:
    model = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X, Y)
    with mlsteward.start_run() as run:
        info = log_model(model, "model", input_example=X[:5])
    record = export_onnx(info.model_uri, sample=X, quantize=True, sample_targets=Y)
    assert record.converter == "skl2onnx"
    assert [p["dataset"] for p in record.parity] == ["input_example", "sample"]
    assert record.parity[1]["rows"] == 300
    assert record.parity[1]["label_agreement"] >= 0.99
    assert record.parity[1]["max_abs_diff"] < 1e-3
    assert record.quantization is not None
    assert record.quantization["accuracy"]["metric"] == "accuracy"
    assert "change" in record.quantization["accuracy"]
    assert {"model/onnx/model.onnx", "model/onnx/model.int8.onnx", "model/onnx/export.json"} <= (
        _artifacts(run.info.run_id, "model/onnx")
    )
    onnx = load_model(info.model_uri, runtime="onnx")
    assert onnx.runtime == "onnx"
    assert (onnx.predict(X) == model.predict(X)).mean() >= 0.99
    np.testing.assert_allclose(onnx.predict_proba(X), model.predict_proba(X), atol=1e-3)
    assert load_model(info.model_uri, runtime="onnx-int8").predict(X[:3]).shape == (3,)
    expected = "onnx" if record.parity_ok else "native"
    assert load_model(info.model_uri, runtime="auto").runtime == expected


def test_regressor_output_is_squeezed_like_sklearn() -> None:
    model = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, X[:, 1])
    with mlsteward.start_run():
        info = log_model(model, "reg", input_example=X[:5])
    record = export_onnx(info.model_uri)
    assert record.squeeze is True
    assert record.parity[0]["label_agreement"] is None
    onnx = load_model(info.model_uri, runtime="onnx")
    np.testing.assert_allclose(onnx.predict(X), model.predict(X), atol=1e-4)


def test_columntransformer_with_text_gets_one_input_per_column(
    frame: tuple[pd.DataFrame, np.ndarray],
) -> None:
    data, target = frame
    model = Pipeline(
        [
            (
                "columns",
                ColumnTransformer(
                    [
                        ("onehot", OneHotEncoder(handle_unknown="ignore"), ["region"]),
                        ("scale", StandardScaler(), ["age", "income", "tenure"]),
                    ]
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    ).fit(data, target)
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=data.head(5))
    record = export_onnx(info.model_uri, sample=data)
    assert record.columns == ["age", "income", "tenure", "region"]
    assert record.parity_ok
    onnx = load_model(info.model_uri, runtime="auto")
    assert onnx.runtime == "onnx"
    np.testing.assert_array_equal(onnx.predict(data), model.predict(data))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mlp_int8_quantizes_matmuls_and_records_accuracy_change() -> None:
    model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, Y)
    with mlsteward.start_run():
        info = log_model(model, "mlp", input_example=X[:5])
    record = export_onnx(info.model_uri, sample=X, quantize=True, sample_targets=Y)
    assert record.quantization is not None
    assert record.quantization["quantized_nodes"] > 0
    accuracy = record.quantization["accuracy"]
    assert accuracy["change"] == pytest.approx(accuracy["int8"] - accuracy["native"])


def test_export_of_local_directory(tmp_path: Path) -> None:
    from mlsteward.engines.models.packaging import save_model

    model = LogisticRegression().fit(X, Y)
    save_model(model, tmp_path / "m", input_example=X[:5])
    record = export_onnx(tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "onnx" / "export.json").read_text())
    assert saved["parity_ok"] == record.parity_ok is True


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_export_boosting_libraries(library: str) -> None:
    pytest.importorskip("onnxmltools")
    module = pytest.importorskip(library)
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    if library == "xgboost":
        model = module.XGBClassifier(n_estimators=20, max_depth=3).fit(frame, Y)
    else:
        model = module.LGBMClassifier(n_estimators=20, verbose=-1).fit(frame, Y)
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=frame.head(5))
    record = export_onnx(info.model_uri, sample=frame)
    assert record.converter == "onnxmltools"
    assert record.parity[1]["label_agreement"] >= 0.99
    onnx = load_model(info.model_uri, runtime="onnx")
    np.testing.assert_allclose(onnx.predict_proba(frame), model.predict_proba(frame), atol=1e-4)


def test_unsupported_estimator_is_named_and_nothing_is_written() -> None:
    model = Pipeline([("double", Doubler()), ("clf", LogisticRegression())]).fit(X, Y)
    with mlsteward.start_run() as run:
        info = log_model(model, "model", input_example=X[:5])
    with pytest.raises(UnsupportedModelError, match=r"Doubler \(Pipeline step 'double'\)"):
        export_onnx(info.model_uri)
    assert not any("onnx" in p for p in _artifacts(run.info.run_id, "model"))


def test_pytorch_and_python_models_are_not_converted() -> None:
    from .custom_models import SumThreshold

    with mlsteward.start_run():
        info = log_model(SumThreshold(), "custom", input_example=pd.DataFrame({"a": [1.0]}))
    with pytest.raises(UnsupportedModelError, match="python_function flavor"):
        export_onnx(info.model_uri)


def test_export_needs_data_to_check_parity() -> None:
    from skl2onnx import to_onnx

    model = LogisticRegression().fit(X, Y)
    graph = to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False})
    with mlsteward.start_run():
        info = log_model(graph, "graph")
    with pytest.raises(mlsteward.InvalidArgumentError, match="sample="):
        export_onnx(info.model_uri)


def test_tampered_onnx_file_is_refused(tmp_path: Path) -> None:
    from mlsteward.engines.models.packaging import save_model

    save_model(LogisticRegression().fit(X, Y), tmp_path / "m", input_example=X[:5])
    export_onnx(tmp_path / "m")
    graph = tmp_path / "m" / "onnx" / "model.onnx"
    graph.write_bytes(graph.read_bytes() + b"\0")
    with pytest.raises(ModelIntegrityError, match=r"model\.onnx"):
        load_model(tmp_path / "m", runtime="onnx")
    assert load_model(tmp_path / "m").runtime == "native"


def test_runtime_onnx_without_export_is_not_found() -> None:
    with mlsteward.start_run():
        info = log_model(LogisticRegression().fit(X, Y), "model", input_example=X[:5])
    with pytest.raises(mlsteward.NotFoundError, match="export_onnx"):
        load_model(info.model_uri, runtime="onnx")
    assert load_model(info.model_uri, runtime="auto").runtime == "native"
