"""The Open Inference Protocol gRPC service of a real ``mlsteward serve --grpc-port`` process,
called by a client generated with protoc from the shipped .proto: every RPC, typed and raw
tensor contents, errors as status codes, prediction IDs found in the log."""

from __future__ import annotations

import importlib
import struct
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import numpy as np
import pytest

grpc = pytest.importorskip("grpc")
protoc = pytest.importorskip("grpc_tools.protoc")

import mlsteward.interfaces.serving.grpc_protocol as protocol  # noqa: E402
from mlsteward.domain.prediction_ids import is_prediction_id  # noqa: E402
from mlsteward.services.predictions import PredictionLogReader  # noqa: E402
from mlsteward.testing.server_process import free_port  # noqa: E402

from .conftest import FRAME, DataPlaneProcess, Store, X  # noqa: E402


@pytest.fixture(scope="module")
def stubs() -> Iterator[tuple[ModuleType, ModuleType]]:
    """``grpc_predict_v2_pb2`` and ``_pb2_grpc`` as any client would generate them."""
    proto_dir = Path(protocol.__file__).parent
    with tempfile.TemporaryDirectory() as out:
        code = protoc.main(
            [
                "protoc",
                f"-I{proto_dir}",
                f"--python_out={out}",
                f"--grpc_python_out={out}",
                "grpc_predict_v2.proto",
            ]
        )
        assert code == 0
        sys.path.insert(0, out)
        try:
            yield (
                importlib.import_module("grpc_predict_v2_pb2"),
                importlib.import_module("grpc_predict_v2_pb2_grpc"),
            )
        finally:
            sys.path.remove(out)


class Plane:
    """A data plane with HTTP and gRPC, and a generated client stub on its gRPC port."""

    def __init__(self, store: Store, target: str, stubs: Any, *extra: str) -> None:
        self.grpc_port = free_port()
        self.process = DataPlaneProcess(
            [target, "--tracking-uri", store.uri, "--grpc-port", str(self.grpc_port), *extra],
            store.home,
        )
        self.pb, services = stubs
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        self.stub = services.GRPCInferenceServiceStub(self.channel)

    def __enter__(self) -> Plane:
        self.process.start()
        grpc.channel_ready_future(self.channel).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.channel.close()
        self.process.stop()

    def infer(self, request: Any) -> tuple[Any, dict[str, str]]:
        response, call = self.stub.ModelInfer.with_call(request, timeout=30)
        return response, dict(call.trailing_metadata())

    def error(self, request: Any) -> grpc.RpcError:
        with pytest.raises(grpc.RpcError) as caught:
            self.stub.ModelInfer(request, timeout=30)
        return caught.value


@pytest.fixture(scope="module")
def clf(store: Store, stubs: Any) -> Iterator[Plane]:
    with Plane(store, "models:/clf@champion", stubs) as plane:
        yield plane


_FIELDS = {"INT64": "int64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents"}
_RAW = {"INT64": "<i8", "FP32": "<f4", "FP64": "<f8"}


def _values(output: Any, raw: bytes | None = None) -> np.ndarray:
    """An output tensor's values in its shape, from its contents or its raw bytes."""
    if raw is not None:
        flat = np.frombuffer(raw, dtype=_RAW[output.datatype])
    else:
        flat = np.array(getattr(output.contents, _FIELDS[output.datatype]))
    return flat.reshape(list(output.shape))


def _fp32_request(pb: Any, rows: np.ndarray, **fields: Any) -> Any:
    request = pb.ModelInferRequest(model_name="clf", **fields)
    tensor = request.inputs.add(name="input", datatype="FP32", shape=list(rows.shape))
    tensor.contents.fp32_contents.extend(rows.ravel().tolist())
    return request


