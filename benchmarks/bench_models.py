"""Model loading and prediction: mlsteward against scikit-learn, ONNX Runtime and MLflow pyfunc.

    flock /tmp/mlsteward-bench.lock python benchmarks/bench_models.py [--quick] [--no-mlflow]

Trains one gradient-boosting classifier (500 trees, 20 features; ``--quick``: 100 trees),
logs it with ``mlsteward.log_model``, registers it with the alias ``champion`` and exports it
with ``mlsteward.export_onnx``, then measures, on this one model:

- ``load_model("models:/bench-gbm@champion")`` cold (a fresh process, empty model cache) and
  warm (same process, again), and warm by its ``runs:/`` URI (the alias lookup's share);
- predict latency per call at batch 1 and 1,000 for: the scikit-learn estimator itself, a
  bare ONNX Runtime session on the exported graph, mlsteward's loaded model on each runtime
  (native and onnx), and MLflow's pyfunc (``mlflow.pyfunc.load_model`` on the same
  ``model.joblib``, logged with ``mlflow.sklearn.log_model`` in ``benchmarks/.venvs/mlflow``
  and loaded by the same alias from MLflow's own registry).

The in-process contenders are timed in interleaved rounds so that load from other processes
hits them alike; mlsteward's overhead is the median of per-round differences to the raw
runtime it wraps. Results go to ``benchmarks/results/models-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
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
PEER_PYTHON = HERE / ".venvs" / "mlflow" / "bin" / "python"
RESULTS = HERE / "results"
TARGET_OVERHEAD_MS = 0.05
TARGET_WARM_LOAD_MS = 200.0
MODEL_NAME = "bench-gbm"
ALIAS_URI = f"models:/{MODEL_NAME}@champion"


def _block(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1000.0


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Per-call ms of each contender, ``rounds`` blocks each, taken in turn."""
    calls: dict[str, int] = {}
    for name, fn in contenders.items():
        fn()
        calls[name] = max(1, int(0.1 / max(_block(fn, 1) / 1000.0, 1e-7)))
    blocks: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            blocks[name].append(_block(fn, calls[name]))
    return blocks


def child_cold(workdir: Path, uri: str, runtime: str) -> None:
    """One cold load in this fresh process; prints JSON."""
    started = time.perf_counter()
    import numpy as np

    import mlsteward
    from mlsteward.models import load_model

    imported = time.perf_counter()
    mlsteward.set_tracking_uri(workdir / "store")
    begin = time.perf_counter()
    model = load_model(uri, runtime=runtime)
    loaded = time.perf_counter()
    model.predict(np.load(workdir / "data.npz")["x1"])
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "load_ms": (loaded - begin) * 1000,
                "first_predict_ms": (time.perf_counter() - loaded) * 1000,
            }
        )
    )


def prepare(workdir: Path, trees: int) -> dict[str, Any]:
    import joblib
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = make_classification(5000, 20, n_informative=10, random_state=0)
    start = time.perf_counter()
    model = GradientBoostingClassifier(n_estimators=trees, max_depth=3, random_state=0).fit(x, y)
    fit_s = time.perf_counter() - start
    joblib.dump(model, workdir / "model.joblib")
    np.savez(workdir / "data.npz", x1=x[:1], x1000=x[:1000], y1000=y[:1000])
    return {"trees": trees, "features": 20, "train_rows": 5000, "fit_s": round(fit_s, 1)}


