"""MLflow's side of the experiment-tracking benchmark.

Run it with the MLflow peer venv (``benchmarks/peers/setup_venvs.sh`` creates it)::

    benchmarks/.venvs/mlflow/bin/python benchmarks/peers/mlflow_tracking.py [--quick]

It measures, against (a) a local SQLite store and (b) ``mlflow server`` on 127.0.0.1
backed by the same SQLite file:

- ``mlflow.log_metric`` in a loop (synchronous, MLflow's default) -> points/s; MLflow's
  asynchronous mode (``synchronous=False`` + ``flush_async_logging``) is measured too;
- ``MlflowClient.log_batch`` in batches of 1,000 metrics -> points/s;
- ``MlflowClient.get_metric_history`` of all those points -> ms;
- ``MlflowClient.search_runs`` with ``metrics.acc > 0.5`` over N runs -> ms.

One JSON object goes to stdout; MLflow's own chatter and the server's log go elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchlib

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

FULL = {
    "local_log_metric_n": 2_000,
    "server_log_metric_n": 200,
    "points": 100_000,
    "batch_size": 1_000,
    "runs": 10_000,
    "repeat": 3,
}
QUICK = {
    "local_log_metric_n": 300,
    "server_log_metric_n": 50,
    "points": 10_000,
    "batch_size": 1_000,
    "runs": 500,
    "repeat": 2,
}


def bench_log_metric(tracking_uri: str, experiment: str, n: int, synchronous: bool) -> dict:
    """Time ``n`` fluent ``mlflow.log_metric`` calls in one run, then check they were stored."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        start = time.perf_counter()
        for i in range(n):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i, synchronous=synchronous)
        accepted_s = time.perf_counter() - start
        if not synchronous:
            mlflow.flush_async_logging()
        stored_s = time.perf_counter() - start
        run_id = run.info.run_id
    stored = len(MlflowClient(tracking_uri).get_metric_history(run_id, "loss"))
    return {
        "accepted": benchlib.throughput(n, accepted_s),
        "stored": benchlib.throughput(n, stored_s),
        "verified_points": stored,
        "ok": stored == n,
    }


def bench_log_batch_and_history(
    client: MlflowClient, experiment: str, n_points: int, batch_size: int, repeat: int
) -> dict:
    """Time ``log_batch`` of ``n_points`` and then ``get_metric_history`` of the same run."""
    exp_id = client.create_experiment(experiment)
    run_id = client.create_run(exp_id).info.run_id
    batches = benchlib.loss_batches(n_points, batch_size, Metric)

    def log_all() -> None:
        for batch in batches:
            client.log_batch(run_id, metrics=batch)

    seconds, _ = benchlib.timed(log_all)
    times, history = benchlib.repeat_ms(lambda: client.get_metric_history(run_id, "loss"), repeat)
    return {
        "log_batch": {**benchlib.throughput(n_points, seconds), "batch_size": batch_size},
        "get_metric_history": benchlib.latency(
            times, n_points=len(history), ok=len(history) == n_points
        ),
    }


def create_search_runs(client: MlflowClient, experiment: str, n_runs: int) -> tuple[str, dict]:
    """Create ``n_runs`` runs, each with metrics acc/loss and a param, via create_run+log_batch."""
    exp_id = client.create_experiment(experiment)
    accs = benchlib.acc_values(n_runs)
    ts = int(time.time() * 1000)

    def create_all() -> None:
        for i, acc in enumerate(accs):
            run_id = client.create_run(exp_id).info.run_id
            client.log_batch(
                run_id,
                metrics=[Metric("acc", acc, ts, 0), Metric("loss", 1.0 - acc, ts, 0)],
                params=[Param("lr", str(0.001 * (1 + i % 10)))],
            )

    seconds, _ = benchlib.timed(create_all)
    return exp_id, benchlib.throughput(n_runs, seconds)


def search_all(client: MlflowClient, exp_id: str, n_runs: int) -> int:
    """Return how many runs match ``metrics.acc > 0.5``, following page tokens."""
    found = 0
    token: str | None = None
    while True:
        page = client.search_runs(
            [exp_id],
            filter_string=benchlib.SEARCH_FILTER,
            max_results=min(max(n_runs, 1), 50_000),
            page_token=token,
        )
        found += len(page)
        token = page.token
        if not token:
            return found


