"""Batch scoring on Ray (``engine="ray"``) against the local engine, on the same input.

    python benchmarks/bench_batch_ray.py [--rows 2000000] [--chunk-size 100000]

The model and input are those of ``bench_batch_scoring.py``: a GradientBoostingClassifier
(100 trees, depth 3) exported to ONNX, ``--rows`` rows of 20 float32 features in Parquet.
Each engine runs in a fresh process (output a Parquet folder, ``log=False``):

* ``local``: ``predict_batch(engine="local")``;
* ``ray``: ``ray.init(num_cpus=CPUs)`` timed apart (Ray's fixed start-up), then
  ``predict_batch(engine="ray")``, with the time to the first finished chunk (workers
  started and the model loaded on each).

Prints rows/s of each, the ratio ray / local with and without Ray's start-up, and the
start-up costs. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_batch_scoring import MODEL_URI, _build_store, _write_rows


def _child(engine: str, uri: str, source: str, output: str, chunk_size: int) -> dict[str, Any]:
    import mlsteward

    init_s = 0.0
    if engine == "ray":
        import ray

        started = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - started
    first: list[float] = []

    def progress(done: int, total: int | None) -> None:
        if not first:
            first.append(time.perf_counter())

    client = mlsteward.Client(uri)
    started = time.perf_counter()
    report = client.predict_batch(
        MODEL_URI,
        source,
        output,
        chunk_size=chunk_size,
        runtime="onnx",
        keep_columns=[],
        log=False,
        restart=True,
        engine=engine,
        progress=progress,
    )
    seconds = time.perf_counter() - started
    if engine == "ray":
        import ray

        ray.shutdown()
    return {
        "rows": report.rows,
        "seconds": seconds,
        "rows_per_s": report.rows / seconds,
        "init_s": init_s,
        "first_chunk_s": first[0] - started if first else seconds,
    }


def _measure(engine: str, uri: str, source: Path, output: Path, chunk_size: int) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", engine, uri, str(source), str(output)]
    done = subprocess.run(
        [*args, "--chunk-size", str(chunk_size)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "URI", "SOURCE", "OUTPUT"))
    args = parser.parse_args()
    if args.child:
        engine, uri, source, output = args.child
        print(json.dumps(_child(engine, uri, source, output, args.chunk_size)))
        return
    with tempfile.TemporaryDirectory(prefix="mlsteward-bench-ray-") as tmp:
        root = Path(tmp)
        uri = _build_store(root)
        source = root / "rows.parquet"
        _write_rows(source, args.rows)
        local = _measure("local", uri, source, root / "out-local", args.chunk_size)
        on_ray = _measure("ray", uri, source, root / "out-ray", args.chunk_size)
    print(
        f"rows {args.rows:,} x 20 float32, chunks of {args.chunk_size:,}, ONNX runtime, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"  local engine {local['rows_per_s']:>12,.0f} rows/s  ({local['seconds']:.1f} s)")
    print(f"  ray engine   {on_ray['rows_per_s']:>12,.0f} rows/s  ({on_ray['seconds']:.1f} s)")
    print(f"  ratio ray / local: {on_ray['rows_per_s'] / local['rows_per_s']:.2f}")
    with_init = args.rows / (on_ray["seconds"] + on_ray["init_s"])
    print(f"  ratio with ray.init included: {with_init / local['rows_per_s']:.2f}")
    print(
        f"  Ray's fixed start-up: ray.init {on_ray['init_s']:.1f} s; first chunk finished "
        f"after {on_ray['first_chunk_s']:.1f} s on Ray, {local['first_chunk_s']:.1f} s locally"
    )


if __name__ == "__main__":
    main()
