"""log_model and load_model through a run's artifacts: round trip, signature, hashes, URIs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.engines.models import model_uri
from mlsteward.interfaces.sdk.models.artifacts import cache_root
from mlsteward.models import (
    LoadedModel,
    ModelIntegrityError,
    ModelLocation,
    SignatureMismatchError,
    load_model,
    log_model,
    register_model_uri_resolver,
)

pytestmark = pytest.mark.usefixtures("tracking")


def _pipeline(data: pd.DataFrame, target: np.ndarray) -> Pipeline:
    columns = ColumnTransformer([("onehot", OneHotEncoder(), ["region"])], remainder="passthrough")
    return Pipeline(
        [("columns", columns), ("gbm", GradientBoostingClassifier(n_estimators=20))]
    ).fit(data, target)


def _blob(store: Path, digest: str) -> Path:
    return store / "artifacts" / "blobs" / "sha256" / digest[:2] / digest[2:]


def test_round_trip_through_a_run(frame: tuple[pd.DataFrame, np.ndarray]) -> None:
    data, target = frame
    model = _pipeline(data, target)
    with mlsteward.start_run() as run:
        info = log_model(model, "model", input_example=data.head(5))
    assert info.model_uri == f"runs:/{run.info.run_id}/model"
    assert info.flavor == "sklearn"
    assert [c.name for c in info.signature.inputs.columns] == ["age", "income", "tenure", "region"]
    assert info.signature.outputs is not None

    loaded = load_model(info.model_uri)
    assert isinstance(loaded, LoadedModel)
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
    np.testing.assert_allclose(loaded.predict_proba(data), model.predict_proba(data))
    assert loaded.classes == [0, 1]
    pd.testing.assert_frame_equal(loaded.input_example, data.head(5))

    paths = {e.path for e in mlsteward.Client().list_artifacts(run.info.run_id, "model")}
    assert {"model/MLmodel.json", "model/model.joblib", "model/requirements.txt"} <= paths
    tags = mlsteward.get_run(run.info.run_id).data.tags
    assert json.loads(tags["mlsteward.models"]) == [{"path": "model", "flavor": "sklearn"}]


def test_predict_accepts_dict_records_and_reordered_columns(
    frame: tuple[pd.DataFrame, np.ndarray],
) -> None:
    data, target = frame
    model = _pipeline(data, target)
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=data.head(3))
    loaded = load_model(info.model_uri)
    expected = model.predict(data.head(10))
    as_dict = {name: data[name].head(10).to_numpy() for name in reversed(data.columns)}
    np.testing.assert_array_equal(loaded.predict(as_dict), expected)
    np.testing.assert_array_equal(loaded.predict(data.head(10).to_dict("records")), expected)
    extra = data.head(10)[["region", "tenure", "income", "age"]].assign(unused=1)
    np.testing.assert_array_equal(loaded.predict(extra), expected)


def test_missing_column_and_unsafe_cast_are_named(frame: tuple[pd.DataFrame, np.ndarray]) -> None:
    data, target = frame
    with mlsteward.start_run():
        info = log_model(_pipeline(data, target), "model", input_example=data.head(3))
    loaded = load_model(info.model_uri)
    with pytest.raises(SignatureMismatchError, match="missing column 'tenure'") as missing:
        loaded.predict(data.drop(columns=["tenure"]))
    assert missing.value.column == "tenure"
    bad = data.assign(income=data["income"].astype(str))
    with pytest.raises(SignatureMismatchError, match=r"'income'.*not a safe cast") as unsafe:
        loaded.predict(bad)
    assert unsafe.value.column == "income"
    # ints into float64 columns are a safe cast
    ints = data.assign(age=data["age"].astype(np.int32))
    np.testing.assert_array_equal(loaded.predict(ints), loaded.predict(data))


def test_no_signature_and_no_example_is_a_clear_error() -> None:
    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    with (
        mlsteward.start_run() as run,
        pytest.raises(InvalidArgumentError, match="input_example"),
    ):
        log_model(model, "model")
    assert mlsteward.Client().list_artifacts(run.info.run_id, "model") == []


def test_onnx_model_signature_comes_from_its_graph() -> None:
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx

    x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    graph = to_onnx(LogisticRegression().fit(x, x[:, 0] > 0), x[:1], options={"zipmap": False})
    with mlsteward.start_run():
        info = log_model(graph, "graph")
    tensor = info.signature.inputs.tensors[0]
    assert (tensor.dtype, tensor.shape) == ("float32", (-1, 3))
    assert load_model(info.model_uri).predict(x).shape == (40,)


def test_registered_model_name_registers_a_version(
    frame: tuple[pd.DataFrame, np.ndarray],
) -> None:
    data, target = frame
    with mlsteward.start_run():
        first = log_model(
            _pipeline(data, target), "m", input_example=data.head(2), registered_model_name="x"
        )
        second = log_model(
            _pipeline(data, target), "m2", input_example=data.head(2), registered_model_name="x"
        )
    assert first.registered_version is not None and second.registered_version is not None
    assert (first.registered_version.version, second.registered_version.version) == (1, 2)
    assert first.registered_version.source == first.model_uri
    assert mlsteward.Client().get_model_version("x", 2).run_id == second.run_id


def test_tampered_blob_in_the_store_is_refused(
    frame: tuple[pd.DataFrame, np.ndarray], tracking: Path
) -> None:
    data, target = frame
    with mlsteward.start_run() as run:
        info = log_model(_pipeline(data, target), "model", input_example=data.head(3))
    entry = next(
        e
        for e in mlsteward.Client().list_artifacts(run.info.run_id, "model")
        if e.path.endswith("model.joblib")
    )
    assert entry.digest is not None
    blob = _blob(tracking, entry.digest)
    content = bytearray(blob.read_bytes())
    content[100] ^= 0xFF
    blob.write_bytes(bytes(content))
    with pytest.raises(ModelIntegrityError, match=r"model\.joblib"):
        load_model(info.model_uri)


def test_rewritten_manifest_in_the_store_is_refused(
    frame: tuple[pd.DataFrame, np.ndarray], tracking: Path
) -> None:
    data, target = frame
    with mlsteward.start_run() as run:
        info = log_model(_pipeline(data, target), "model", input_example=data.head(3))
    entry = next(
        e
        for e in mlsteward.Client().list_artifacts(run.info.run_id, "model")
        if e.path.endswith("MLmodel.json")
    )
    assert entry.digest is not None
    blob = _blob(tracking, entry.digest)
    blob.write_text(blob.read_text().replace('"sklearn"', '"python_function"', 1))
    with pytest.raises(ModelIntegrityError, match=r"MLmodel\.json"):
        load_model(info.model_uri)


def test_damaged_cache_is_fetched_again(frame: tuple[pd.DataFrame, np.ndarray]) -> None:
    data, target = frame
    with mlsteward.start_run():
        info = log_model(_pipeline(data, target), "model", input_example=data.head(3))
    first = load_model(info.model_uri)
    assert first.directory.is_relative_to(cache_root())
    cached = first.directory / "model.joblib"
    cached.write_bytes(b"not a model")
    again = load_model(info.model_uri)
    np.testing.assert_array_equal(again.predict(data), first.predict(data))


def test_model_uri_resolvers() -> None:
    model = LogisticRegression().fit(np.eye(3), [0, 1, 1])
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=np.eye(3))
    register_model_uri_resolver("testreg", lambda uri: ModelLocation(info.run_id, "model"))
    try:
        loaded = load_model("testreg:/anything@alias")
        assert loaded.predict(np.eye(3)).tolist() == model.predict(np.eye(3)).tolist()
    finally:
        register_model_uri_resolver("testreg", None)
    saved = model_uri._resolvers.pop("models", None)
    try:
        with pytest.raises(InvalidArgumentError, match="registry"):
            load_model("models:/churn@champion")
    finally:
        if saved is not None:
            model_uri._resolvers["models"] = saved
    with pytest.raises(InvalidArgumentError, match="Unknown model URI scheme"):
        load_model("nope:/x")
    with pytest.raises(NotFoundError, match="No model"):
        load_model(f"runs:/{info.run_id}/elsewhere")


def test_load_from_local_directory_and_dst_path(tmp_path: Path) -> None:
    model = LogisticRegression().fit(np.eye(3), [0, 1, 1])
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=np.eye(3))
    target = tmp_path / "copy"
    loaded = load_model(info.model_uri, dst_path=target)
    assert loaded.directory == target / "model"
    local = load_model(str(target / "model"))
    assert local.predict(np.eye(3)).tolist() == model.predict(np.eye(3)).tolist()
    assert load_model(f"file://{target / 'model'}").flavor == "sklearn"


def test_tensor_signature_enforced() -> None:
    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=np.eye(4))
    loaded = load_model(info.model_uri)
    fast = np.eye(4)
    assert loaded.predict(fast).tolist() == model.predict(fast).tolist()
    assert loaded.predict(np.eye(4, dtype=np.int32)).tolist() == model.predict(fast).tolist()
    with pytest.raises(SignatureMismatchError, match=r"shape \(2, 3\)"):
        loaded.predict(np.ones((2, 3)))
    with pytest.raises(SignatureMismatchError, match="not a safe cast"):
        loaded.predict(np.eye(4).astype(str))
    with pytest.raises(InvalidArgumentError, match="runtime must be one of"):
        load_model(info.model_uri, runtime="fastest")
