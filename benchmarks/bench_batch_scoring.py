"""Batch scoring against in-process ``predict`` on the same chunks, and its memory.

    python benchmarks/bench_batch_scoring.py [--rows 10000000] [--chunk-size 100000]

A GradientBoostingClassifier (100 trees, depth 3) trained on ``make_classification(20000,
20)`` is logged (20 float32 columns), registered and exported to ONNX. ``--rows`` rows of 20
float32 features are written to a Parquet file in a temporary folder, then each measurement
runs in a fresh process (so peak memory is its own):

* ``in-process``: ``load_model(uri, runtime="onnx")``, then ``predict`` on each chunk of
  ``ParquetFile.iter_batches(chunk_size)`` converted to pandas: the peer, scoring the same
  chunks and keeping nothing;
* ``predict_batch``: the same model and file through ``Client.predict_batch`` (ONNX runtime,
  output a Parquet folder of prediction IDs and predictions, ``log=False``), at ``--rows`` and
  at a tenth of it, for memory flat in the row count;
* ``predict_batch + log``: at ``--log-rows`` rows, with the prediction log on (one record
  per row), to show what logging costs.

Prints rows/s of each, the ratio batch / in-process, and peak RSS. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FEATURES = [f"f{i}" for i in range(20)]
MODEL_URI = "models:/bench-gbt/1"


def _write_rows(path: Path, rows: int, seed: int = 1) -> None:
    """``rows`` rows of 20 float32 features, written 1M at a time (bounded memory)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    schema = pa.schema([(name, pa.float32()) for name in FEATURES])
    with pq.ParquetWriter(path, schema) as writer:
        left = rows
        while left:
            count = min(left, 1_000_000)
            block = rng.normal(size=(count, 20)).astype(np.float32)
            writer.write_table(pa.table(dict(zip(FEATURES, block.T, strict=True)), schema=schema))
            left -= count


def _build_store(root: Path) -> str:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    import mlsteward
    from mlsteward.models import export_onnx, log_model

    uri = str(root / "store")
    mlsteward.set_tracking_uri(uri)
    x, y = make_classification(n_samples=20_000, n_features=20, random_state=0)
    frame = pd.DataFrame(x.astype(np.float32), columns=FEATURES)
    model = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0).fit(frame, y)
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=frame.head(5))
    mlsteward.register_model(info.model_uri, "bench-gbt")
    record = export_onnx(MODEL_URI, sample=frame.head(2_000))
    if not record.parity_ok:
        raise SystemExit("the ONNX export's parity did not hold: nothing to compare")
    mlsteward.set_tracking_uri(None)
    return uri


def _peak_rss_mb() -> float:
    """This process's peak resident memory: ``VmHWM`` (reset by exec, unlike ``ru_maxrss``,
    which a child inherits from the large parent that forked it)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB elsewhere


def _child(mode: str, uri: str, source: str, output: str, chunk_size: int) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import pyarrow.parquet as pq

    import mlsteward
    from mlsteward.interfaces.sdk.models.load import load_model

    if mode == "in-process":
        mlsteward.set_tracking_uri(uri)
        model = load_model(MODEL_URI, runtime="onnx")
        rows = 0
        started = time.perf_counter()
        # the reader predict_batch uses (pre-buffering keeps the whole file in memory)
        for batch in pq.ParquetFile(source, pre_buffer=False).iter_batches(batch_size=chunk_size):
            model.predict(batch.to_pandas())
            rows += batch.num_rows
        seconds = time.perf_counter() - started
    else:
        client = mlsteward.Client(uri)
        started = time.perf_counter()
        report = client.predict_batch(
            MODEL_URI,
            source,
            output,
            chunk_size=chunk_size,
            runtime="onnx",
            keep_columns=[],
            log=mode == "batch-log",
            log_as="bench-gbt-batch",
            restart=True,
        )
        seconds = time.perf_counter() - started
        rows = report.rows
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "rss_mb": _peak_rss_mb(),
    }


def _measure(mode: str, uri: str, source: Path, output: Path, chunk_size: int) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", mode, uri, str(source), str(output)]
    done = subprocess.run(
        [*args, "--chunk-size", str(chunk_size)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--log-rows", type=int, default=200_000)
    parser.add_argument("--child", nargs=4, metavar=("MODE", "URI", "SOURCE", "OUTPUT"))
    args = parser.parse_args()
    if args.child:
        mode, uri, source, output = args.child
        print(json.dumps(_child(mode, uri, source, output, args.chunk_size)))
        return
    with tempfile.TemporaryDirectory(prefix="mlsteward-bench-batch-") as tmp:
        root = Path(tmp)
        uri = _build_store(root)
        small_rows = max(args.rows // 10, 1)
        sources = {args.rows: root / "rows.parquet", small_rows: root / "small.parquet"}
        for rows, path in sources.items():
            _write_rows(path, rows)
        log_source = root / "logged.parquet"
        _write_rows(log_source, args.log_rows)
        peer = _measure("in-process", uri, sources[args.rows], root / "unused", args.chunk_size)
        batch = _measure("batch", uri, sources[args.rows], root / "out", args.chunk_size)
        small = _measure("batch", uri, sources[small_rows], root / "out-small", args.chunk_size)
        logged = _measure("batch-log", uri, log_source, root / "out-log", args.chunk_size)
    print(f"rows {args.rows:,} x 20 float32, chunks of {args.chunk_size:,}, ONNX runtime")
    print(f"  in-process predict   {peer['rows_per_s']:>12,.0f} rows/s  ({peer['seconds']:.1f} s)")
    print(
        f"  predict_batch        {batch['rows_per_s']:>12,.0f} rows/s  ({batch['seconds']:.1f} s)"
    )
    print(f"  ratio batch / in-process: {batch['rows_per_s'] / peer['rows_per_s']:.2f}")
    print(
        f"  peak RSS: in-process {peer['rss_mb']:.0f} MB; predict_batch {small['rss_mb']:.0f} MB "
        f"at {small_rows:,} rows, {batch['rss_mb']:.0f} MB at {args.rows:,} rows"
    )
    print(
        f"  predict_batch with the prediction log on ({args.log_rows:,} rows): "
        f"{logged['rows_per_s']:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
