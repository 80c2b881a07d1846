"""MLflow's side of the model-serving benchmark (``benchmarks/bench_models.py``).

Runs with the MLflow peer venv (``benchmarks/.venvs/mlflow``), on the very model file the
mlsteward side trained (same scikit-learn version in both venvs, checked by the driver):

    python peers/mlflow_models.py --workdir W --setup     # log W/model.joblib, alias champion
    python peers/mlflow_models.py --workdir W --cold      # one cold pyfunc load, fresh process
    python peers/mlflow_models.py --workdir W --measure   # warm loads, predict latency

Each mode prints one JSON object on stdout. Loads go through MLflow's registry by alias
(``models:/bench-gbm@champion``), like the mlsteward side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

MODEL_NAME = "bench-gbm"


def per_call_ms(fn: Callable[[], Any], rounds: int, budget_s: float = 0.15) -> dict[str, Any]:
    """Median and min per-call time over ``rounds`` blocks, each about ``budget_s`` long."""
    fn()
    start = time.perf_counter()
    fn()
    one = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(budget_s / one))
    blocks = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        blocks.append((time.perf_counter() - start) / calls * 1000.0)
    return {"ms": statistics.median(blocks), "ms_min": min(blocks), "calls_per_block": calls}


def setup(workdir: Path) -> dict[str, Any]:
    import joblib
    import mlflow
    import numpy as np

    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}")
    mlflow.set_experiment("bench-models")
    model = joblib.load(workdir / "model.joblib")
    example = np.load(workdir / "data.npz")["x1000"][:5]
    start = time.perf_counter()
    with mlflow.start_run():
        # cloudpickle, MLflow's format before skops became its default: like mlsteward's
        # joblib it is pickle, so both sides deserialize the same way.
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=example,
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
            registered_model_name=MODEL_NAME,
        )
    log_ms = (time.perf_counter() - start) * 1000
    version = info.registered_model_version
    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, "champion", str(version))
    return {
        "model_uri": f"models:/{MODEL_NAME}@champion",
        "run_model_uri": info.model_uri,
        "log_model_ms": log_ms,
    }


def cold(workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    import mlflow
    import numpy as np

    imported = time.perf_counter()
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}")
    uri = json.loads((workdir / "mlflow_setup.json").read_text())["model_uri"]
    begin = time.perf_counter()
    model = mlflow.pyfunc.load_model(uri)
    loaded = time.perf_counter()
    model.predict(np.load(workdir / "data.npz")["x1"])
    return {
        "import_ms": (imported - started) * 1000,
        "load_ms": (loaded - begin) * 1000,
        "first_predict_ms": (time.perf_counter() - loaded) * 1000,
    }


def measure(workdir: Path, rounds: int) -> dict[str, Any]:
    import mlflow
    import numpy as np
    import sklearn

    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}")
    uri = json.loads((workdir / "mlflow_setup.json").read_text())["model_uri"]
    data = np.load(workdir / "data.npz")
    x1, x1000 = data["x1"], data["x1000"]
    model = mlflow.pyfunc.load_model(uri)
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        mlflow.pyfunc.load_model(uri)
        warm.append((time.perf_counter() - start) * 1000)
    raw = mlflow.sklearn.load_model(uri)
    assert np.array_equal(model.predict(x1000), raw.predict(x1000))
    return {
        "versions": {
            "mlflow": mlflow.__version__,
            "sklearn": sklearn.__version__,
            "python": sys.version.split()[0],
        },
        "warm_load_ms": statistics.median(warm),
        "warm_load_ms_all": warm,
        "predict": {
            "pyfunc_b1": per_call_ms(lambda: model.predict(x1), rounds),
            "pyfunc_b1000": per_call_ms(lambda: model.predict(x1000), rounds),
            "sklearn_b1": per_call_ms(lambda: raw.predict(x1), rounds),
            "sklearn_b1000": per_call_ms(lambda: raw.predict(x1000), rounds),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--setup", action="store_true")
    mode.add_argument("--cold", action="store_true")
    mode.add_argument("--measure", action="store_true")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.setup:
        result = setup(args.workdir)
        (args.workdir / "mlflow_setup.json").write_text(json.dumps(result))
    elif args.cold:
        result = cold(args.workdir)
    else:
        result = measure(args.workdir, args.rounds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
