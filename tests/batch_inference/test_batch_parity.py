"""Batch results equal in-process ``predict`` on the same rows, for every input and output
kind; the prediction log holds one record per scored row, and a label joins by its ID."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.domain.prediction_ids import is_prediction_id
from mlsteward.interfaces.sdk.models.load import load_model
from mlsteward.storage.prediction_log import PredictionLogReader, rows_frame

from .conftest import FEATURES, Store, gbt_frame, tab_frame


def _expected(store: Store, uri: str, frame: pd.DataFrame, runtime: str) -> pd.DataFrame:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_TRACKING_URI", store.uri)
        loaded = load_model(uri, runtime=runtime)
        features = frame[FEATURES] if uri.startswith("models:/gbt") else frame
        answer = pd.DataFrame({"predict": np.asarray(loaded.predict(features))})
        if loaded.has_predict_proba:
            proba = np.asarray(loaded.predict_proba(features))
            for i in range(proba.shape[1]):
                answer[f"predict_proba_{i}"] = proba[:, i]
    return answer


def _check_output(output: pd.DataFrame, frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(output) == len(frame)
    assert output["prediction_id"].map(is_prediction_id).all()
    assert output["prediction_id"].is_unique
    assert list(output["prediction_id"]) == sorted(output["prediction_id"])  # input order
    pd.testing.assert_frame_equal(
        output[frame.columns].reset_index(drop=True), frame.reset_index(drop=True)
    )
    for name in expected.columns:
        np.testing.assert_array_equal(output[name].to_numpy(), expected[name].to_numpy())


def test_parquet_to_parquet_folder_matches_in_process_onnx(store: Store, tmp_path: Path) -> None:
    frame = gbt_frame(2_500, 3)
    frame.to_parquet(tmp_path / "in.parquet")
    report = store.client().predict_batch(
        "models:/gbt/1",
        str(tmp_path / "in.parquet"),
        str(tmp_path / "out"),
        chunk_size=1_000,
        outputs=["predict", "predict_proba"],
        log_as="gbt-parity",
    )
    assert report.runtime == "onnx"  # parity held: auto takes the export, as serving does
    assert (report.rows, report.rows_scored, report.chunks, report.rejected) == (2500, 2500, 3, 0)
    output = pd.read_parquet(tmp_path / "out")
    _check_output(output, frame, _expected(store, "models:/gbt/1", frame, "onnx"))
    # one record per scored row in the log, under the job's name, with the output's IDs
    log = PredictionLogReader(store.log_root).query("gbt-parity", 0, 2**47)
    assert log.num_rows == 2500
    assert set(log.column("prediction_id").to_pylist()) == set(output["prediction_id"])
    logged = rows_frame(log, "outputs").set_index("prediction_id")
    joined = output.set_index("prediction_id").join(logged.add_suffix("_logged"))
    assert (joined["predict"] == joined["predict_logged"]).all()
    assert set(log.column("rows").to_pylist()) == {1}
    assert set(log.column("route").to_pylist()) == {"stable"}


def test_csv_glob_to_csv_file_with_three_typed_columns(store: Store, tmp_path: Path) -> None:
    parts = [tab_frame(150, seed) for seed in (4, 5, 6)]
    for i, part in enumerate(parts):
        part.to_csv(tmp_path / f"part-{i}.csv", index=False)
    report = store.client().predict_batch(
        "models:/tab/1",
        str(tmp_path / "part-*.csv"),
        str(tmp_path / "scored.csv"),
        chunk_size=100,
        outputs=["predict", "predict_proba"],
        log=False,
    )
    assert report.runtime == "native"
    assert (report.rows, report.chunks, report.rows_logged) == (450, 6, 0)  # chunks per file
    frame = pd.concat(parts, ignore_index=True)
    output = pd.read_csv(tmp_path / "scored.csv")
    expected = pd.concat(
        [
            _expected(store, "models:/tab/1", pd.read_csv(tmp_path / f"part-{i}.csv"), "native")
            for i in range(3)
        ],
        ignore_index=True,
    )
    assert len(output) == len(frame)
    pd.testing.assert_frame_equal(output[frame.columns], frame, check_exact=True)
    np.testing.assert_array_equal(output["predict"], expected["predict"])
    np.testing.assert_allclose(output["predict_proba_1"], expected["predict_proba_1"], rtol=1e-12)


def test_dataset_version_in_and_dataset_out_with_lineage(store: Store) -> None:
    client = store.client()
    frame = tab_frame(1_200, 7)
    version = (
        client.datasets()
        .register_dataset_table("customers", pa.Table.from_pandas(frame, preserve_index=False))
        .version
    )
    report = client.predict_batch(
        "models:/tab/1",
        f"dataset:{version.ref}",
        "dataset:customer-scores",
        chunk_size=500,
        keep_columns=["age"],
        log=False,
    )
    assert report.output_version == "customer-scores@1"
    table = client.datasets().load_dataset_table("customer-scores@1").to_pandas()
    stored = client.datasets().load_dataset_table(version.ref).to_pandas()
    expected = _expected(store, "models:/tab/1", stored, "native")
    assert list(table.columns) == ["prediction_id", "age", "predict"]
    np.testing.assert_array_equal(table["age"], frame["age"])
    np.testing.assert_array_equal(table["predict"], expected["predict"])
    made = client.datasets().get_dataset_version("customer-scores@1")
    assert made.kind == "predictions"
    assert list(made.parents) == [version.dataset_version_id]
    assert made.lineage["model"] == {
        "name": "tab",
        "version": 1,
        "uri": "models:/tab/1",
        "runtime": "native",
    }
    assert made.lineage["input"]["dataset_version_id"] == version.dataset_version_id
    assert made.lineage["job_id"] == report.job_id


def test_parquet_output_keeps_row_ids_stable_across_reruns(store: Store, tmp_path: Path) -> None:
    gbt_frame(300, 8).to_parquet(tmp_path / "in.parquet")
    args = ("models:/gbt/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"))
    first = store.client().predict_batch(*args, chunk_size=100, log=False)
    ids = pq.read_table(tmp_path / "out").column("prediction_id").to_pylist()
    again = store.client().predict_batch(*args, chunk_size=100, log=False)
    assert (again.job_id, again.rows_scored, again.chunks_resumed) == (first.job_id, 0, 3)
    assert pq.read_table(tmp_path / "out").column("prediction_id").to_pylist() == ids
