"""The ONNX runtime chosen by ``auto`` when the export held parity, and several workers
sharing one port with metrics summed over them."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

import mlsteward
from mlsteward.models import export_onnx

from .conftest import Store, X, serving

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")


def test_auto_runtime_serves_the_onnx_export_with_two_workers(store: Store) -> None:
    mlsteward.set_tracking_uri(store.uri)
    try:
        record = export_onnx("models:/clf/1", sample=X)
    finally:
        mlsteward.set_tracking_uri(None)
    assert record.parity_ok
    with serving(store, "models:/clf/1", "--workers", "2", "--no-log") as plane:
        meta = httpx.get(f"{plane.url}/v2/models/clf").json()
        assert meta["platform"] == "mlsteward-sklearn-onnx"
        url = f"{plane.url}/v2/models/clf/infer"
        body = {
            "inputs": [
                {"name": "x", "shape": [5, 4], "datatype": "FP32", "data": X[:5].ravel().tolist()}
            ],
            "outputs": [{"name": "predict_proba"}],
        }
        answers = []
        for _ in range(30):
            with httpx.Client() as client:  # a new connection each time: both workers answer
                answers.append(client.post(url, json=body))
        assert [a.status_code for a in answers] == [200] * 30
        expected = store.clf[0].predict_proba(X[:5])
        for answer in answers:
            data = np.array(answer.json()["outputs"][0]["data"]).reshape(5, 2)
            assert np.allclose(data, expected, atol=1e-4)
        text = httpx.get(f"{plane.url}/metrics").text
        found = re.search(
            r'^mlsteward_serving_requests_total\{code="200",model="clf",protocol="oip",'
            r'version="1"\} (\S+)$',
            text,
            re.M,
        )
        assert found is not None and float(found.group(1)) == 30.0
