"""``engine='ray'`` writes what the local engine writes: the same part files (byte for byte),
manifest entries, rejected rows and prediction-log records, for Parquet and CSV inputs; a
model failure on a Ray worker stops the job at the same chunk and the same command resumes.

The two engines' IDs are compared by redoing a local job's chunks with Ray: the job keeps
its manifest (salt and each chunk's ID time) and drops its finished chunks, as after a
crash, so a faithful engine writes every byte again. Ray starts once for the module, on
two CPUs, and is shut down at its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.batch_scoring import ChunkFailedError
from mlsteward.storage.prediction_log import PredictionLogReader
from mlsteward.testing.server_process import running_server

from . import fault_models
from .conftest import Store, gbt_frame, tab_frame

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def fault_marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ray-fault") / "broken"


@pytest.fixture(scope="module", autouse=True)
def ray_on_two_cpus(fault_marker: Path) -> Iterator[None]:
    # The workers' environment is fixed when Ray starts: the fault model's marker goes in it.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {fault_models.MARKER_ENV: str(fault_marker)}},
    )
    try:
        yield
    finally:
        ray.shutdown()


def _redo_with_ray(local: Path, again: Path) -> None:
    """``again`` holds ``local``'s job as after a crash before any chunk was finished."""
    manifest = json.loads((local / "_manifest.json").read_text())
    manifest.update(done={}, finished=False, result={})
    again.mkdir()
    (again / "_manifest.json").write_text(json.dumps(manifest))


def _done(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "_manifest.json").read_text())["done"])


def _log(store: Store, name: str) -> pd.DataFrame:
    table = PredictionLogReader(store.log_root).query(name, 0, 2**47)
    frame = table.to_pandas().drop(columns=["latency_ms", "deployment"])
    return frame.sort_values("prediction_id").reset_index(drop=True)


def test_parquet_job_on_ray_writes_the_local_engines_bytes_and_log(
    store: Store, tmp_path: Path
) -> None:
    gbt_frame(2_500, 41).to_parquet(tmp_path / "in.parquet")
    source = str(tmp_path / "in.parquet")
    options: dict[str, Any] = {"chunk_size": 700, "outputs": ["predict", "predict_proba"]}
    client = store.client()
    local = client.predict_batch(
        "models:/gbt/1", source, str(tmp_path / "local"), log_as="gbt-local", **options
    )
    _redo_with_ray(tmp_path / "local", tmp_path / "ray")
    on_ray = client.predict_batch(
        "models:/gbt/1", source, str(tmp_path / "ray"), log_as="gbt-ray", engine="ray", **options
    )
    assert (on_ray.engine, local.engine) == ("ray", "local")
    assert on_ray.job_id == local.job_id
    assert (on_ray.rows_scored, on_ray.chunks, on_ray.runtime) == (2_500, 4, "onnx")
    assert _done(tmp_path / "ray") == _done(tmp_path / "local")  # part digests included
    for index in range(4):
        name = f"part-{index:08d}.parquet"
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    pd.testing.assert_frame_equal(_log(store, "gbt-ray"), _log(store, "gbt-local"))
    assert len(_log(store, "gbt-ray")) == 2_500