def ours(workdir: Path, rounds: int, cold_repeats: int) -> dict[str, Any]:
    import joblib
    import numpy as np

    import mlsteward
    from mlsteward.models import export_onnx, load_model, log_model
    from mlsteward.plugins.flavors.onnx_flavor import new_session

    mlsteward.set_tracking_uri(workdir / "store")
    data = np.load(workdir / "data.npz")
    x1, x1000 = data["x1"], data["x1000"]
    model = joblib.load(workdir / "model.joblib")
    with mlsteward.start_run(log_environment=False):
        start = time.perf_counter()
        info = log_model(model, "model", input_example=x1000[:5], registered_model_name=MODEL_NAME)
        log_ms = (time.perf_counter() - start) * 1000
    mlsteward.Client().set_registered_model_alias(
        MODEL_NAME, "champion", info.registered_version.version
    )
    start = time.perf_counter()
    record = export_onnx(ALIAS_URI, sample=x1000, sample_targets=data["y1000"])
    export_ms = (time.perf_counter() - start) * 1000

    cold: dict[str, list[dict[str, float]]] = {"native": [], "onnx": []}
    for runtime in cold:
        for i in range(cold_repeats):
            env = benchlib.quiet_env(
                {"MLSTEWARD_MODEL_CACHE": str(workdir / f"cache-{runtime}-{i}")}
            )
            argv = [sys.executable, __file__, "--child-cold", str(workdir), ALIAS_URI, runtime]
            done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
            cold[runtime].append(json.loads(done.stdout))

    native = load_model(ALIAS_URI)
    onnx = load_model(ALIAS_URI, runtime="onnx")
    warm: dict[str, list[float]] = {"native": [], "onnx": [], "native_runs_uri": []}
    for key, uri, runtime in (
        ("native", ALIAS_URI, "native"),
        ("onnx", ALIAS_URI, "onnx"),
        ("native_runs_uri", info.model_uri, "native"),
    ):
        for _ in range(10):
            start = time.perf_counter()
            load_model(uri, runtime=runtime)
            warm[key].append((time.perf_counter() - start) * 1000)

    # The bare session gets the same options as mlsteward's (plain ONNX Runtime defaults).
    session = new_session(onnx.directory / "onnx" / "model.onnx")
    label = [session.get_outputs()[0].name]
    assert np.array_equal(native.predict(x1000), model.predict(x1000))
    predict: dict[str, Any] = {}
    for batch, x in (("b1", x1), ("b1000", x1000)):
        feed = {"input": x.astype(np.float32)}
        # Each wrapper is interleaved with its own raw runtime only: ONNX Runtime's spinning
        # worker threads would otherwise slow whatever runs right after them.
        sk = interleaved(
            {"sklearn": lambda x=x: model.predict(x), "ours_native": lambda x=x: native.predict(x)},
            rounds,
        )
        rt = interleaved(
            {
                "onnxruntime": lambda feed=feed: session.run(label, feed),
                "ours_onnx": lambda x=x: onnx.predict(x),
            },
            rounds,
        )
        blocks = {**sk, **rt}
        predict[batch] = {name: statistics.median(v) for name, v in blocks.items()}
        predict[batch]["overhead_native"] = statistics.median(
            a - b for a, b in zip(blocks["ours_native"], blocks["sklearn"], strict=True)
        )
        predict[batch]["overhead_onnx"] = statistics.median(
            a - b for a, b in zip(blocks["ours_onnx"], blocks["onnxruntime"], strict=True)
        )
    # Signature enforcement alone (the part mlsteward adds), on the fast path (an array of
    # the signature's dtype) and on a one-row DataFrame that has to be converted.
    import pandas as pd

    prepare_input = native._prepare
    frame1 = pd.DataFrame(x1)
    enforcement = {
        name: statistics.median(blocks)
        for name, blocks in interleaved(
            {"array_b1": lambda: prepare_input(x1), "dataframe_b1": lambda: prepare_input(frame1)},
            rounds,
        ).items()
    }
    return {
        "model_uri": ALIAS_URI,
        "run_model_uri": info.model_uri,
        "enforcement_ms": enforcement,
        "log_model_ms": log_ms,
        "export_onnx_ms": export_ms,
        "parity": record.parity,
        "parity_ok": record.parity_ok,
        "cold": {
            rt: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            for rt, runs in cold.items()
        },
        "warm_load_ms": {rt: statistics.median(v) for rt, v in warm.items()},
        "predict": predict,
    }


