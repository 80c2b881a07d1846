"""Evidently 0.7 DataDriftPreset on the drift benchmark's data.

Run by ``benchmarks/bench_drift.py`` with the interpreter of its own virtual environment
(``benchmarks/.venvs/evidently``; Evidently 0.7 needs pandas < 3). Prints one JSON line:
timings of loading and computing, resident memory after imports and at peak.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(ref_path: str, cur_path: str) -> None:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    baseline = rss_mb()
    t0 = time.perf_counter()
    ref = pd.read_parquet(ref_path)
    cur = pd.read_parquet(cur_path)
    t1 = time.perf_counter()
    numeric = [c for c in ref.columns if c.startswith("x")]
    categorical = [c for c in ref.columns if c.startswith("c")]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )
    doc = snapshot.dict()
    t2 = time.perf_counter()
    drifted = None
    for metric in doc.get("metrics", []):
        name = str(metric.get("metric_id", metric.get("metric_name", "")))
        if "DriftedColumnsCount" in name:
            value = metric.get("value", {})
            drifted = value.get("count") if isinstance(value, dict) else value
    print(
        json.dumps(
            {
                "tool": "evidently",
                "load_s": t1 - t0,
                "compute_s": t2 - t1,
                "total_s": t2 - t0,
                "baseline_rss_mb": baseline,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "drifted_columns": drifted,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
