"""A writer killed with -9 leaves only whole Parquet files visible; what it loses is what
it had not published yet."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from mlsteward.storage.prediction_log import PredictionLogReader

_WRITER = """
import sys, time
from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import PredictionLogWriter

writer = PredictionLogWriter(sys.argv[1], flush_rows=2_000, flush_interval_s=0.05,
                             queue_size=50_000).start()
big = {"text": ["x" * 2_000]}  # large rows: each file takes a while to write
while True:
    record = PredictionRecord(new_prediction_id(), "churn", "churn", 1, "stable",
                              int(time.time() * 1000), 1.0, 1, big, {"y": [1]})
    if not writer.submit(record):
        time.sleep(0.001)
"""


def test_kill_9_mid_write_leaves_no_partial_file(tmp_path: Path) -> None:
    root = tmp_path / "log"
    process = subprocess.Popen([sys.executable, "-c", _WRITER, str(root)])
    try:
        deadline = time.monotonic() + 60
        while len(list(root.rglob("part-*.parquet"))) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    published = list(root.rglob("part-*.parquet"))
    assert len(published) >= 5
    for path in published:  # every visible file is whole
        assert pq.read_table(path).num_rows > 0
    reader = PredictionLogReader(str(root))
    table = reader.query("churn", 0, 2**47, columns=["prediction_id"])
    assert table.num_rows == sum(pq.read_metadata(p).num_rows for p in published)
    ids = table.column("prediction_id").to_pylist()
    assert reader.get(ids[-1], "churn") is not None
