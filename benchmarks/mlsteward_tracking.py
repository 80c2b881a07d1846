"""mlsteward's side of the experiment-tracking benchmark (the peer is peers/mlflow_tracking.py).

Run it with the project's venv (``bench_tracking.py`` does, and compares the two)::

    python benchmarks/mlsteward_tracking.py [--quick]

It measures, against (a) a local SQLite store and (b) ``mlsteward server`` on 127.0.0.1
backed by the same SQLite file, twice: started with ``--no-auth`` (section ``server``, the
one compared with MLflow's server) and with sign-in on (section ``server_auth``, the SDK
sending the token the server's first start printed for its admin), the two taking turns:

- ``mlsteward.log_metric`` in a loop inside ``start_run()``: points/s *accepted* (the loop)
  and points/s *stored* end to end (loop + ``mlsteward.flush()``, checked by reading the
  whole history back before the run ends);
- ``Client.log_batch`` in batches of 1,000 metrics -> points/s;
- ``Client.get_metric_history`` of the logged series -> ms;
- ``Client.search_runs`` with ``metrics.acc > 0.5`` over N runs -> ms.

Each measurement that fails is recorded with its error instead of stopping the rest, so a
partly finished SDK still gets figures for what works. One JSON object goes to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import benchlib
import mlsteward
from mlsteward import Metric, Param

FULL = {
    "local_log_metric_n": 100_000,
    "server_log_metric_n": 100_000,
    "points": 100_000,
    "batch_size": 1_000,
    "runs": 10_000,
    "repeat": 3,
    "server_rounds": 2,
}
QUICK = {
    "local_log_metric_n": 10_000,
    "server_log_metric_n": 10_000,
    "points": 10_000,
    "batch_size": 1_000,
    "runs": 500,
    "repeat": 2,
    "server_rounds": 3,
}


def step(out: dict[str, Any], name: str, fn: Callable[[], Any]) -> Any:
    """Store ``fn()`` under ``out[name]``; on error store the error and return None."""
    try:
        out[name] = fn()
        return out[name]
    except Exception as exc:
        out[name] = {"error": f"{type(exc).__name__}: {exc}"}
        traceback.print_exc(file=sys.stderr)
        return None


def bench_log_metric(uri: str, experiment: str, n: int, repeat: int) -> dict[str, Any]:
    """Time ``n`` fluent ``log_metric`` calls, then ``flush()``, then read the series back.

    The read-back happens inside the run, so what it finds was made durable by ``flush()``
    alone, not by the run's end. The same series then serves ``get_metric_history`` timings.
    """
    mlsteward.set_tracking_uri(uri)
    mlsteward.set_experiment(experiment)
    client = mlsteward.Client(tracking_uri=uri)
    with mlsteward.start_run() as run:
        run_id = run.info.run_id
        start = time.perf_counter()
        for i in range(n):
            mlsteward.log_metric("loss", 1.0 / (i + 1), step=i)
        accepted_s = time.perf_counter() - start
        mlsteward.flush()
        stored_s = time.perf_counter() - start
        stored = len(client.get_metric_history(run_id, "loss"))
    result: dict[str, Any] = {
        "accepted": benchlib.throughput(n, accepted_s),
        "stored": benchlib.throughput(n, stored_s),
        "verified_points": stored,
        "ok": stored == n,
    }
    times, history = benchlib.repeat_ms(lambda: client.get_metric_history(run_id, "loss"), repeat)
    result["history"] = benchlib.latency(times, n_points=len(history), ok=len(history) == n)
    return result


def bench_log_batch(uri: str, experiment: str, cfg: dict[str, int]) -> dict:
    """Time ``Client.log_batch`` of ``points`` in batches of ``batch_size``; verify by count."""
    n_points, batch_size = cfg["points"], cfg["batch_size"]
    client = mlsteward.Client(tracking_uri=uri)
    exp_id = client.create_experiment(experiment)
    run_id = client.create_run(exp_id).info.run_id
    batches = benchlib.loss_batches(n_points, batch_size, Metric)

    def log_all() -> None:
        for batch in batches:
            client.log_batch(run_id, metrics=batch)

    seconds, _ = benchlib.timed(log_all)
    stored = len(client.get_metric_history(run_id, "loss"))
    return {
        **benchlib.throughput(n_points, seconds),
        "batch_size": batch_size,
        "verified_points": stored,
        "ok": stored == n_points,
    }


def create_search_runs(uri: str, experiment: str, n_runs: int) -> tuple[str, dict]:
    """Create ``n_runs`` runs with metrics acc/loss and a param, via create_run + log_batch."""
    client = mlsteward.Client(tracking_uri=uri)
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


def page_runs(result: Any) -> tuple[list[Any], str | None]:
    """The runs and next-page token of a ``search_runs`` result (a list or a page object)."""
    if hasattr(result, "runs"):
        return list(result.runs), getattr(result, "next_page_token", None)
    return list(result), getattr(result, "token", None)


def search_all(client: mlsteward.Client, exp_id: str, n_runs: int) -> int:
    """Return how many runs match ``metrics.acc > 0.5``, following page tokens if any."""
    found = 0
    kwargs: dict[str, Any] = {}
    while True:
        result = client.search_runs(
            experiment_ids=[exp_id],
            filter_string=benchlib.SEARCH_FILTER,
            max_results=max(n_runs, 1),
            **kwargs,
        )
        runs, token = page_runs(result)
        found += len(runs)
        if not token:
            return found
        kwargs["page_token"] = token


def bench_search(uri: str, exp_id: str, n_runs: int, repeat: int) -> dict:
    """Time ``search_runs`` with the metric filter over an experiment of ``n_runs`` runs."""
    client = mlsteward.Client(tracking_uri=uri)
    times, found = benchlib.repeat_ms(lambda: search_all(client, exp_id, n_runs), repeat)
    expected = benchlib.expected_matches(n_runs)
    return benchlib.latency(times, n_runs=n_runs, matched=found, ok=found == expected)


def measure_writes(out: dict[str, Any], uri: str, where: str, cfg: dict[str, int]) -> None:
    """The log_metric loop (with its history read) and log_batch, into ``out``."""
    n = cfg[f"{where}_log_metric_n"]
    experiment = f"{where}-log-metric"
    logged = step(out, "log_metric", lambda: bench_log_metric(uri, experiment, n, cfg["repeat"]))
    if logged is not None:  # same layout as MLflow's JSON
        out["get_metric_history"] = logged.pop("history")
    step(out, "log_batch", lambda: bench_log_batch(uri, f"{where}-log-batch", cfg))


def init_store(uri: str) -> float:
    """Seconds for the first call on a new store (schema creation), kept out of the timings."""
    seconds, _ = benchlib.timed(
        lambda: mlsteward.Client(tracking_uri=uri).create_experiment("init")
    )
    return round(seconds, 2)


def run_local(uri: str, cfg: dict[str, int]) -> tuple[dict[str, Any], str | None]:
    """All measurements against the local SQLite store; returns results and the search exp id."""
    out: dict[str, Any] = {"tracking_uri": uri}
    step(out, "store_init_s", lambda: init_store(uri))
    measure_writes(out, uri, "local", cfg)
    created = step(out, "create_runs", lambda: create_search_runs(uri, "search", cfg["runs"]))
    if created is None:
        return out, None
    exp_id, out["create_runs"] = created
    step(out, "search_runs", lambda: bench_search(uri, exp_id, cfg["runs"], cfg["repeat"]))
    return out, exp_id


#: The two server sections: without sign-in (compared with MLflow's server, which has none)
#: and with it (compared with the first, the same measurements taking turns).
SERVER_SIDES = (("server", False), ("server_auth", True))


def server_argv(db_uri: str, workdir: Path, port: int, auth: bool) -> list[str]:
    """``mlsteward server`` on 127.0.0.1 over the benchmark's SQLite file."""
    argv = [
        str(Path(sys.executable).with_name("mlsteward")),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store-uri",
        db_uri,
        "--artifacts-uri",
        str(workdir / "artifacts"),
    ]
    return argv if auth else [*argv, "--no-auth"]


