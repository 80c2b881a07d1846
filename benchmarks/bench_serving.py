"""Model serving under load: ``mlsteward serve`` against ``mlflow models serve`` and MLServer.

    flock /tmp/mlsteward-bench.lock python benchmarks/bench_serving.py [--quick]
        [--skip-peers] [--duration SECONDS] [--workers N]

The model: ``GradientBoostingClassifier(n_estimators=100, max_depth=3)`` trained on
``make_classification(20000, 20)`` in float32, logged to a temporary local store, registered
with the alias ``champion`` and exported to ONNX. The contenders, started one at a time on
127.0.0.1 and stopped by their PID:

- ``mlsteward serve models:/bench-gbm@champion`` (ONNX Runtime, as ``--runtime auto`` picks
  when the export held parity) over the Open Inference Protocol, once with the prediction log
  on and once with ``--no-log``: the log's cost is the difference, in the same run;
- ``mlflow models serve --env-manager local`` on the same ``model.joblib`` logged to MLflow's
  own registry (``/invocations``, ``{"inputs": [[...], ...]}``);
- MLServer 1.7 with its scikit-learn runtime on the same ``model.joblib`` (OIP V2), inference
  in its server process (``parallel_workers: 0``: its separate worker fails to start here).

The peers live in their own venvs under ``benchmarks/.venvs/`` (MLflow via
``peers/setup_venvs.sh``, MLServer beside it), created on first use. The load comes from
``wrk`` (a Debian package; POST bodies set by Lua scripts written to a temporary folder) at
concurrency 1 and 32 and batches of 1 and 100 rows. The model's own in-process time
(scikit-learn and ONNX Runtime) is measured in this process. Prints one table of requests/s,
rows/s, p50, p99 and the server's CPU time per request (its process group's, read from
``/proc``: a figure other load on the machine skews far less than throughput) with the ratios
to each peer, then the targets; writes the figures to
``benchmarks/results/serving-<time>.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib

HERE = Path(__file__).resolve().parent
VENVS = HERE / ".venvs"
RESULTS = HERE / "results"
MODEL_NAME = "bench-gbm"
ALIAS_URI = f"models:/{MODEL_NAME}@champion"
FEATURES = 20
SHAPES = ((1, 1), (32, 1), (1, 100), (32, 100))  # (concurrency, batch)
MLSERVER_REQUIREMENTS = ("mlserver==1.7.1", "mlserver-sklearn==1.7.1")


# -- peer venvs ------------------------------------------------------------------------------
def start_peer_installs() -> dict[str, subprocess.Popen[bytes] | None]:
    """Create the missing peer venvs in the background (minutes each); None when ready."""
    import sklearn

    VENVS.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes] | None] = {}
    # MLflow: the shared setup script (idempotent), then the very scikit-learn the model was
    # pickled with, so both peers unpickle the same estimator.
    sk = f"scikit-learn=={sklearn.__version__}"
    scripts = {
        "mlflow": (
            None
            if (VENVS / "mlflow" / f".sklearn-{sklearn.__version__}").exists()
            else f"bash {HERE / 'peers' / 'setup_venvs.sh'} && "
            f"{VENVS / 'mlflow'}/bin/pip install -q '{sk}' && "
            f"touch {VENVS / 'mlflow' / f'.sklearn-{sklearn.__version__}'}"
        ),
        "mlserver": (
            None
            if (VENVS / "mlserver" / ".ready").exists()
            else f"{sys.executable} -m venv {VENVS / 'mlserver'} && "
            f"{VENVS / 'mlserver'}/bin/pip install -q "
            + " ".join(f"'{r}'" for r in (*MLSERVER_REQUIREMENTS, sk))
            + f" && touch {VENVS / 'mlserver' / '.ready'}"
        ),
    }
    for name, script in scripts.items():
        if script is None:
            procs[name] = None
            continue
        log = open(VENVS / f"{name}-install.log", "wb")  # noqa: SIM115 - lives with the process
        procs[name] = subprocess.Popen(["bash", "-c", script], stdout=log, stderr=log)
    return procs


def wait_install(name: str, proc: subprocess.Popen[bytes] | None) -> bool:
    if proc is None:
        return True
    print(f"waiting for the {name} venv (log: {VENVS / f'{name}-install.log'}) ...", flush=True)
    ok = proc.wait() == 0
    if not ok:
        print(benchlib.tail(VENVS / f"{name}-install.log", 10))
    return ok


# -- the model -------------------------------------------------------------------------------
def prepare(workdir: Path) -> dict[str, Any]:
    """Train, save ``model.joblib`` and ``data.npz``, log + register + export in a store."""
    import joblib
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    import mlsteward
    from mlsteward.models import export_onnx, load_model, log_model

    x, y = make_classification(20000, FEATURES, random_state=0)
    x = x.astype(np.float32)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(x, y)
    joblib.dump(model, workdir / "model.joblib")
    np.savez(workdir / "data.npz", x1=x[:1], x1000=x[:1000], y1000=y[:1000])
    store = workdir / "store"
    mlsteward.set_tracking_uri(store)
    with mlsteward.start_run(log_environment=False):
        info = log_model(model, "model", input_example=x[:5], registered_model_name=MODEL_NAME)
    mlsteward.Client().set_registered_model_alias(
        MODEL_NAME, "champion", info.registered_version.version
    )
    export_onnx(ALIAS_URI, sample=x[:1000], sample_targets=y[:1000])
    graph = load_model(ALIAS_URI, runtime="onnx").directory / "onnx" / "model.onnx"
    mlsteward.set_tracking_uri(None)
    return {"store": str(store), "onnx_graph": str(graph)}


def in_process(workdir: Path, graph: str) -> dict[str, dict[int, float]]:
    """Per-call ms of the model itself: scikit-learn ``predict`` and a bare ONNX Runtime
    session on the exported graph (the runtime the data plane serves), batch 1 and 100."""
    import joblib
    import numpy as np

    from mlsteward.plugins.flavors.onnx_flavor import new_session

    x = np.load(workdir / "data.npz")["x1000"]
    model = joblib.load(workdir / "model.joblib")
    session = new_session(Path(graph))  # the options the data plane's runtime uses
    feed_name = session.get_inputs()[0].name
    label = [session.get_outputs()[0].name]
    result: dict[str, dict[int, float]] = {"sklearn": {}, "onnxruntime": {}}
    for batch in (1, 100):
        rows = np.ascontiguousarray(x[:batch])
        contenders: dict[str, Callable[[], Any]] = {
            "sklearn": lambda rows=rows: model.predict(rows),
            "onnxruntime": lambda rows=rows: session.run(label, {feed_name: rows}),
        }
        for name, fn in contenders.items():
            fn()
            one = max(_block(fn, 1), 1e-4)
            calls = max(1, int(100.0 / one))
            result[name][batch] = statistics.median(_block(fn, calls) for _ in range(7))
    return result


def _block(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1000.0


# -- load ------------------------------------------------------------------------------------
def oip_body(rows: list[list[float]], name: str) -> str:
    flat = [value for row in rows for value in row]
    tensor = {"name": name, "shape": [len(rows), FEATURES], "datatype": "FP32", "data": flat}
    return json.dumps({"inputs": [tensor]})


def mlflow_body(rows: list[list[float]]) -> str:
    return json.dumps({"inputs": rows})


def lua_script(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    return path


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, script: Path, concurrency: int, duration_s: float) -> dict[str, Any]:
    """One ``wrk`` run: requests/s, p50/p99 ms and any failed responses."""
    threads = 1 if concurrency == 1 else 2
    argv = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{duration_s:g}s", "--latency"]
    argv += ["--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+(?:us|ms|s|m))", out, re.M))
    if "50" not in percentiles or "99" not in percentiles:
        raise RuntimeError(f"wrk gave no latency percentiles:\n{out}")
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) of the live processes in process group ``pgid``: a
    server's cost per request that load from other processes on the machine does not skew."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def measure_server(
    name: str,
    argv: list[str],
    health: str,
    url: str,
    bodies: dict[int, str],
    env: dict[str, str],
    folder: Path,
    duration_s: float,
    after: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Start one contender, warm it, run every (concurrency, batch) shape, stop it."""
    scripts = {batch: lua_script(folder, f"{name}-{batch}", body) for batch, body in bodies.items()}
    results: dict[str, Any] = {}
    print(f"{name}: starting", flush=True)
    with benchlib.server_process(argv, health, folder / f"{name}.log", env=env) as started:
        results["startup_s"] = started["startup_s"]
        for script in scripts.values():
            run_wrk(url, script, 8, min(2.0, duration_s))  # warm-up, discarded
        for concurrency, batch in SHAPES:
            cpu = group_cpu_s(started["pid"])
            figures = run_wrk(url, scripts[batch], concurrency, duration_s)
            spent = group_cpu_s(started["pid"]) - cpu
            figures["rows_s"] = figures["rps"] * batch
            figures["cpu_ms_per_req"] = spent * 1000 / max(figures["rps"] * duration_s, 1)
            results[f"c{concurrency}_b{batch}"] = figures
            print(
                f"  c={concurrency:<2} batch={batch:<3} {figures['rps']:>9,.0f} req/s "
                f"p50 {figures['p50_ms']:.2f} ms p99 {figures['p99_ms']:.2f} ms "
                f"server CPU {figures['cpu_ms_per_req']:.3f} ms/req"
                + (f"  non-2xx {figures['non_2xx']}" if figures["non_2xx"] else ""),
                flush=True,
            )
        if after is not None:
            results["after"] = after(url)
    return results