def test_health_and_metadata_rpcs(clf: Plane) -> None:
    pb, stub = clf.pb, clf.stub
    assert stub.ServerLive(pb.ServerLiveRequest()).live is True
    assert stub.ServerReady(pb.ServerReadyRequest()).ready is True
    server = stub.ServerMetadata(pb.ServerMetadataRequest())
    assert server.name == "mlsteward" and server.version
    assert stub.ModelReady(pb.ModelReadyRequest(name="clf")).ready is True
    assert stub.ModelReady(pb.ModelReadyRequest(name="clf", version="1")).ready is True
    meta = stub.ModelMetadata(pb.ModelMetadataRequest(name="clf"))
    assert meta.name == "clf" and list(meta.versions) == ["1"]
    assert meta.platform.startswith("mlsteward-sklearn")
    (tensor,) = meta.inputs
    assert (tensor.name, tensor.datatype, list(tensor.shape)) == ("input", "FP32", [-1, 4])
    assert {o.name for o in meta.outputs} == {"predict", "predict_proba"}


def test_unknown_models_and_versions_are_not_found(clf: Plane) -> None:
    pb, stub = clf.pb, clf.stub
    for call, request in (
        (stub.ModelReady, pb.ModelReadyRequest(name="nope")),
        (stub.ModelReady, pb.ModelReadyRequest(name="clf", version="9")),
        (stub.ModelMetadata, pb.ModelMetadataRequest(name="nope")),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            call(request, timeout=30)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    error = clf.error(_fp32_request(pb, X[:1], model_version="9"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "no version '9'" in error.details()


def test_infer_answers_like_the_model_with_a_prediction_id(store: Store, clf: Plane) -> None:
    request = _fp32_request(clf.pb, X[:5], id="req-1")
    response, trailing = clf.infer(request)
    assert response.model_name == "clf" and response.model_version == "1"
    assert response.id == "req-1"
    prediction_id = response.parameters["prediction_id"].string_param
    assert is_prediction_id(prediction_id)
    assert trailing["x-prediction-id"] == prediction_id
    (output,) = response.outputs
    assert output.name == "predict" and list(output.shape) == [5]
    assert output.datatype == "INT64"
    np.testing.assert_array_equal(output.contents.int64_contents, store.clf[0].predict(X[:5]))


def test_outputs_selection_and_parameters(store: Store, clf: Plane) -> None:
    request = _fp32_request(clf.pb, X[:3])
    request.outputs.add(name="predict_proba")
    request.parameters["note"].string_param = "kept out of the answer"
    response, _ = clf.infer(request)
    (output,) = response.outputs
    assert output.name == "predict_proba" and list(output.shape) == [3, 2]
    np.testing.assert_allclose(_values(output), store.clf[0].predict_proba(X[:3]), rtol=1e-5)


def test_raw_contents_in_and_out(store: Store, clf: Plane) -> None:
    pb = clf.pb
    rows = X[:4]
    request = pb.ModelInferRequest(model_name="clf")
    request.inputs.add(name="input", datatype="FP32", shape=[4, 4])
    request.raw_input_contents.append(rows.astype("<f4").tobytes())
    request.outputs.add(name="predict")
    request.outputs.add(name="predict_proba")
    response, _ = clf.infer(request)
    assert [o.name for o in response.outputs] == ["predict", "predict_proba"]
    assert not response.outputs[0].HasField("contents")
    labels, proba = (
        _values(output, raw)
        for output, raw in zip(response.outputs, response.raw_output_contents, strict=True)
    )
    np.testing.assert_array_equal(labels, store.clf[0].predict(rows))
    np.testing.assert_allclose(proba, store.clf[0].predict_proba(rows), rtol=1e-5)


def test_bad_requests_are_invalid_argument(clf: Plane) -> None:
    pb = clf.pb
    cases = []
    wrong_shape = _fp32_request(pb, X[:2])
    wrong_shape.inputs[0].shape[:] = [3, 4]
    cases.append((wrong_shape, "holds 12 values"))
    wrong_field = pb.ModelInferRequest(model_name="clf")
    wrong_field.inputs.add(name="input", datatype="FP32", shape=[1, 4])
    wrong_field.inputs[0].contents.fp64_contents.extend([0.0] * 4)
    cases.append((wrong_field, "contents.fp32_contents"))
    unknown = _fp32_request(pb, X[:1])
    unknown.inputs[0].datatype = "FP128"
    cases.append((unknown, "unknown datatype"))
    raw_count = pb.ModelInferRequest(model_name="clf")
    raw_count.inputs.add(name="input", datatype="FP32", shape=[1, 4])
    raw_count.raw_input_contents.extend([b"\0" * 16, b"\0" * 16])
    cases.append((raw_count, "one per input"))
    ragged = pb.ModelInferRequest(model_name="clf")
    ragged.inputs.add(name="input", datatype="FP32", shape=[1, 4])
    ragged.raw_input_contents.append(b"\0" * 15)
    cases.append((ragged, "whole number"))
    bad_output = _fp32_request(pb, X[:1])
    bad_output.outputs.add(name="nope")
    cases.append((bad_output, "unknown output"))
    cases.append((pb.ModelInferRequest(model_name="clf"), "non-empty list"))
    for request, message in cases:
        error = clf.error(request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
        assert message in error.details()


def test_bytes_inputs_by_name(store: Store, stubs: Any) -> None:
    rows = FRAME.head(3)
    with Plane(store, "models:/tab/1", stubs, "--no-log") as plane:
        pb = plane.pb
        request = pb.ModelInferRequest(model_name="tab")
        age = request.inputs.add(name="age", datatype="INT64", shape=[3])
        age.contents.int64_contents.extend(rows["age"].tolist())
        income = request.inputs.add(name="income", datatype="FP64", shape=[3])
        income.contents.fp64_contents.extend(rows["income"].tolist())
        region = request.inputs.add(name="region", datatype="BYTES", shape=[3])
        region.contents.bytes_contents.extend(v.encode() for v in rows["region"])
        response, _ = plane.infer(request)
        np.testing.assert_array_equal(
            response.outputs[0].contents.int64_contents, store.tab.predict(rows)
        )
        # the same rows with raw contents: BYTES elements carry a 4-byte length
        raw = pb.ModelInferRequest(model_name="tab")
        for tensor in request.inputs:
            raw.inputs.add(name=tensor.name, datatype=tensor.datatype, shape=tensor.shape)
        raw.raw_input_contents.append(rows["age"].to_numpy("<i8").tobytes())
        raw.raw_input_contents.append(rows["income"].to_numpy("<f8").tobytes())
        raw.raw_input_contents.append(
            b"".join(struct.pack("<I", len(v)) + v.encode() for v in rows["region"])
        )
        answer, _ = plane.infer(raw)
        np.testing.assert_array_equal(
            np.frombuffer(answer.raw_output_contents[0], "<i8"), store.tab.predict(rows)
        )
        missing = pb.ModelInferRequest(model_name="tab")
        missing.inputs.append(request.inputs[0])
        error = plane.error(missing)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "missing input(s) ['income', 'region']" in error.details()


def test_model_failures_are_internal_and_every_prediction_id_is_logged(
    store: Store, stubs: Any
) -> None:
    plane = Plane(store, "models:/faulty/1", stubs)
    with plane:
        pb = plane.pb
        ok_ids = []
        for value in (1.0, 2.0, 3.0):
            request = pb.ModelInferRequest(model_name="faulty")
            tensor = request.inputs.add(name="input", datatype="FP64", shape=[1, 3])
            tensor.contents.fp64_contents.extend([value] * 3)
            response, _ = plane.infer(request)
            assert list(response.outputs[0].contents.fp64_contents) == [value * 3]
            ok_ids.append(response.parameters["prediction_id"].string_param)
        request = pb.ModelInferRequest(model_name="faulty")
        tensor = request.inputs.add(name="input", datatype="FP64", shape=[1, 3])
        tensor.contents.fp64_contents.extend([666.0, 0.0, 0.0])
        error = plane.error(request)
        assert error.code() == grpc.StatusCode.INTERNAL
        failed_id = dict(error.trailing_metadata())["x-prediction-id"]
        assert failed_id in error.details() and "sentinel value" in error.details()
        # the server carries on
        tensor.contents.fp64_contents[0] = 1.0
        plane.infer(request)
        metrics = httpx.get(f"{plane.process.url}/metrics").text
        assert 'protocol="grpc"' in metrics
        assert plane.process.terminate() == 0
    reader = PredictionLogReader(store.log_root)
    for prediction_id in ok_ids:
        record = reader.get(prediction_id, "faulty@1")
        assert record is not None and record.status == 200
    failed = reader.get(failed_id, "faulty@1")
    assert failed is not None and failed.status == 500 and "sentinel" in (failed.error or "")