def test_csv_with_bad_rows_skipped_on_ray_matches_the_local_engine(
    store: Store, tmp_path: Path
) -> None:
    frame = tab_frame(260, 42).astype({"income": object})
    frame.loc[[5, 130, 131], "income"] = "many"  # not numbers: rejected, listed apart
    frame.to_csv(tmp_path / "in.csv", index=False)
    with (tmp_path / "in.csv").open("a") as handle:
        handle.write("1,2,3,4\n")  # a malformed line
    args = {"chunk_size": 100, "on_bad_rows": "skip", "log": False}
    client = store.client()
    local = client.predict_batch(
        "models:/tab/1", str(tmp_path / "in.csv"), str(tmp_path / "local.csv"), **args
    )
    _redo_with_ray(tmp_path / "local.csv.parts", tmp_path / "ray.csv.parts")
    on_ray = client.predict_batch(
        "models:/tab/1", str(tmp_path / "in.csv"), str(tmp_path / "ray.csv"), engine="ray", **args
    )
    assert local.rejected == on_ray.rejected == 4
    assert on_ray.rejected_sample == local.rejected_sample
    assert (tmp_path / "ray.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    rejected = (tmp_path / "ray.rejected.csv").read_bytes()
    assert rejected == (tmp_path / "local.rejected.csv").read_bytes()
    scored = pd.read_csv(tmp_path / "ray.csv")
    assert len(scored) == 257 and scored["prediction_id"].is_unique


def test_a_failure_on_a_ray_worker_stops_at_its_chunk_and_the_job_resumes(
    store: Store, tmp_path: Path, fault_marker: Path
) -> None:
    frame = pd.DataFrame({"a": np.arange(50, dtype=float), "b": np.ones(50)})
    frame.loc[34, "a"] = fault_models.SENTINEL
    frame.to_parquet(tmp_path / "in.parquet")
    fault_marker.write_text("")
    args = ("models:/faulty/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"))
    client = store.client()
    with pytest.raises(ChunkFailedError) as caught:
        client.predict_batch(*args, chunk_size=10, log=False, engine="ray")
    assert caught.value.chunk == 3 and "rows 30 to 39" in caught.value.message
    assert "RuntimeError: sentinel value" in caught.value.message
    assert pq.read_table(tmp_path / "out").num_rows == 30  # chunks 0-2 kept
    fault_marker.unlink()  # the fix
    report = client.predict_batch(*args, chunk_size=10, log=False, engine="ray")
    assert (report.chunks_resumed, report.rows_scored, report.rows) == (3, 20, 50)
    output = pq.read_table(tmp_path / "out").to_pandas()
    np.testing.assert_array_equal(output["predict"], frame["a"] + frame["b"])
    local = client.predict_batch(
        args[0], args[1], str(tmp_path / "local"), chunk_size=10, log=False
    )
    assert local.rows == 50
    whole = pq.read_table(tmp_path / "local").to_pandas()
    pd.testing.assert_frame_equal(
        output.drop(columns="prediction_id"), whole.drop(columns="prediction_id")
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"engine": "spark"}, "engine must be one of"),
        ({"ray_address": "auto"}, "for engine 'ray' only"),
        ({"engine": "ray", "ray_address": "http://x y"}, "ray_address must be"),
    ],
)
def test_unknown_engines_and_addresses_are_refused_before_anything_is_written(
    store: Store, tmp_path: Path, options: dict[str, str], message: str
) -> None:
    gbt_frame(10, 43).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InvalidArgumentError, match=message):
        store.client().predict_batch(
            "models:/gbt/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"), **options
        )
    assert not (tmp_path / "out").exists()


def test_a_server_refuses_engine_ray(store: Store, tmp_path: Path) -> None:
    gbt_frame(10, 44).to_parquet(tmp_path / "in.parquet")
    store_dir = Path(store.uri)
    options = ["--source-root", str(tmp_path)]
    with running_server(
        store_dir / "mlsteward.db", store_dir / "artifacts", extra_args=options
    ) as url:
        body = {
            "model_uri": "models:/gbt/1",
            "input": [str(tmp_path / "in.parquet")],
            "output": str(tmp_path / "out"),
            "engine": "ray",
            "ray_address": "ray://10.0.0.1:10001",
        }
        answer = httpx.post(f"{url}/api/v1/batch-predictions", json=body, timeout=60.0)
        assert answer.status_code == 403, answer.text
        assert "engine 'local' only" in answer.text
        body.update(engine="spark", ray_address=None)
        answer = httpx.post(f"{url}/api/v1/batch-predictions", json=body, timeout=60.0)
        assert answer.status_code == 400, answer.text
    assert not (tmp_path / "out").exists()