def bench_search(client: MlflowClient, exp_id: str, n_runs: int, repeat: int) -> dict:
    """Time ``search_runs`` with the metric filter over an experiment of ``n_runs`` runs."""
    times, found = benchlib.repeat_ms(lambda: search_all(client, exp_id, n_runs), repeat)
    expected = benchlib.expected_matches(n_runs)
    return benchlib.latency(times, n_runs=n_runs, matched=found, ok=found == expected)


def run_local(uri: str, cfg: dict[str, int]) -> tuple[dict, str]:
    """All measurements against the local SQLite store; returns results and the search exp id."""
    out: dict[str, Any] = {"tracking_uri": uri}
    # The first use of a new SQLite store runs MLflow's migrations: keep that out of timings.
    setup_s, _ = benchlib.timed(lambda: MlflowClient(uri).search_experiments())
    out["store_init_s"] = round(setup_s, 2)
    n = cfg["local_log_metric_n"]
    out["log_metric"] = bench_log_metric(uri, "local-log-metric", n, synchronous=True)
    out["log_metric_async"] = bench_log_metric(uri, "local-log-metric-async", n, False)
    client = MlflowClient(uri)
    out.update(
        bench_log_batch_and_history(
            client, "local-log-batch", cfg["points"], cfg["batch_size"], cfg["repeat"]
        )
    )
    exp_id, created = create_search_runs(client, "search", cfg["runs"])
    out["create_runs"] = created
    out["search_runs"] = bench_search(client, exp_id, cfg["runs"], cfg["repeat"])
    return out, exp_id


def run_server(db_uri: str, workdir: Path, search_exp_id: str, cfg: dict[str, int]) -> dict:
    """All measurements against ``mlflow server`` on 127.0.0.1, backed by the same SQLite file."""
    port = benchlib.free_port()
    url = f"http://127.0.0.1:{port}"
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    argv = [
        str(mlflow_bin),
        "server",
        "--backend-store-uri",
        db_uri,
        "--artifacts-destination",
        str(workdir / "server-artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log_path = workdir / "mlflow-server.log"
    out: dict[str, Any] = {"tracking_uri": url, "workers": 1}
    with benchlib.server_process(argv, f"{url}/health", log_path, benchlib.quiet_env()) as info:
        out["server"] = info
        n = cfg["server_log_metric_n"]
        out["log_metric"] = bench_log_metric(url, "server-log-metric", n, synchronous=True)
        out["log_metric_async"] = bench_log_metric(url, "server-log-metric-async", n, False)
        client = MlflowClient(url)
        out.update(
            bench_log_batch_and_history(
                client, "server-log-batch", cfg["points"], cfg["batch_size"], cfg["repeat"]
            )
        )
        out["search_runs"] = bench_search(client, search_exp_id, cfg["runs"], cfg["repeat"])
        out["search_runs"]["note"] = "runs created in the local phase (same SQLite file)"
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return benchlib.parse_side_args(argv, FULL, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print one JSON object on stdout."""
    args = parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    cfg.update({k: getattr(args, k) for k in FULL if getattr(args, k) is not None})
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="mlflow-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db_uri = f"sqlite:///{workdir / 'mlflow.db'}"
    result: dict[str, Any] = {
        "tool": "mlflow",
        "version": mlflow.__version__,
        "profile": "quick" if args.quick else "full",
        "config": cfg,
        "machine": benchlib.machine_info(),
        "notes": [
            f"log_metric loops use fewer points than log_batch: {cfg['local_log_metric_n']}"
            f" locally and {cfg['server_log_metric_n']} through the server (each call is a"
            " synchronous write; 100,000 would take too long)",
            f"search_runs is over {cfg['runs']} runs, created with create_run + log_batch",
            "the server uses the same SQLite file as the local phase, with --workers 1",
        ],
    }
    cwd = Path.cwd()
    os.chdir(workdir)  # MLflow's default artifact root (./mlruns) lands in the temp dir
    try:
        # MLflow prints to stdout in places; keep stdout for the one JSON object.
        with contextlib.redirect_stdout(sys.stderr):
            result["local"], search_exp_id = run_local(db_uri, cfg)
            if not args.skip_server:
                result["server"] = run_server(db_uri, workdir, search_exp_id, cfg)
    finally:
        os.chdir(cwd)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