def log_stats(base: str) -> Callable[[str], dict[str, Any]]:
    def read(_: str) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            text = response.read().decode()
        found = re.findall(r'mlsteward_prediction_log_records\{state="(\w+)"\} ([\d.e+]+)', text)
        return {state: float(value) for state, value in found}

    return read


# -- contenders ------------------------------------------------------------------------------
def ours(
    workdir: Path, folder: Path, rows: list[list[float]], args: argparse.Namespace, log: bool
) -> dict[str, Any]:
    port = benchlib.free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [str(Path(sys.executable).parent / "mlsteward"), "serve", ALIAS_URI]
    argv += ["--tracking-uri", str(workdir / "store"), "--port", str(port)]
    argv += ["--workers", str(args.workers), "--runtime", "auto"]
    argv += ["--log-root", str(workdir / "predictions")] if log else ["--no-log"]
    env = benchlib.quiet_env({"MLSTEWARD_HOME": str(workdir / "home")})
    name = "mlsteward-log" if log else "mlsteward-nolog"
    bodies = {batch: oip_body(rows[:batch], "input") for batch in (1, 100)}
    return measure_server(
        name,
        argv,
        f"{base}/v2/health/ready",
        f"{base}/v2/models/{MODEL_NAME}/infer",
        bodies,
        env,
        folder,
        args.duration,
        after=log_stats(base) if log else None,
    )


