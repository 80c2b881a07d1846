"""The prediction log: writer throughput, one ID among millions, a one-hour query.

    python benchmarks/bench_prediction_log.py [--records 2000000] [--root DIR]

Writes ``--records`` predictions spread over three hours of IDs through one
``PredictionLogWriter`` (the producer waits when the queue is full, so nothing is dropped and
the figure is what the writer sustains), then times ``get()`` of random IDs (a fresh reader
each time, so no listing is cached) and a query of one hour. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time

from mlsteward.domain.prediction_ids import PredictionIdGenerator
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import PredictionLogReader, PredictionLogWriter

HOUR_MS = 3_600_000


def _records(count: int, start_ms: int, span_ms: int) -> list[PredictionRecord]:
    ids = PredictionIdGenerator()
    step = span_ms / count
    made = []
    for i in range(count):
        now = start_ms + int(i * step)
        made.append(
            PredictionRecord(
                prediction_id=ids.new(now),
                deployment="churn",
                model_name="churn",
                model_version=3,
                route="canary" if i % 10 == 0 else "stable",
                time_ms=now,
                latency_ms=1.2,
                rows=1,
                inputs={f"f{j}": [round(random.random(), 6)] for j in range(20)},
                outputs={"prediction": [i % 2], "probability": [0.73]},
            )
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--root", default=None)
    args = parser.parse_args()
    root = args.root or tempfile.mkdtemp(prefix="bench-prediction-log-")
    start_ms = (int(time.time() * 1000) // HOUR_MS - 5) * HOUR_MS
    print(f"Making {args.records:,} records (20 float inputs each) ...")
    records = _records(args.records, start_ms, 3 * HOUR_MS)

    writer = PredictionLogWriter(root, queue_size=50_000, flush_rows=5_000).start()
    began = time.perf_counter()
    submit_s = 0.0
    for record in records:
        t0 = time.perf_counter()
        accepted = writer.submit(record)
        submit_s += time.perf_counter() - t0
        while not accepted:  # the benchmark waits; a data plane would count a drop
            time.sleep(0.001)
            accepted = writer.submit(record)
    writer.close(timeout=600)
    elapsed = time.perf_counter() - began
    stats = writer.stats()
    print(
        f"written {stats['written']:,} records in {elapsed:.1f} s: "
        f"{stats['written'] / elapsed:,.0f} records/s end to end "
        f"(submit() {submit_s / stats['submitted'] * 1e6:.2f} us per call; "
        f"refused while full {stats['dropped']:,})"
    )

    sample = random.sample(records, args.lookups)
    timings = []
    for record in sample:
        reader = PredictionLogReader(root)
        t0 = time.perf_counter()
        found = reader.get(record.prediction_id, "churn")
        timings.append(time.perf_counter() - t0)
        assert found is not None and found.prediction_id == record.prediction_id
    timings.sort()
    print(
        f"get(id, deployment) among {args.records:,}: "
        f"p50 {statistics.median(timings) * 1e3:.1f} ms,"
        f" p99 {timings[int(len(timings) * 0.99) - 1] * 1e3:.1f} ms, max {timings[-1] * 1e3:.1f} ms"
    )
    timings = []
    for record in sample[:20]:
        t0 = time.perf_counter()
        PredictionLogReader(root).get(record.prediction_id)
        timings.append(time.perf_counter() - t0)
    print(f"get(id) without the deployment: p50 {statistics.median(timings) * 1e3:.1f} ms")

    reader = PredictionLogReader(root)
    t0 = time.perf_counter()
    table = reader.query("churn", start_ms + HOUR_MS, start_ms + 2 * HOUR_MS)
    took = time.perf_counter() - t0
    print(
        f"query of one hour: {table.num_rows:,} rows in {took:.2f} s "
        f"({table.num_rows / took:,.0f} rows/s)"
    )
    t0 = time.perf_counter()
    table = reader.query(
        "churn",
        start_ms + HOUR_MS,
        start_ms + 2 * HOUR_MS,
        columns=["prediction_id", "latency_ms", "route"],
    )
    took = time.perf_counter() - t0
    print(f"query of one hour, 3 columns: {table.num_rows:,} rows in {took:.2f} s")
    if args.root is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
