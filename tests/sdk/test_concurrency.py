"""Sixteen processes write to one SQLite store at once: nothing is lost, nothing is locked out."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlsteward
from mlsteward import Client, RunStatus

PROCESSES = 16
POINTS = 5_000
SHARED_BATCHES = 10

WORKER = f"""
import sys, time
from pathlib import Path
import mlsteward
from mlsteward import Metric

rendezvous, worker, shared = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
(rendezvous / f"ready-{{worker}}").touch()
while not (rendezvous / "go").exists():
    time.sleep(0.01)
client = mlsteward.Client()
with mlsteward.start_run(run_name=f"worker-{{worker}}", log_environment=False) as run:
    mlsteward.log_params({{"worker": worker, "kind": "concurrent"}})
    for step in range({POINTS}):
        mlsteward.log_metric("m", float(step), step=step)
        if step % 1000 == 0:
            mlsteward.log_text(f"worker {{worker}} step {{step}}", f"out/{{step}}.txt")
    mlsteward.log_dict({{"worker": worker}}, "result.json")
    for batch in range({SHARED_BATCHES}):
        step = worker * {SHARED_BATCHES} + batch
        client.log_batch(shared, metrics=[Metric("shared", float(step), 1, step)])
    client.log_param(shared, f"worker_{{worker}}", worker)
    client.log_text(shared, f"from {{worker}}", f"workers/{{worker}}.txt")
print(run.info.run_id, flush=True)
"""


@pytest.mark.slow
def test_sixteen_processes_one_sqlite_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    mlsteward.set_tracking_uri(str(store))
    experiment = mlsteward.set_experiment("concurrent")
    client = Client()
    shared = client.create_run(experiment.experiment_id, run_name="shared").info.run_id

    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    env = {
        **os.environ,
        "MLSTEWARD_TRACKING_URI": str(store),
        "MLSTEWARD_EXPERIMENT_NAME": "concurrent",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(rendezvous), str(i), shared],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + 240
        while len(list(rendezvous.glob("ready-*"))) < PROCESSES:
            assert all(w.poll() is None for w in workers), "a worker died before starting"
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.05)
        (rendezvous / "go").touch()  # all of them start writing at once
        outputs = [w.communicate(timeout=300) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert "locked" not in err.lower(), err
        assert worker.returncode == 0, err
    run_ids = [out.split()[0] for out, _ in outputs]
    assert len(set(run_ids)) == PROCESSES

    for worker_index, run_id in enumerate(run_ids):
        run = client.get_run(run_id)
        assert run.info.status is RunStatus.FINISHED
        assert run.data.params == {"worker": str(worker_index), "kind": "concurrent"}
        assert [p.step for p in client.get_metric_history(run_id, "m")] == list(range(POINTS))
        paths = [e.path for e in client.list_artifacts(run_id, "out")]
        assert paths == sorted(f"out/{s}.txt" for s in range(0, POINTS, 1000))

    shared_history = client.get_metric_history(shared, "shared")
    assert [p.step for p in shared_history] == list(range(PROCESSES * SHARED_BATCHES))
    shared_run = client.get_run(shared)
    assert shared_run.data.params == {f"worker_{i}": str(i) for i in range(PROCESSES)}
    assert len(client.list_artifacts(shared, "workers")) == PROCESSES