def mlflow_peer(
    workdir: Path, folder: Path, rows: list[list[float]], args: argparse.Namespace
) -> dict[str, Any]:
    python = VENVS / "mlflow" / "bin" / "python"
    env = benchlib.quiet_env(
        {
            "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}",
            # ``mlflow models serve`` runs ``uvicorn`` by name: the venv's, not this one's
            "PATH": f"{VENVS / 'mlflow' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    (workdir / "mlflow").mkdir(exist_ok=True)
    setup = [str(python), str(HERE / "peers" / "mlflow_models.py"), "--workdir", str(workdir)]
    subprocess.run([*setup, "--setup"], check=True, env=env, capture_output=True)
    port = benchlib.free_port()
    argv = [str(VENVS / "mlflow" / "bin" / "mlflow"), "models", "serve", "-m", ALIAS_URI]
    argv += ["--env-manager", "local", "--host", "127.0.0.1", "-p", str(port)]
    base = f"http://127.0.0.1:{port}"
    bodies = {batch: mlflow_body(rows[:batch]) for batch in (1, 100)}
    return measure_server(
        "mlflow", argv, f"{base}/ping", f"{base}/invocations", bodies, env, folder, args.duration
    )


def mlserver_peer(
    workdir: Path, folder: Path, rows: list[list[float]], args: argparse.Namespace
) -> dict[str, Any]:
    models = workdir / "mlserver"
    (models / MODEL_NAME).mkdir(parents=True, exist_ok=True)
    shutil.copy(workdir / "model.joblib", models / MODEL_NAME / "model.joblib")
    (models / MODEL_NAME / "model-settings.json").write_text(
        json.dumps(
            {
                "name": MODEL_NAME,
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib"},
            }
        )
    )
    port = benchlib.free_port()
    (models / "settings.json").write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "http_port": port,
                "grpc_port": benchlib.free_port(),
                "metrics_port": benchlib.free_port(),
                "debug": False,
                # Inference in the server process: MLServer 1.7's separate inference worker
                # fails to start here (uvloop: no current event loop in the worker process).
                "parallel_workers": 0,
            }
        )
    )
    argv = [str(VENVS / "mlserver" / "bin" / "mlserver"), "start", str(models)]
    base = f"http://127.0.0.1:{port}"
    bodies = {batch: oip_body(rows[:batch], "input-0") for batch in (1, 100)}
    env = benchlib.quiet_env(
        {"PATH": f"{VENVS / 'mlserver' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    )
    return measure_server(
        "mlserver",
        argv,
        f"{base}/v2/models/{MODEL_NAME}/ready",
        f"{base}/v2/models/{MODEL_NAME}/infer",
        bodies,
        env,
        folder,
        args.duration,
    )


# -- report ----------------------------------------------------------------------------------
def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a and b else "-"


def report(result: dict[str, Any]) -> None:
    servers: dict[str, dict[str, Any]] = result["servers"]
    model = result["in_process"]
    print("\nIn-process model time (per call):")
    for runtime, times in model.items():
        print(
            f"  {runtime:<12} batch 1 {times[1]:.3f} ms   batch 100 {times[100]:.3f} ms "
            f"({100 / times[100] * 1000:,.0f} rows/s)"
        )
    peers = [name for name in ("mlflow", "mlserver") if name in servers]
    head = f"{'server':<16} {'shape':<12} {'req/s':>9} {'rows/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    head += f" {'CPU ms/req':>10}"
    head += "".join(f" {'vs ' + p:>12}" for p in peers)
    print("\n" + head)
    for name, figures in servers.items():
        for concurrency, batch in SHAPES:
            f = figures[f"c{concurrency}_b{batch}"]
            line = (
                f"{name:<16} c={concurrency:<2} b={batch:<5} {f['rps']:>9,.0f} "
                f"{f['rows_s']:>10,.0f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} "
                f"{f['cpu_ms_per_req']:>10.3f}"
            )
            for peer in peers:
                line += f" {_ratio(f['rps'], servers[peer][f'c{concurrency}_b{batch}']['rps']):>12}"
            print(line)
    if "after" in servers.get("mlsteward-log", {}):
        print(f"\nprediction log counts after the run: {servers['mlsteward-log']['after']}")
    targets(result)


def targets(result: dict[str, Any]) -> None:
    servers = result["servers"]
    on, off = servers["mlsteward-log"], servers["mlsteward-nolog"]
    ort = result["in_process"]["onnxruntime"]
    lines: list[tuple[str, str, bool | None]] = []
    flow = servers.get("mlflow")
    if flow:
        ratio = on["c32_b1"]["rps"] / flow["c32_b1"]["rps"]
        lines.append(("c=32 batch 1: >= 5x MLflow req/s", f"{ratio:.1f}x", ratio >= 5))
    p99 = on["c32_b1"]["p99_ms"]
    lines.append(("c=32 batch 1: p99 < 50 ms", f"{p99:.2f} ms", p99 < 50))
    gap = on["c1_b1"]["p50_ms"] - ort[1]
    lines.append(
        ("c=1 batch 1: p50 within 1 ms of in-process (ONNX Runtime)", f"+{gap:.2f} ms", gap <= 1)
    )
    for shape, unit in (("c32_b1", "req/s"), ("c32_b100", "rows/s")):
        key = "rps" if unit == "req/s" else "rows_s"
        cost = 1 - on[shape][key] / off[shape][key]
        lines.append((f"log cost < 10% ({shape}, {unit})", f"{cost * 100:.1f}%", cost < 0.10))
    for shape in ("c32_b1", "c32_b100"):
        extra = on[shape]["cpu_ms_per_req"] / off[shape]["cpu_ms_per_req"] - 1
        lines.append(
            (
                f"log cost in server CPU per request < 10% ({shape})",
                f"{extra * 100:.1f}%",
                extra < 0.1,
            )
        )
    if flow:
        ratio = on["c32_b100"]["rows_s"] / flow["c32_b100"]["rows_s"]
        lines.append(("batch 100: >= 5x MLflow rows/s (c=32)", f"{ratio:.1f}x", ratio >= 5))
    share = on["c32_b100"]["rows_s"] / (100 / ort[100] * 1000)
    lines.append(
        ("batch 100: >= 70% of ONNX Runtime in-process rows/s", f"{share * 100:.0f}%", share >= 0.7)
    )
    print("\nTargets (prediction log on):")
    for text, value, ok in lines:
        print(f"  [{'ok' if ok else 'MISS'}] {text}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per run instead of 10")
    parser.add_argument("--skip-peers", action="store_true", help="mlsteward only")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=1, help="mlsteward serve --workers")
    args = parser.parse_args()
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    installs = {} if args.skip_peers else start_peer_installs()
    workdir = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    folder = workdir / "run"
    folder.mkdir()
    try:
        print(f"training and registering the model in {workdir} ...", flush=True)
        os.environ.setdefault("MLSTEWARD_HOME", str(workdir / "home"))
        prepared = prepare(workdir)
        model_times = in_process(workdir, prepared["onnx_graph"])
        import numpy as np

        rows = np.load(workdir / "data.npz")["x1000"][:100].tolist()
        servers: dict[str, Any] = {}
        servers["mlsteward-log"] = ours(workdir, folder, rows, args, log=True)
        servers["mlsteward-nolog"] = ours(workdir, folder, rows, args, log=False)
        for name, run in (("mlflow", mlflow_peer), ("mlserver", mlserver_peer)):
            if name in installs and wait_install(name, installs[name]):
                try:
                    servers[name] = run(workdir, folder, rows, args)
                except (RuntimeError, subprocess.CalledProcessError) as error:
                    print(f"{name}: failed: {str(error)[-2000:]}")
        result = {
            "machine": benchlib.machine_info(),
            "duration_s": args.duration,
            "workers": args.workers,
            "prepared": prepared,
            "in_process": model_times,
            "servers": servers,
        }
        report(result)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"serving-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(result, indent=1))
        print(f"\nfigures: {out}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
