"""Bad rows (fail or skip, with their positions), a model raising on one chunk, an
unreadable input and an output that becomes unwritable midway."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlsteward.engines.batch_scoring import (
    BadRowError,
    BatchInputError,
    ChunkFailedError,
    OutputWriteError,
)

from . import fault_models
from .conftest import Store, tab_frame


def _bad_csv(path: Path) -> pd.DataFrame:
    """A CSV for ``tab`` with three bad rows: text in ``age`` (row 3), a missing ``age``
    (row 7, an integer column) and text in ``income`` (row 12)."""
    frame = tab_frame(20, 21).astype({"age": object, "income": object})
    frame.loc[3, "age"] = "forty"
    frame.loc[7, "age"] = None
    frame.loc[12, "income"] = "lots"
    frame.to_csv(path, index=False)
    return frame


def test_bad_rows_fail_the_job_at_the_first_with_its_position(store: Store, tmp_path: Path) -> None:
    _bad_csv(tmp_path / "in.csv")
    with pytest.raises(BadRowError) as caught:
        store.client().predict_batch(
            "models:/tab/1",
            str(tmp_path / "in.csv"),
            str(tmp_path / "out"),
            chunk_size=5,
            log=False,
        )
    assert caught.value.row == 3 and caught.value.source.endswith("in.csv")
    assert "column 'age': not a number" in caught.value.message
    assert "forty" not in caught.value.message  # values are never repeated
    assert not list((tmp_path / "out").glob("part-*"))  # nothing of the failing chunk


def test_skipped_bad_rows_are_listed_with_positions_and_counted(
    store: Store, tmp_path: Path
) -> None:
    frame = _bad_csv(tmp_path / "in.csv")
    report = store.client().predict_batch(
        "models:/tab/1",
        str(tmp_path / "in.csv"),
        str(tmp_path / "out.csv"),
        chunk_size=5,
        on_bad_rows="skip",
        log=False,
    )
    assert (report.rows, report.rejected) == (17, 3)
    rejected = pd.read_csv(tmp_path / "out.rejected.csv")
    assert list(rejected["row"]) == [3, 7, 12]
    assert list(rejected["reason"]) == [
        "column 'age': not a number (int64 expected)",
        "column 'age': missing value (int64 expected)",
        "column 'income': not a number (float64 expected)",
    ]
    assert [row["row"] for row in report.rejected_sample] == [3, 7, 12]
    output = pd.read_csv(tmp_path / "out.csv")
    good = frame.drop(index=[3, 7, 12])
    assert list(output["age"]) == [int(v) for v in good["age"]]


def test_a_missing_column_rejects_every_row_of_its_file(store: Store, tmp_path: Path) -> None:
    tab_frame(6, 22).to_csv(tmp_path / "a.csv", index=False)
    tab_frame(4, 23).drop(columns="region").to_csv(tmp_path / "b.csv", index=False)
    report = store.client().predict_batch(
        "models:/tab/1",
        str(tmp_path / "*.csv"),
        str(tmp_path / "out"),
        on_bad_rows="skip",
        log=False,
    )
    assert (report.rows, report.rejected) == (6, 4)
    rejected = pq.read_table(tmp_path / "out" / "_rejected").to_pandas()
    assert list(rejected["row"]) == [0, 1, 2, 3]
    assert rejected["source"].str.endswith("b.csv").all()
    assert set(rejected["reason"]) == {"missing column 'region', required by the model's signature"}


def test_a_model_raising_on_one_chunk_fails_then_resumes_after_the_fix(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pd.DataFrame({"a": np.arange(50, dtype=float), "b": np.ones(50)})
    frame.loc[33, "a"] = fault_models.SENTINEL  # chunk 3 of 10-row chunks
    frame.to_parquet(tmp_path / "in.parquet")
    marker = tmp_path / "broken"
    marker.write_text("")
    monkeypatch.setenv(fault_models.MARKER_ENV, str(marker))
    args = ("models:/faulty/1", str(tmp_path / "in.parquet"), str(tmp_path / "out"))
    with pytest.raises(ChunkFailedError) as caught:
        store.client().predict_batch(*args, chunk_size=10, log=False)
    assert caught.value.chunk == 3 and "rows 30 to 39" in caught.value.message
    assert pq.read_table(tmp_path / "out").num_rows == 30  # chunks 0-2 kept
    marker.unlink()  # the fix
    report = store.client().predict_batch(*args, chunk_size=10, log=False)
    assert (report.chunks_resumed, report.rows_scored, report.rows) == (3, 20, 50)
    output = pq.read_table(tmp_path / "out").to_pandas()
    np.testing.assert_array_equal(output["predict"], frame["a"] + frame["b"])


def test_an_unreadable_input_fails_before_any_output(store: Store, tmp_path: Path) -> None:
    tab_frame(5, 24).to_parquet(tmp_path / "good.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(BatchInputError, match=r"broken\.parquet"):
        store.client().predict_batch(
            "models:/tab/1", str(tmp_path / "*.parquet"), str(tmp_path / "out"), log=False
        )
    assert not (tmp_path / "out").exists()
    with pytest.raises(BatchInputError, match="No input file"):
        store.client().predict_batch(
            "models:/tab/1", str(tmp_path / "missing-*.csv"), str(tmp_path / "out"), log=False
        )
    assert not (tmp_path / "out").exists()


def test_an_output_unwritable_midway_keeps_finished_chunks_and_resumes(
    store: Store, tmp_path: Path
) -> None:
    tab_frame(50, 25).to_parquet(tmp_path / "in.parquet")
    output = tmp_path / "out"
    blocked = output / "part-00000002.parquet"

    def block_chunk_two(done: int, total: int | None) -> None:
        if done == 20:  # chunks 0 and 1 finished: chunk 2's file cannot be written
            blocked.mkdir(parents=True)
            (blocked / "keep").write_text("")

    args = ("models:/tab/1", str(tmp_path / "in.parquet"), str(output))
    with pytest.raises(OutputWriteError) as caught:
        store.client().predict_batch(*args, chunk_size=10, log=False, progress=block_chunk_two)
    assert caught.value.chunk == 2 and "run the same command again" in caught.value.message
    (blocked / "keep").unlink()
    blocked.rmdir()
    report = store.client().predict_batch(*args, chunk_size=10, log=False)
    assert (report.chunks_resumed, report.rows_scored, report.rows) == (2, 30, 50)
