"""NannyML UnivariateDriftCalculator on the drift benchmark's data.

Run by ``benchmarks/bench_drift.py`` with the interpreter of its own virtual environment
(``benchmarks/.venvs/nannyml``). Same methods as our run: Kolmogorov–Smirnov and Jensen–Shannon
for numeric columns, chi-square and Jensen–Shannon for categorical ones, chunks of
``chunk_size`` rows on both reference and analysis data. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(ref_path: str, cur_path: str, chunk_size: int) -> None:
    os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
    import nannyml as nml
    import pandas as pd

    baseline = rss_mb()
    t0 = time.perf_counter()
    ref = pd.read_parquet(ref_path)
    cur = pd.read_parquet(cur_path)
    t1 = time.perf_counter()
    numeric = [c for c in ref.columns if c.startswith("x")]
    categorical = [c for c in ref.columns if c.startswith("c")]
    calc = nml.UnivariateDriftCalculator(
        column_names=numeric + categorical,
        treat_as_categorical=categorical,
        chunk_size=chunk_size,
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["chi2", "jensen_shannon"],
    )
    calc.fit(ref)
    results = calc.calculate(cur)
    frame = results.filter(period="analysis").to_df()
    t2 = time.perf_counter()
    alerts = [c for c in frame.columns if c[-1] == "alert"]
    drifted = sorted({c[0] for c in alerts if bool(frame[c].any())})
    print(
        json.dumps(
            {
                "tool": "nannyml",
                "load_s": t1 - t0,
                "compute_s": t2 - t1,
                "total_s": t2 - t0,
                "baseline_rss_mb": baseline,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "drifted_columns": len(drifted),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