def sign_in(url: str, log_path: Path) -> None:
    """Keep the token the server's first start printed for its admin in the credentials file
    under the benchmark's home, as ``mlsteward login`` would: the SDK then sends it to this
    server only. The token is never printed."""
    from mlsteward.interfaces.sdk.credentials import save_token
    from mlsteward.testing.server_process import ADMIN_TOKEN_LINE

    found = ADMIN_TOKEN_LINE.search(log_path.read_text(errors="replace"))
    if found is None:
        raise RuntimeError(f"the server at {url} printed no admin token (see {log_path})")
    save_token(url, found.group(2))


@contextlib.contextmanager
def started_servers(db_uri: str, workdir: Path) -> Iterator[dict[str, dict[str, Any]]]:
    """Both servers on the same SQLite file, each stopped by its PID on the way out."""
    outs: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        for section, auth in SERVER_SIDES:
            port = benchlib.free_port()
            url = f"http://127.0.0.1:{port}"
            log_path = workdir / f"mlsteward-{section}.log"
            info = stack.enter_context(
                benchlib.server_process(
                    server_argv(db_uri, workdir, port, auth),
                    f"{url}/healthz",
                    log_path,
                    benchlib.quiet_env(),
                )
            )
            if auth:
                sign_in(url, log_path)
            outs[section] = {"tracking_uri": url, "auth": auth, "server": info}
        yield outs


