"""Peer side of ``benchmarks/bench_profiling.py``: ydata-profiling in minimal mode.

Runs inside ``benchmarks/.venvs/ydata`` (its own virtual environment). Reads the Parquet file
into pandas, computes the profile description (``ProfileReport(minimal=True)``), renders the
HTML report, and prints one JSON line with the time of each phase.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--html", default="")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    start = time.perf_counter()
    import pandas as pd
    from ydata_profiling import ProfileReport, __version__

    imported = time.perf_counter()
    frame = pd.read_parquet(args.data)
    read = time.perf_counter()
    report = ProfileReport(frame, minimal=True, progress_bar=False)
    description = report.get_description()
    profiled = time.perf_counter()
    html = report.to_html() if args.html else ""
    rendered = time.perf_counter()
    if args.html:
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(html)
    print(
        json.dumps(
            {
                "tool": f"ydata-profiling {__version__} (minimal)",
                "import_s": imported - start,
                "ingest_s": read - imported,
                "hash_s": None,
                "profile_s": profiled - read,
                "html_s": rendered - profiled if args.html else None,
                "data_bytes": int(frame.memory_usage(deep=True).sum()),
                "variables": len(description.variables),
            }
        )
    )


if __name__ == "__main__":
    main()
