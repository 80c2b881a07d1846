"""``POST /api/v1/models/export-onnx`` on a real server, and the SDK going through it.

Models are logged over HTTP by the SDK (``set_tracking_uri(<server>)``); requests are then
sent as plain JSON so the tests see the wire, or through ``export_onnx`` / ``evaluate``,
which must reach the same service on the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.domain.errors import NotFoundError
from mlsteward.models import evaluate, export_onnx, load_model, log_model
from mlsteward.testing.server_process import ServerURL

from .conftest import ExpectError

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.server

RNG = np.random.default_rng(8)
X = RNG.normal(size=(120, 3))
Y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
COLUMNS = ["a", "b", "c"]
EXPORT = "/models/export-onnx"


@pytest.fixture
def on_server(server_url: ServerURL) -> Iterator[str]:
    """The SDK pointed at the test server for this test."""
    mlsteward.set_tracking_uri(server_url)
    yield server_url
    mlsteward.set_tracking_uri(None)


def _log(model: Any, example: Any, registered: str | None = None) -> tuple[str, str]:
    with mlsteward.start_run(log_environment=False) as run:
        info = log_model(model, "model", input_example=example, registered_model_name=registered)
    return run.info.run_id, info.model_uri


def _frame(rows: slice = slice(None)) -> pd.DataFrame:
    return pd.DataFrame(X[rows], columns=COLUMNS)


def _onnx_files(api: httpx.Client, run_id: str) -> set[str]:
    response = api.get(f"/runs/{run_id}/artifacts", params={"path": "model/onnx"})
    if response.status_code == 404:
        return set()
    assert response.status_code == 200, response.text
    return {entry["path"] for entry in response.json()["files"]}


def test_export_by_run_uri_answers_the_record(on_server: str, api: httpx.Client) -> None:
    run_id, uri = _log(GradientBoostingClassifier(n_estimators=10).fit(X, Y), _frame(slice(5)))
    sample = {"columns": {c: X[:, i].tolist() for i, c in enumerate(COLUMNS)}}
    body = {"model_uri": uri, "quantize": True, "sample": sample, "sample_targets": Y.tolist()}
    response = api.post(EXPORT, json=body)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["stored_at"] == f"{uri}/onnx"
    assert record["converter"] == "skl2onnx" and record["parity_ok"] is True
    assert [p["dataset"] for p in record["parity"]] == ["input_example", "sample"]
    assert record["quantization"]["accuracy"]["metric"] == "accuracy"
    assert _onnx_files(api, run_id) == {
        "model/onnx/export.json",
        "model/onnx/model.onnx",
        "model/onnx/model.int8.onnx",
    }
    assert load_model(uri, runtime="auto").runtime == "onnx"


def test_export_by_alias_and_records(on_server: str, api: httpx.Client) -> None:
    name = f"scorer-{uuid.uuid4().hex[:8]}"
    run_id, _ = _log(LogisticRegression().fit(X, Y), _frame(slice(5)), registered=name)
    mlsteward.Client().set_registered_model_alias(name, "champion", 1)
    records = [dict(zip(COLUMNS, row, strict=True)) for row in X[:20].tolist()]
    body = {"model_uri": f"models:/{name}@champion", "sample": {"records": records}}
    response = api.post(EXPORT, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["parity"][1]["rows"] == 20
    assert "model/onnx/model.onnx" in _onnx_files(api, run_id)


def test_unsupported_estimator_is_400_naming_it(
    on_server: str, api: httpx.Client, expect_error: ExpectError
) -> None:
    run_id, uri = _log(KernelRidge().fit(X, X[:, 0]), _frame(slice(5)))
    message = expect_error(api.post(EXPORT, json={"model_uri": uri}), 400, "INVALID_ARGUMENT")
    assert "sklearn.kernel_ridge.KernelRidge" in message
    assert _onnx_files(api, run_id) == set()


def test_unknown_run_model_or_alias_is_404(
    on_server: str, api: httpx.Client, expect_error: ExpectError
) -> None:
    name = f"scorer-{uuid.uuid4().hex[:8]}"
    run_id, _ = _log(LogisticRegression().fit(X, Y), _frame(slice(5)), registered=name)
    for uri in (
        f"runs:/{uuid.uuid4().hex}/model",
        f"runs:/{run_id}/not-a-model",
        f"models:/{name}@nobody",
        f"models:/{name}/9",
        f"models:/missing-{uuid.uuid4().hex[:8]}/1",
    ):
        expect_error(api.post(EXPORT, json={"model_uri": uri}), 404, "NOT_FOUND")


def test_client_input_is_never_a_500(
    on_server: str, api: httpx.Client, expect_error: ExpectError
) -> None:
    run_id, uri = _log(GradientBoostingClassifier(n_estimators=5).fit(X, Y), _frame(slice(5)))
    columns = {c: X[:4, i].tolist() for i, c in enumerate(COLUMNS)}
    bad: list[Any] = [
        {},
        {"model_uri": uri, "unknown": 1},
        {"model_uri": 5},
        {"model_uri": "garbage"},
        {"model_uri": "runs:/"},
        {"model_uri": "models:/"},
        {"model_uri": uri, "quantize": "yes"},
        {"model_uri": uri, "tolerance": -1},
        {"model_uri": uri, "tolerance": "NaN"},
        {"model_uri": uri, "target_opset": 0},
        {"model_uri": uri, "target_opset": 100000},
        {"model_uri": uri, "sample": {}},
        {"model_uri": uri, "sample": {"columns": columns, "tensor": [[1, 2, 3]]}},
        {"model_uri": uri, "sample": {"columns": {"a": [1.0], "b": [1.0, 2.0], "c": [3.0]}}},
        {"model_uri": uri, "sample": {"columns": {"a": [], "b": [], "c": []}}},
        {"model_uri": uri, "sample": {"columns": {"a": [1.0], "b": [2.0]}}},
        {"model_uri": uri, "sample": {"columns": {**columns, "a": ["x", "y", "z", "w"]}}},
        {"model_uri": uri, "sample": {"columns": {**columns, "a": ["NaN", 1.0, 2.0, 3.0]}}},
        {"model_uri": uri, "sample": {"tensor": [[1.0, 2.0, 3.0], [1.0]]}},
        {"model_uri": uri, "sample": {"tensor": [["a", "b", "c"]]}},
        {"model_uri": uri, "sample": {"tensor": [1.0, 2.0, 3.0]}},
        {"model_uri": uri, "sample": {"tensor": [[1.0, 2.0]]}},
        {"model_uri": uri, "sample": {"records": [{"a": 1.0}]}},
        {"model_uri": uri, "sample": {"columns": columns}, "sample_targets": [1, 0]},
        {"model_uri": uri, "sample_targets": [1, 0]},
    ]
    for body in bad:
        response = api.post(EXPORT, json=body)
        assert response.status_code in (400, 404), (body, response.text)
        expect_error(response, response.status_code, response.json()["error"]["code"])
    response = api.post(EXPORT, content=b"{not json", headers={"Content-Type": "application/json"})
    expect_error(response, 400, "INVALID_ARGUMENT")
    assert _onnx_files(api, run_id) == set()


def test_sdk_export_goes_through_the_server(on_server: str, api: httpx.Client) -> None:
    run_id, uri = _log(GradientBoostingClassifier(n_estimators=10).fit(X, Y), X[:5])
    record = export_onnx(uri, sample=X, sample_targets=Y, quantize=True)
    assert record.parity_ok and record.parity[1]["rows"] == len(X)
    assert record.quantization is not None and "change" in record.quantization["accuracy"]
    assert "model/onnx/export.json" in _onnx_files(api, run_id)
    onnx = load_model(uri, runtime="onnx")
    assert (onnx.predict(X) == load_model(uri).predict(X)).mean() >= 0.99

    _, frame_uri = _log(LogisticRegression().fit(_frame(), Y), _frame(slice(5)))
    with_nan = _frame(slice(10)).astype({"c": "float64"})
    with_nan.loc[2, "c"] = np.nan  # travels as "NaN"; LogisticRegression refuses it
    with pytest.raises(mlsteward.InvalidArgumentError, match="sample"):
        export_onnx(frame_uri, sample=with_nan)
    # An estimator no converter handles is an invalid argument, whichever door it came by.
    with pytest.raises(mlsteward.InvalidArgumentError, match="KernelRidge"):
        export_onnx(_log(KernelRidge().fit(X, X[:, 0]), _frame(slice(5)))[1])
    with pytest.raises(NotFoundError):
        export_onnx("models:/no-such-model@champion")


def test_sdk_evaluate_attaches_through_the_server(on_server: str) -> None:
    name = f"scorer-{uuid.uuid4().hex[:8]}"
    _log(LogisticRegression().fit(_frame(), Y), _frame(slice(5)), registered=name)
    with mlsteward.start_run(log_environment=False):
        result = evaluate(f"models:/{name}/1", _frame(), Y, resamples=10, plots=False)
    attached = mlsteward.Client().get_model_version(name, 1).evaluation
    assert attached["accuracy"] == pytest.approx(result.metrics["accuracy"])


def test_server_refuses_to_load_models_unless_allowed(tmp_path: Path) -> None:
    """Exporting unpickles the model: a server started without the flag answers 403."""
    from mlsteward.testing.server_process import running_server

    with running_server(tmp_path / "db.sqlite", tmp_path / "artifacts") as url:
        response = httpx.post(
            f"{url}/api/v1/models/export-onnx",
            json={"model_uri": "runs:/" + "0" * 32 + "/model"},
            timeout=30,
        )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "PERMISSION_DENIED"
    assert "--allow-model-code" in error["message"]