def peer(workdir: Path, rounds: int, cold_repeats: int) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        subprocess.run(
            ["bash", str(HERE / "peers" / "setup_venvs.sh")], check=True, stdout=sys.stderr
        )
    script = str(HERE / "peers" / "mlflow_models.py")

    def run(*flags: str) -> dict[str, Any]:
        argv = [str(PEER_PYTHON), script, "--workdir", str(workdir), *flags]
        done = subprocess.run(argv, capture_output=True, text=True, env=benchlib.quiet_env())
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    setup = run("--setup")
    colds = [run("--cold") for _ in range(cold_repeats)]
    measured = run("--measure", "--rounds", str(rounds))
    return {
        **setup,
        "cold": {k: statistics.median(c[k] for c in colds) for k in colds[0]},
        **measured,
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:,.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "—"


def report(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    mine, theirs = result["mlsteward"], result.get("mlflow") or {}
    console = Console(width=150)
    load = Table(
        title=f"load_model({ALIAS_URI!r}), ms ({result['model']['trees']}-tree GBM, 20 features)"
    )
    for column in ("", "mlsteward native", "mlsteward onnx", "MLflow pyfunc", "native / MLflow"):
        load.add_column(column, justify="right" if column else "left")
    cold_mlflow = (theirs.get("cold") or {}).get("load_ms")
    load.add_row(
        "cold by alias (fresh process)",
        _fmt(mine["cold"]["native"]["load_ms"]),
        _fmt(mine["cold"]["onnx"]["load_ms"]),
        _fmt(cold_mlflow),
        _ratio(mine["cold"]["native"]["load_ms"], cold_mlflow),
    )
    load.add_row(
        f"warm by alias (target < {TARGET_WARM_LOAD_MS:.0f})",
        _fmt(mine["warm_load_ms"]["native"]),
        _fmt(mine["warm_load_ms"]["onnx"]),
        _fmt(theirs.get("warm_load_ms")),
        _ratio(mine["warm_load_ms"]["native"], theirs.get("warm_load_ms")),
    )
    by_run = mine["warm_load_ms"].get("native_runs_uri")
    load.add_row("warm by runs:/ URI", _fmt(by_run), "", "", "")
    console.print(load)
    table = Table(title="predict, ms per call (median of interleaved rounds)")
    columns = (
        "batch", "sklearn", "ours native", "+overhead", "ONNX Runtime", "ours onnx", "+overhead",
        "MLflow pyfunc", "+overhead", "ours native / MLflow", "ours onnx / MLflow",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for batch in ("b1", "b1000"):
        p = mine["predict"][batch]
        peer_predict = theirs.get("predict") or {}
        flow = (peer_predict.get(f"pyfunc_{batch}") or {}).get("ms")
        flow_raw = (peer_predict.get(f"sklearn_{batch}") or {}).get("ms")
        flow_overhead = f"{(flow - flow_raw) * 1000:+.1f} µs" if flow and flow_raw else "—"
        table.add_row(
            batch.removeprefix("b"),
            _fmt(p["sklearn"]),
            _fmt(p["ours_native"]),
            f"{p['overhead_native'] * 1000:+.1f} µs",
            _fmt(p["onnxruntime"]),
            _fmt(p["ours_onnx"]),
            f"{p['overhead_onnx'] * 1000:+.1f} µs",
            _fmt(flow),
            flow_overhead,
            _ratio(p["ours_native"], flow),
            _ratio(p["ours_onnx"], flow),
        )
    console.print(table)
    b1 = mine["predict"]["b1"]
    verdicts = {
        "overhead at batch 1 < 0.05 ms (native)": b1["overhead_native"] < TARGET_OVERHEAD_MS,
        "overhead at batch 1 < 0.05 ms (onnx)": b1["overhead_onnx"] < TARGET_OVERHEAD_MS,
        "warm load by alias < 200 ms": mine["warm_load_ms"]["native"] < TARGET_WARM_LOAD_MS,
        "ONNX parity held": mine["parity_ok"],
    }
    for name, met in verdicts.items():
        console.print(f"  {'met' if met else 'NOT MET'}: {name}")
    enforcement = mine.get("enforcement_ms") or {}
    if enforcement:
        console.print(
            "  signature enforcement alone, batch 1: "
            + ", ".join(
                f"{k.removesuffix('_b1')} input {v * 1000:.1f} µs" for k, v in enforcement.items()
            )
        )
    console.print(
        "  +overhead: median per-round difference to the raw runtime in the same process "
        "(MLflow's: pyfunc minus its own sklearn estimator, timed in its process). Figures "
        "from different processes were taken at different moments: on a shared machine, "
        "compare overheads rather than absolute times."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 trees, fewer rounds")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--child-cold", nargs=3, metavar=("WORKDIR", "URI", "RUNTIME"))
    args = parser.parse_args()
    if args.child_cold:
        workdir, uri, runtime = args.child_cold
        child_cold(Path(workdir), uri, runtime)
        return
    trees, rounds, cold_repeats = (100, 7, 2) if args.quick else (500, 21, 3)
    rounds = args.rounds or rounds
    with tempfile.TemporaryDirectory(prefix="mlsteward-bench-models-") as tmp:
        workdir = Path(tmp)
        os.environ["MLSTEWARD_HOME"] = str(workdir / "home")
        print(f"training a {trees}-tree model ...", file=sys.stderr)
        result: dict[str, Any] = {
            "machine": benchlib.machine_info(),
            "model": prepare(workdir, trees),
        }
        print("mlsteward ...", file=sys.stderr)
        result["mlsteward"] = ours(workdir, rounds, cold_repeats)
        if not args.no_mlflow:
            print("MLflow (peer venv) ...", file=sys.stderr)
            try:
                result["mlflow"] = peer(workdir, rounds, cold_repeats)
            except (RuntimeError, subprocess.CalledProcessError) as error:
                result["mlflow"] = {"error": str(error)}
                print(error, file=sys.stderr)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in (f"models-{stamp}.json", "models-latest.json"):
        (RESULTS / name).write_text(json.dumps(result, indent=2, default=str))
    report(result)


if __name__ == "__main__":
    main()
