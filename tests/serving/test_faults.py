"""Faults: a model that raises (500 with the prediction ID, logged, the server carries on),
and SIGTERM (requests in flight finish, the prediction log is flushed, exit 0)."""

from __future__ import annotations

import re
import time
from concurrent.futures import Future, ThreadPoolExecutor

import httpx

from mlsteward.services.predictions import PredictionLogReader

from .conftest import DataPlaneProcess, Store, serving
from .fault_models import RAISE, SLOW


def _rows(*values: float) -> dict[str, object]:
    data = [v for value in values for v in (value, 1.0, 2.0)]
    return {"inputs": [{"name": "x", "shape": [len(values), 3], "datatype": "FP64", "data": data}]}


def _infer(plane: DataPlaneProcess, *values: float) -> httpx.Response:
    return httpx.post(f"{plane.url}/v2/models/faulty/infer", json=_rows(*values), timeout=30)


def _metric(plane: DataPlaneProcess, pattern: str) -> float:
    text = httpx.get(f"{plane.url}/metrics").text
    found = re.search(rf"^{pattern} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def _batches_started(plane: DataPlaneProcess) -> float:
    return _metric(plane, r"mlsteward_serving_batch_rows_count\{[^}]*\}")


def _all_sent(plane: DataPlaneProcess, futures: list[Future[httpx.Response]]) -> None:
    """Wait until every request not answered yet is in the server (counted in flight)."""
    deadline = time.monotonic() + 30
    while _metric(plane, "mlsteward_serving_in_flight_requests") < sum(
        not f.done() for f in futures
    ):
        assert time.monotonic() < deadline, "requests never reached the server"
        time.sleep(0.01)


def test_a_model_that_raises_gets_500_and_the_server_keeps_serving(store: Store) -> None:
    with serving(store, "models:/faulty/1") as plane:
        failed = _infer(plane, RAISE)
        assert failed.status_code == 500
        body = failed.json()
        assert "sentinel value" in body["error"]
        assert body["prediction_id"] == failed.headers["x-prediction-id"]
        fine = _infer(plane, 1.0)
        assert fine.status_code == 200
        assert fine.json()["outputs"][0]["data"] == [4.0]
        text = httpx.get(f"{plane.url}/metrics").text
        assert 'mlsteward_serving_errors_total{code="500",model="faulty",version="1"} 1.0' in text
        assert plane.terminate() == 0
    record = PredictionLogReader(store.log_root).get(body["prediction_id"], "faulty@1")
    assert record is not None
    assert record.status == 500
    assert record.error is not None and "sentinel value" in record.error
    assert record.outputs == {}


def test_a_failing_request_does_not_fail_its_batch_neighbours(store: Store) -> None:
    with serving(store, "models:/faulty/1", "--no-log") as plane, ThreadPoolExecutor(8) as pool:
        slow = pool.submit(_infer, plane, SLOW)  # keeps the model busy: the rest queue
        deadline = time.monotonic() + 20
        while _batches_started(plane) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        values = [1.0, 2.0, RAISE, 3.0, 4.0]
        answers = list(pool.map(lambda v: _infer(plane, v), values))
        assert slow.result().status_code == 200
    codes = [a.status_code for a in answers]
    assert codes == [200, 200, 500, 200, 200]
    assert [a.json()["outputs"][0]["data"] for a in answers if a.status_code == 200] == [
        [4.0],
        [5.0],
        [6.0],
        [7.0],
    ]


def test_sigterm_finishes_requests_in_flight_and_flushes_the_log(store: Store) -> None:
    plane = DataPlaneProcess(["models:/faulty/1", "--tracking-uri", store.uri], store.home).start()
    try:
        with ThreadPoolExecutor(12) as pool:
            slow = [pool.submit(_infer, plane, SLOW) for _ in range(3)]
            deadline = time.monotonic() + 20
            while _batches_started(plane) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            quick = [pool.submit(_infer, plane, float(i)) for i in range(6)]
            _all_sent(plane, slow + quick)
            code = plane.terminate()
            answers = [f.result() for f in slow + quick]
    finally:
        plane.stop()
    assert code == 0
    assert [a.status_code for a in answers] == [200] * len(answers)
    assert "Shutting down" in plane.output()
    reader = PredictionLogReader(store.log_root)
    for answer in answers:
        prediction_id = answer.headers["x-prediction-id"]
        record = reader.get(prediction_id, "faulty@1")
        assert record is not None, prediction_id
        assert record.status == 200
        assert record.outputs["predict"] == answer.json()["outputs"][0]["data"]
