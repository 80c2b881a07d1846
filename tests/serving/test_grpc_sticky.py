"""Sticky routing through the gRPC door of a real ``mlsteward serve --grpc-port`` process
serving a canary at half the traffic: a key (call metadata, or an input's first value) keeps
its version over many calls, gets the same version over REST and gRPC (the same hash), and
keys spread over both versions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import mlsteward
from mlsteward.interfaces.serving.versions import key_share
from mlsteward.models import log_model

from .conftest import FRAME, Store, X
from .test_grpc import Plane, stubs  # noqa: F401 - stubs: the generated client (a fixture)

CANARY_SHARE = 0.5
CALLS_PER_KEY = 5


def _rollout(store: Store, deployment: str, model: str, candidate: int, sticky_key: str) -> None:
    """``deployment`` follows ``model@<deployment>`` (version 1) with a canary of
    ``candidate`` at half the traffic, sticky on ``sticky_key``."""
    client = store.client()
    client.set_registered_model_alias(model, deployment, 1)
    client.deployments.create(deployment, f"models:/{model}@{deployment}", reason="test")
    client.deployments.rollout(
        deployment, candidate, steps=[CANARY_SHARE, 1.0], sticky_key=sticky_key, reason="test"
    )


def _expected_version(key: str) -> str:
    """Where the plan's hash puts ``key``: candidates come first in the weight line."""
    return "2" if key_share(key) < CANARY_SHARE else "1"


def _versions_by_key(
    keys: list[str], rest: Callable[[str], str], grpc_call: Callable[[str], str]
) -> dict[str, set[str]]:
    """Every version each key was answered by, over both doors and several calls."""
    seen: dict[str, set[str]] = {}
    for _ in range(CALLS_PER_KEY):
        for key in keys:
            seen.setdefault(key, set()).update((rest(key), grpc_call(key)))
    return seen


def _check(seen: dict[str, set[str]]) -> None:
    assert all(len(versions) == 1 for versions in seen.values()), seen
    chosen = {key: next(iter(versions)) for key, versions in seen.items()}
    assert chosen == {key: _expected_version(key) for key in seen}
    assert set(chosen.values()) == {"1", "2"}


@pytest.fixture(scope="module")
def tab_v2(store: Store) -> Iterator[None]:
    """A second version of ``tab`` (the same pipeline), as a candidate with columns."""
    mlsteward.set_tracking_uri(store.uri)
    try:
        with mlsteward.start_run():
            info = log_model(store.tab, "model", input_example=FRAME.head(3))
        version = mlsteward.register_model(info.model_uri, "tab")
        assert int(version.version) == 2
        yield
    finally:
        mlsteward.set_tracking_uri(None)


def test_a_header_key_keeps_its_version_through_rest_and_grpc(store: Store, stubs: Any) -> None:  # noqa: F811
    _rollout(store, "sticky-header", "clf", 2, "header:X-User")
    rows = X[:2].ravel().tolist()
    body = {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "data": rows}]}
    with Plane(store, "sticky-header", stubs, "--no-log") as plane, httpx.Client() as http:
        url = f"{plane.process.url}/v2/models/sticky-header/infer"

        def rest(key: str) -> str:
            answer = http.post(url, json=body, headers={"X-User": key}, timeout=30)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["model_version"])

        def grpc_call(key: str) -> str:
            request = plane.pb.ModelInferRequest(model_name="sticky-header")
            tensor = request.inputs.add(name="input", datatype="FP32", shape=[2, 4])
            tensor.contents.fp32_contents.extend(rows)
            response = plane.stub.ModelInfer(request, metadata=(("x-user", key),), timeout=30)
            return str(response.model_version)

        keys = [f"user-{i}" for i in range(40)]
        _check(_versions_by_key(keys, rest, grpc_call))
        # a version named in the call wins over the key, through either door
        pinned = plane.pb.ModelInferRequest(model_name="sticky-header", model_version="1")
        tensor = pinned.inputs.add(name="input", datatype="FP32", shape=[2, 4])
        tensor.contents.fp32_contents.extend(rows)
        canary_key = next(key for key in keys if _expected_version(key) == "2")
        answer = plane.stub.ModelInfer(pinned, metadata=(("x-user", canary_key),), timeout=30)
        assert answer.model_version == "1"


@pytest.mark.usefixtures("tab_v2")
def test_an_input_key_keeps_its_version_through_rest_and_grpc(store: Store, stubs: Any) -> None:  # noqa: F811
    _rollout(store, "sticky-input", "tab", 2, "input:age")
    rows = FRAME.head(3)
    with Plane(store, "sticky-input", stubs, "--no-log") as plane, httpx.Client() as http:
        url = f"{plane.process.url}/v2/models/sticky-input/infer"

        def ages(key: str) -> list[int]:
            return [int(key), *rows["age"].tolist()[1:]]

        def rest(key: str) -> str:
            body = {
                "inputs": [
                    {"name": "age", "shape": [3], "datatype": "INT64", "data": ages(key)},
                    {
                        "name": "income",
                        "shape": [3],
                        "datatype": "FP64",
                        "data": rows["income"].tolist(),
                    },
                    {
                        "name": "region",
                        "shape": [3],
                        "datatype": "BYTES",
                        "data": rows["region"].tolist(),
                    },
                ]
            }
            answer = http.post(url, json=body, timeout=30)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["model_version"])

        def grpc_call(key: str) -> str:
            request = plane.pb.ModelInferRequest(model_name="sticky-input")
            age = request.inputs.add(name="age", datatype="INT64", shape=[3])
            age.contents.int64_contents.extend(ages(key))
            income = request.inputs.add(name="income", datatype="FP64", shape=[3])
            income.contents.fp64_contents.extend(rows["income"].tolist())
            region = request.inputs.add(name="region", datatype="BYTES", shape=[3])
            region.contents.bytes_contents.extend(v.encode() for v in rows["region"])
            # metadata that names no sticky key changes nothing
            response = plane.stub.ModelInfer(request, metadata=(("x-user", "bob"),), timeout=30)
            return str(response.model_version)

        keys = [str(age) for age in range(18, 58)]
        _check(_versions_by_key(keys, rest, grpc_call))