def best_of(results: list[dict[str, Any]], figure: str, higher_is_better: bool) -> dict:
    """The round with the best ``figure`` (the one least disturbed by the rest of the
    machine), with every round's figure beside it."""
    score = [dig(r, figure) for r in results]
    pick = max if higher_is_better else min
    best = results[score.index(pick(score))]
    return {**best, "rounds": score}


def dig(data: dict[str, Any], path: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``."""
    for part in path.split("."):
        data = data[part]
    return data


def run_servers(
    db_uri: str, workdir: Path, search_exp_id: str | None, cfg: dict[str, int]
) -> dict[str, dict[str, Any]]:
    """Every server measurement against both servers, ``server_rounds`` times each: the two
    take turns step by step (which goes first alternating), so drift, the growing file and
    the rest of the machine hit both alike; each figure is the side's best round."""
    n, repeat, rounds = cfg["server_log_metric_n"], cfg["repeat"], cfg["server_rounds"]

    def log_metric(url: str, name: str) -> dict[str, Any]:
        return bench_log_metric(url, f"{name}-log-metric", n, repeat)

    def log_batch(url: str, name: str) -> dict[str, Any]:
        return bench_log_batch(url, f"{name}-log-batch", cfg)

    def search_runs(url: str, name: str) -> dict[str, Any]:
        found = bench_search(url, str(search_exp_id), cfg["runs"], repeat)
        return {**found, "note": "runs created in the local phase (same SQLite file)"}

    steps = [("log_metric", log_metric, "stored.per_s", True)]
    steps.append(("log_batch", log_batch, "per_s", True))
    if search_exp_id is not None:
        steps.append(("search_runs", search_runs, "ms", False))
    with started_servers(db_uri, workdir) as outs:
        sections = list(outs)
        turn = 0
        for key, measure, figure, higher_is_better in steps:
            results: dict[str, list[dict[str, Any]]] = {section: [] for section in sections}
            for number in range(rounds):
                for section in sections if turn % 2 == 0 else reversed(sections):
                    url, held = outs[section]["tracking_uri"], dict[str, Any]()
                    step(held, key, functools.partial(measure, url, f"{section}-{number}"))
                    results[section].append(held[key])
                turn += 1
            for section, found in results.items():
                done = [r for r in found if "error" not in r]
                outs[section][key] = best_of(done, figure, higher_is_better) if done else found[0]
        for out in outs.values():  # same layout as MLflow's JSON
            if "history" in out.get("log_metric", {}):
                out["get_metric_history"] = out["log_metric"].pop("history")
    return outs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return benchlib.parse_side_args(argv, FULL, __doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print one JSON object on stdout."""
    args = parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    cfg.update({k: getattr(args, k) for k in FULL if getattr(args, k) is not None})
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="mlsteward-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db_uri = f"sqlite:///{workdir / 'db.sqlite'}"
    result: dict[str, Any] = {
        "tool": "mlsteward",
        "version": getattr(mlsteward, "__version__", "unknown"),
        "profile": "quick" if args.quick else "full",
        "config": cfg,
        "machine": benchlib.machine_info(),
        "notes": [
            "accepted = the log_metric loop alone; stored = loop + mlsteward.flush(), verified by"
            " reading the whole series back inside the run",
            f"search_runs is over {cfg['runs']} runs, created with create_run + log_batch",
            "the servers use the same SQLite file as the local phase",
            "server: started with --no-auth (as MLflow's server, which has no sign-in); "
            "server_auth: sign-in on, the SDK sending the first start's admin token; the two "
            f"take turns step by step, {cfg['server_rounds']} rounds each, each figure the "
            "side's best round",
        ],
    }
    cwd = Path.cwd()
    os.chdir(workdir)  # anything the SDK writes relative to the cwd lands in the temp dir
    os.environ["MLSTEWARD_HOME"] = str(workdir / "home")  # spool, defaults: not ~/.mlsteward
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result["local"], search_exp_id = run_local(db_uri, cfg)
            if not args.skip_server:
                try:
                    result.update(run_servers(db_uri, workdir, search_exp_id, cfg))
                except Exception as exc:  # the local figures still go out
                    result["server"] = {"error": f"{type(exc).__name__}: {exc}"}
                    traceback.print_exc(file=sys.stderr)
    finally:
        os.chdir(cwd)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
