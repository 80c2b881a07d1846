"""Protocol conformance against a real ``mlsteward serve`` process on 127.0.0.1: every OIP V2
route and error, the MLflow scoring formats, prediction IDs, metrics."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from mlsteward.domain.prediction_ids import is_prediction_id

from .conftest import FRAME, DataPlaneProcess, Store, X, serving


@pytest.fixture(scope="module")
def clf(store: Store) -> Iterator[DataPlaneProcess]:
    with serving(store, "models:/clf@champion", "--max-body-mb", "0.05") as plane:
        yield plane


@pytest.fixture(scope="module")
def tab(store: Store) -> Iterator[DataPlaneProcess]:
    with serving(store, "models:/tab/1", "--no-log") as plane:
        yield plane


def _tensor(rows: np.ndarray, name: str = "x", datatype: str = "FP32") -> dict[str, object]:
    return {
        "name": name,
        "shape": list(rows.shape),
        "datatype": datatype,
        "data": rows.ravel().tolist(),
    }


def test_health_and_server_metadata(clf: DataPlaneProcess) -> None:
    assert httpx.get(f"{clf.url}/v2/health/live").json() == {"live": True}
    assert httpx.get(f"{clf.url}/v2/health/ready").json() == {"ready": True}
    server = httpx.get(f"{clf.url}/v2").json()
    assert server["name"] == "mlsteward" and "version" in server
    assert httpx.get(f"{clf.url}/ping").status_code == 200


def test_model_metadata_and_readiness(clf: DataPlaneProcess) -> None:
    meta = httpx.get(f"{clf.url}/v2/models/clf").json()
    assert meta["name"] == "clf"
    assert meta["versions"] == ["1"]
    assert meta["platform"].startswith("mlsteward-sklearn")
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert {o["name"]: o for o in meta["outputs"]}["predict_proba"]["shape"] == [-1, 2]
    assert httpx.get(f"{clf.url}/v2/models/clf/versions/1").json()["versions"] == ["1"]
    # the one-off's deployment name works too
    assert httpx.get(f"{clf.url}/v2/models/clf@champion").status_code == 200
    assert httpx.get(f"{clf.url}/v2/models/clf/ready").json() == {"name": "clf", "ready": True}
    assert httpx.get(f"{clf.url}/v2/models/clf/versions/1/ready").status_code == 200


def test_infer_answers_with_the_model_and_a_prediction_id(
    store: Store, clf: DataPlaneProcess
) -> None:
    rows = X[:3]
    response = httpx.post(
        f"{clf.url}/v2/models/clf/infer", json={"id": "req-7", "inputs": [_tensor(rows)]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "req-7"
    assert body["model_name"] == "clf" and body["model_version"] == "1"
    prediction_id = body["parameters"]["prediction_id"]
    assert is_prediction_id(prediction_id)
    assert response.headers["x-prediction-id"] == prediction_id
    [output] = body["outputs"]
    assert output["name"] == "predict" and output["datatype"] == "INT64" and output["shape"] == [3]
    assert output["data"] == store.clf[0].predict(rows).tolist()


def test_outputs_selection(store: Store, clf: DataPlaneProcess) -> None:
    body = httpx.post(
        f"{clf.url}/v2/models/clf/versions/1/infer",
        json={"inputs": [_tensor(X[:2])], "outputs": [{"name": "predict_proba"}]},
    ).json()
    [output] = body["outputs"]
    assert output["name"] == "predict_proba" and output["shape"] == [2, 2]
    expected = store.clf[0].predict_proba(X[:2]).ravel()
    assert np.allclose(output["data"], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v2/models/nope/infer", None, 404, "Unknown model 'nope'"),
        ("/v2/models/clf/versions/9/infer", None, 404, "no version '9'"),
        ("/v2/models/clf/infer", {"inputs": [_tensor(X[:1], datatype="FP64")]}, 400, "FP64"),
        (
            "/v2/models/clf/infer",
            {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]},
            400,
            "shape",
        ),
        (
            "/v2/models/clf/infer",
            {"inputs": [_tensor(X[:1]), _tensor(X[:1], name="y")]},
            400,
            "unknown input",
        ),
        ("/v2/models/clf/infer", {"inputs": []}, 400, "non-empty"),
        (
            "/v2/models/clf/infer",
            {"inputs": [_tensor(X[:1])], "outputs": [{"name": "nope"}]},
            400,
            "unknown output",
        ),
    ],
)
def test_oip_errors(
    clf: DataPlaneProcess, path: str, body: object, status: int, message: str
) -> None:
    payload = body if body is not None else {"inputs": [_tensor(X[:1])]}
    response = httpx.post(f"{clf.url}{path}", json=payload)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert "x-prediction-id" not in response.headers


def test_unknown_model_metadata_is_404(clf: DataPlaneProcess) -> None:
    assert httpx.get(f"{clf.url}/v2/models/nope").status_code == 404
    assert httpx.get(f"{clf.url}/v2/models/clf/versions/2").status_code == 404
    assert httpx.get(f"{clf.url}/v2/models/nope/ready").status_code == 404
    assert httpx.get(f"{clf.url}/v3/anything").json()["error"].startswith("No route")


def test_non_json_and_oversized_bodies(clf: DataPlaneProcess) -> None:
    response = httpx.post(f"{clf.url}/v2/models/clf/infer", content=b"{not json")
    assert response.status_code == 400
    assert response.json() == {"error": "The request body is not valid JSON"}
    big = {"inputs": [_tensor(np.zeros((4000, 4), np.float32))]}  # ~60 kB > 0.05 MiB
    response = httpx.post(f"{clf.url}/v2/models/clf/infer", json=big)
    assert response.status_code == 413
    assert "over the limit" in response.json()["error"]


def test_mlflow_formats_on_a_tensor_model(store: Store, clf: DataPlaneProcess) -> None:
    rows = X[:2]
    expected = store.clf[0].predict(rows).tolist()
    bodies = [
        {"inputs": rows.tolist()},
        {"instances": rows.tolist()},
        {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": rows.tolist()}},
    ]
    for body in bodies:
        response = httpx.post(f"{clf.url}/invocations", json=body)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["predictions"] == expected
        assert answer["prediction_id"] == response.headers["x-prediction-id"]
    csv = "a,b,c,d\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in rows)
    response = httpx.post(
        f"{clf.url}/invocations", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert response.json()["predictions"] == expected


def test_all_five_mlflow_formats_on_a_column_model(store: Store, tab: DataPlaneProcess) -> None:
    frame = FRAME.head(4)
    expected = store.tab.predict(frame).tolist()
    records = frame.to_dict(orient="records")
    split = frame.to_dict(orient="split")
    bodies = [
        {"dataframe_split": {"columns": split["columns"], "data": split["data"]}},
        {"dataframe_records": records},
        {"instances": records},
        {"inputs": {name: frame[name].tolist() for name in frame.columns}},
    ]
    for body in bodies:
        response = httpx.post(f"{tab.url}/invocations", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] == expected
    response = httpx.post(
        f"{tab.url}/invocations",
        content=frame.to_csv(index=False),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected


def test_column_model_over_oip(store: Store, tab: DataPlaneProcess) -> None:
    frame = FRAME.head(3)
    inputs = [
        {"name": "region", "shape": [3], "datatype": "BYTES", "data": frame["region"].tolist()},
        {"name": "age", "shape": [3, 1], "datatype": "INT64", "data": frame["age"].tolist()},
        {"name": "income", "shape": [3], "datatype": "FP64", "data": frame["income"].tolist()},
    ]
    body = httpx.post(f"{tab.url}/v2/models/tab/infer", json={"inputs": inputs}).json()
    assert body["outputs"][0]["data"] == store.tab.predict(frame).tolist()
    response = httpx.post(f"{tab.url}/v2/models/tab/infer", json={"inputs": inputs[:2]})
    assert response.status_code == 400
    assert "missing input(s) ['income']" in response.json()["error"]


def test_mlflow_errors(tab: DataPlaneProcess) -> None:
    response = httpx.post(f"{tab.url}/invocations", json={"rows": []})
    assert response.status_code == 400
    assert "exactly one of" in response.json()["error"]
    response = httpx.post(
        f"{tab.url}/invocations", content=b"x", headers={"Content-Type": "application/xml"}
    )
    assert response.status_code == 415


def test_metrics_count_requests_by_code(clf: DataPlaneProcess) -> None:
    httpx.post(f"{clf.url}/v2/models/clf/infer", json={"inputs": [_tensor(X[:1])]})
    httpx.post(f"{clf.url}/v2/models/clf/infer", content=b"nope")
    text = httpx.get(f"{clf.url}/metrics").text
    assert (
        'mlsteward_serving_requests_total{code="200",model="clf",protocol="oip",version="1"}'
        in text
    )
    assert 'mlsteward_serving_errors_total{code="400",model="clf",version="1"}' in text
    assert "mlsteward_serving_request_latency_seconds_bucket" in text
    assert "mlsteward_serving_batch_rows_bucket" in text
    assert 'mlsteward_prediction_log_records{state="submitted"}' in text
    assert "mlsteward_serving_ready 1.0" in text
