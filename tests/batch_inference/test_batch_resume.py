"""A job killed with SIGKILL resumes: finished chunks are not redone, their IDs are kept,
the output equals an uninterrupted run's and the prediction log holds each row once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlsteward.domain.errors import ConflictError
from mlsteward.storage.prediction_log import PredictionLogReader

from .conftest import Store, gbt_frame

CHUNK = 400
ROWS = 4_000
_WAIT_S = 120.0

# The job in a subprocess; it stops (sleeps) at a known point for the parent to kill it:
# ``between``: after chunk 2 is finished; ``logged``: after chunk 3's rows reached the
# prediction log but before the manifest lists the chunk as done.
_JOB = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import mlsteward
    from mlsteward.services.batch_inference import prediction_logging

    uri, source, output, marker, where = sys.argv[1:6]
    if where == "logged":
        logged = prediction_logging.BatchLog.__call__

        def stop_after_logging(self, scored):
            logged(self, scored)
            if scored.index == 3:
                Path(marker).write_text("logged")
                time.sleep(600)

        prediction_logging.BatchLog.__call__ = stop_after_logging

    def progress(done, total):
        if where == "between" and done >= 3 * {chunk}:
            Path(marker).write_text("between")
            time.sleep(600)

    mlsteward.Client(uri).predict_batch(
        "models:/gbt/1", source, output, chunk_size={chunk}, log_as="gbt-resume-" + where,
        progress=progress,
    )
    """
).format(chunk=CHUNK)


def _kill_midway(store: Store, tmp_path: Path, source: Path, output: Path, where: str) -> None:
    script = tmp_path / "job.py"
    script.write_text(_JOB)
    marker = tmp_path / f"stopped-{where}"
    process = subprocess.Popen(
        [sys.executable, str(script), store.uri, str(source), str(output), str(marker), where],
        env={**os.environ, "MLSTEWARD_HOME": str(tmp_path / "job-home")},
    )
    try:
        deadline = time.monotonic() + _WAIT_S
        while not marker.exists():
            assert process.poll() is None, "the job ended before its stopping point"
            assert time.monotonic() < deadline, "the job never reached its stopping point"
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("where", ["between", "logged"])
def test_sigkill_then_rerun_equals_an_uninterrupted_run(
    store: Store, tmp_path: Path, where: str
) -> None:
    source = tmp_path / "in.parquet"
    gbt_frame(ROWS, 11).to_parquet(source)
    output = tmp_path / "out"
    _kill_midway(store, tmp_path, source, output, where)
    before = pq.read_table(output).to_pandas()  # the chunks published before the kill
    assert 0 < len(before) < ROWS

    client = store.client()
    report = client.predict_batch(
        "models:/gbt/1", str(source), str(output), chunk_size=CHUNK, log_as=f"gbt-resume-{where}"
    )
    finished_before = 3  # "logged": chunk 3 reached the log, not the manifest: it is redone
    assert report.chunks_resumed == finished_before
    assert report.rows_scored == ROWS - finished_before * CHUNK
    assert report.rows == ROWS

    resumed = pq.read_table(output).to_pandas()
    assert resumed["prediction_id"].is_unique and len(resumed) == ROWS
    # rows published before the kill kept their IDs (a redone chunk too: same IDs)
    kept = resumed.set_index("prediction_id").loc[before["prediction_id"]]
    pd.testing.assert_frame_equal(kept.reset_index(), before)

    client.predict_batch(
        "models:/gbt/1", str(source), str(tmp_path / "whole"), chunk_size=CHUNK, log=False
    )
    whole = pq.read_table(tmp_path / "whole").to_pandas()
    pd.testing.assert_frame_equal(
        resumed.drop(columns="prediction_id"), whole.drop(columns="prediction_id")
    )

    logged = PredictionLogReader(store.log_root).query(f"gbt-resume-{where}", 0, 2**47)
    ids = logged.column("prediction_id").to_pylist()
    assert len(ids) == ROWS and set(ids) == set(resumed["prediction_id"])  # each row once


def test_a_changed_input_is_refused_unless_restarted(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    gbt_frame(500, 12).to_parquet(source)
    client = store.client()
    args = ("models:/gbt/1", str(source), str(tmp_path / "out"))
    first = client.predict_batch(*args, chunk_size=200, log=False)
    gbt_frame(600, 13).to_parquet(source)
    with pytest.raises(ConflictError, match="input"):
        client.predict_batch(*args, chunk_size=200, log=False)
    with pytest.raises(ConflictError, match="chunk_size"):
        gbt_frame(500, 12).to_parquet(source)
        os.utime(source, ns=(1, 1))
        client.predict_batch(*args, chunk_size=100, log=False)
    again = client.predict_batch(*args, chunk_size=100, log=False, restart=True)
    assert again.job_id != first.job_id and again.rows_scored == 500 and again.chunks == 5
    assert pq.read_table(tmp_path / "out").num_rows == 500
