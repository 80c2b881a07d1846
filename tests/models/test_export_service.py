"""The export service: stored model in, verified ONNX export recorded in the same run, or a
clear error and nothing recorded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.engines.models.export_options import ExportOptions
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.tracking_uri import backend_for
from mlsteward.models import ModelIntegrityError, UnsupportedModelError, load_model, log_model
from mlsteward.services.context import ServiceContext
from mlsteward.services.models.export_service import export_stored_model
from mlsteward.storage.base import ArtifactRecord

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.usefixtures("tracking")

RNG = np.random.default_rng(21)
X = RNG.normal(size=(200, 4))
Y = (X[:, 0] + X[:, 2] > 0).astype(np.int64)
COLUMNS = ["a", "b", "c", "d"]


@pytest.fixture
def ctx() -> ServiceContext:
    """The service context of the SDK's local backend: the store the SDK logs into."""
    backend = backend_for()
    assert isinstance(backend, LocalBackend)
    return backend.ctx


def _log(model: Any, registered: str | None = None) -> tuple[str, str]:
    with mlsteward.start_run() as run:
        frame = pd.DataFrame(X[:5], columns=COLUMNS)
        info = log_model(model, "model", input_example=frame, registered_model_name=registered)
    return run.info.run_id, info.model_uri


def _onnx_files(ctx: ServiceContext, run_id: str) -> dict[str, str]:
    return {
        r.path: r.digest for r in ctx.stores.tracking.list_artifact_records(run_id, "model/onnx/")
    }


def test_export_by_run_uri_records_every_file_in_the_run(ctx: ServiceContext) -> None:
    model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, Y)
    run_id, uri = _log(model)
    sample = {name: X[:, i] for i, name in enumerate(COLUMNS)}
    stored = export_stored_model(
        ctx, uri, ExportOptions(sample=sample, sample_targets=Y, quantize=True)
    )
    assert stored.uri == f"{uri}/onnx"
    assert stored.record.parity_ok and stored.record.parity[1]["rows"] == 200
    assert stored.record.quantization is not None
    assert (
        sorted(stored.paths)
        == sorted(_onnx_files(ctx, run_id))
        == [
            "model/onnx/export.json",
            "model/onnx/model.int8.onnx",
            "model/onnx/model.onnx",
        ]
    )
    onnx = load_model(uri, runtime="auto")
    assert onnx.runtime == "onnx"
    frame = pd.DataFrame(X, columns=COLUMNS)
    assert (onnx.predict(frame) == model.predict(X)).mean() >= 0.99


def test_export_by_alias_goes_to_the_versions_run(ctx: ServiceContext) -> None:
    run_id, _ = _log(LogisticRegression().fit(X, Y), registered="scorer")
    mlsteward.Client().set_registered_model_alias("scorer", "champion", 1)
    stored = export_stored_model(ctx, "models:/scorer@champion")
    assert stored.location.run_id == run_id
    assert "model/onnx/model.onnx" in _onnx_files(ctx, run_id)
    assert export_stored_model(ctx, "models:/scorer/1").location.run_id == run_id
    assert load_model("models:/scorer@champion", runtime="onnx").runtime == "onnx"


def test_unknown_run_model_alias_or_version_is_not_found(ctx: ServiceContext) -> None:
    run_id, _ = _log(LogisticRegression().fit(X, Y), registered="scorer")
    for uri in (
        "runs:/0123456789abcdef0123456789abcdef/model",
        f"runs:/{run_id}/elsewhere",
        "models:/scorer@nobody",
        "models:/scorer/7",
        "models:/missing/1",
    ):
        with pytest.raises(NotFoundError):
            export_stored_model(ctx, uri)
    with pytest.raises(InvalidArgumentError, match="expected runs:/"):
        export_stored_model(ctx, "s3://bucket/model")
    assert _onnx_files(ctx, run_id) == {}


def test_unsupported_estimator_is_named_and_nothing_is_recorded(ctx: ServiceContext) -> None:
    run_id, uri = _log(KernelRidge().fit(X, X[:, 0]))
    with pytest.raises(UnsupportedModelError, match=r"sklearn\.kernel_ridge\.KernelRidge"):
        export_stored_model(ctx, uri)
    assert _onnx_files(ctx, run_id) == {}


def test_a_failed_upload_leaves_the_previous_export(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, uri = _log(LogisticRegression().fit(X, Y))
    export_stored_model(ctx, uri)
    before = _onnx_files(ctx, run_id)
    original = ctx.blobs.store_file
    calls: list[object] = []

    def failing_second_upload(path: Any) -> Any:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(path)

    monkeypatch.setattr(ctx.blobs, "store_file", failing_second_upload)
    with pytest.raises(OSError, match="disk full"):
        export_stored_model(ctx, uri, ExportOptions(quantize=True))
    assert _onnx_files(ctx, run_id) == before
    assert load_model(uri, runtime="onnx").runtime == "onnx"


def test_a_damaged_previous_export_does_not_block_a_new_one(ctx: ServiceContext) -> None:
    run_id, uri = _log(LogisticRegression().fit(X, Y))
    export_stored_model(ctx, uri)
    digest, size = ctx.blobs.put_bytes(b"not a graph")
    ctx.stores.tracking.record_artifacts(
        run_id, [ArtifactRecord("model/onnx/model.onnx", digest, size)], ctx.clock()
    )
    with pytest.raises(ModelIntegrityError):
        load_model(uri, runtime="onnx")
    export_stored_model(ctx, uri)
    assert load_model(uri, runtime="onnx").runtime == "onnx"


def test_a_tampered_model_file_is_refused_before_loading(ctx: ServiceContext) -> None:
    run_id, uri = _log(LogisticRegression().fit(X, Y))
    manifest = next(
        r
        for r in ctx.stores.tracking.list_artifact_records(run_id, "model/")
        if r.path.endswith(".joblib")
    )
    digest, size = ctx.blobs.put_bytes(b"cos\nsystem\n(S'echo owned'\ntR.")
    ctx.stores.tracking.record_artifacts(
        run_id, [ArtifactRecord(manifest.path, digest, size)], ctx.clock()
    )
    with pytest.raises(ModelIntegrityError, match="hash"):
        export_stored_model(ctx, uri)
    assert _onnx_files(ctx, run_id) == {}


def test_a_sample_the_model_refuses_is_an_invalid_argument(ctx: ServiceContext) -> None:
    run_id, uri = _log(GradientBoostingClassifier(n_estimators=5).fit(X, Y))
    sample = pd.DataFrame(X[:10], columns=COLUMNS)
    sample.loc[3, "b"] = np.nan
    with pytest.raises(InvalidArgumentError, match="sample"):
        export_stored_model(ctx, uri, ExportOptions(sample=sample))
    with pytest.raises(InvalidArgumentError, match="'d'"):
        export_stored_model(ctx, uri, ExportOptions(sample=sample.drop(columns=["d"])))
    assert _onnx_files(ctx, run_id) == {}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tolerance": -1.0}, "tolerance"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"target_opset": 0}, "target_opset"),
        ({"target_opset": 10_000}, "target_opset"),
        ({"quantize": "yes"}, "quantize"),
        ({"sample": pd.DataFrame({"a": []})}, "no rows"),
        ({"sample": X, "sample_targets": Y[:3]}, "one label per sample row"),
        ({"sample_targets": Y}, "needs sample"),
    ],
)
def test_options_are_checked_before_any_work(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        ExportOptions(**options)
