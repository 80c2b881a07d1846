"""Profiling benchmark: mlsteward's data engine against ydata-profiling (minimal), one run.

    flock /tmp/mlsteward-bench.lock python benchmarks/bench_profiling.py [--rows N]

Generates a table of ``--rows`` rows (default 1,000,000) x 50 columns (40 numeric, 10
categorical text, some values missing) once, as Parquet in a temporary folder. Then, each in
its own process so wall time and peak memory (RSS, from the kernel's accounting of that
process) are its own:

* ours, with this interpreter: ingest (stream the Parquet file in record batches into the
  canonical Arrow form) + content hash (in the same pass) + profile (``profile_table``) +
  HTML report;
* ydata-profiling in minimal mode, with ``benchmarks/.venvs/ydata`` (created on first use):
  ``pandas.read_parquet`` + ``ProfileReport(minimal=True).get_description()`` + ``to_html()``.

Prints a table with both sides, the ratios, and the targets of issue 4 (profiling under 5 s,
at least 10x faster than ydata-profiling, peak memory at most twice the data's in-memory
size); writes everything to ``benchmarks/results/profiling-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RESULTS = HERE / "results"
YDATA_VENV = HERE / ".venvs" / "ydata"
YDATA_VERSION = "4.18.4"
YDATA_MARKER = YDATA_VENV / f".installed-ydata-profiling-{YDATA_VERSION}"
PEER_SCRIPT = HERE / "peers" / "ydata_profiling_minimal.py"


# ----------------------------------------------------------------------------- data


def generate(path: Path, rows: int, numeric: int, categorical: int, seed: int = 2024) -> None:
    """Write the benchmark table: normal, skewed and integer numbers, text categories."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for i in range(numeric):
        if i % 4 == 3:
            values = rng.integers(0, 1000, rows).astype(np.float64)
        elif i % 4 == 2:
            values = rng.lognormal(mean=1.0, sigma=0.8, size=rows)
        else:
            values = rng.normal(loc=i, scale=1 + i, size=rows)
        if i % 4 == 0:
            values[rng.random(rows) < 0.05] = np.nan
        columns[f"num_{i:02d}"] = values
    for i in range(categorical):
        cardinality = [3, 10, 50, 200, 1000, 5, 20, 100, 500, 5000][i % 10]
        vocabulary = np.array([f"cat{i}_value_{j}" for j in range(cardinality)])
        codes = rng.zipf(1.3, rows) % cardinality
        missing = rng.random(rows) < 0.02
        columns[f"cat_{i:02d}"] = pa.array(vocabulary[codes], mask=missing)
    pq.write_table(pa.table(columns), path, compression="snappy")


# ----------------------------------------------------------------------------- workers


def run_ours(data: Path, html: Path | None) -> dict[str, Any]:
    """Our side, in its own process: ingest + hash, profile, HTML report."""
    start = time.perf_counter()
    from mlsteward.engines.data import (
        profile_table,
        read_and_hash,
        read_parquet,
        render_html_report,
    )

    imported = time.perf_counter()
    hashed = read_and_hash(read_parquet(data))
    ingested = time.perf_counter()
    profile = profile_table(hashed.table)
    profiled = time.perf_counter()
    text = render_html_report(profile, title="Benchmark table") if html else ""
    rendered = time.perf_counter()
    if html:
        html.write_text(text, encoding="utf-8")
    json.dumps(profile, allow_nan=False)  # the profile must be storable as JSON
    return {
        "tool": "mlsteward engines.data",
        "import_s": imported - start,
        "ingest_s": ingested - imported,  # includes hashing, done in the same pass
        "hash_s": None,
        "profile_s": profiled - ingested,
        "html_s": rendered - profiled if html else None,
        "data_bytes": hashed.table.nbytes,
        "variables": len(profile["variables"]),
        "content_hash": hashed.content_hash,
    }


def run_hash_only(data: Path) -> float:
    """Seconds to hash the already loaded table on its own (reported apart)."""
    import pyarrow.parquet as pq

    from mlsteward.engines.data import content_hash

    table = pq.read_table(data)
    start = time.perf_counter()
    content_hash(table)
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- harness


def ensure_ydata_venv() -> Path:
    """Create the peer venv (pinned ydata-profiling) unless it is already there."""
    python = YDATA_VENV / "bin" / "python"
    if YDATA_MARKER.exists() and python.exists():
        return python
    print(f"creating {YDATA_VENV} with ydata-profiling=={YDATA_VERSION} (takes minutes)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(YDATA_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, f"ydata-profiling=={YDATA_VERSION}", "pyarrow", "setuptools"], check=True)
    YDATA_MARKER.touch()
    return python


def measure(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``command``; its last stdout line is JSON. Adds wall time and the child's peak RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # wait4 gives this child's own resource usage (ru_maxrss: its peak RSS, in KiB on Linux).
    stdout_chunks = []
    assert process.stdout is not None and process.stderr is not None
    stdout_chunks.append(process.stdout.read())
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    output = b"".join(stdout_chunks).decode().strip().splitlines()
    if process.returncode != 0 or not output:
        raise RuntimeError(
            f"{command[:3]} failed ({process.returncode}):\n{stderr.decode()[-3000:]}"
        )
    result = json.loads(output[-1])
    result["wall_s"] = wall
    result["peak_rss_bytes"] = usage.ru_maxrss * 1024
    return result


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value / 2**20:,.0f} MiB"
    return f"{value:,.2f} s"


def report(ours: dict[str, Any], peer: dict[str, Any] | None, hash_s: float, rows: int) -> None:
    """Print the comparison table and the targets."""
    lines = [
        ("ingest (read into memory)", "ingest_s", "s"),
        ("profile (statistics)", "profile_s", "s"),
        ("HTML report", "html_s", "s"),
        ("whole process, wall", "wall_s", "s"),
        ("peak RSS", "peak_rss_bytes", "MiB"),
        ("data in memory", "data_bytes", "MiB"),
    ]
    print(f"\nProfiling benchmark: {rows:,} rows x 50 columns (40 numeric, 10 categorical)")
    header = (
        f"{'':28} {'mlsteward':>14} {'ydata (minimal)':>16} {'ours / ydata':>13} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, key, unit in lines:
        mine = ours.get(key)
        theirs = peer.get(key) if peer else None
        ratio = f"{mine / theirs:.3f}" if mine and theirs else "-"
        faster = f"{theirs / mine:.1f}x" if mine and theirs and unit == "s" else ""
        print(f"{label:28} {_fmt(mine, unit):>14} {_fmt(theirs, unit):>16} {ratio:>13} {faster:>9}")
    print(f"{'(content hash alone)':28} {_fmt(hash_s, 's'):>14}")
    memory_ratio = ours["peak_rss_bytes"] / ours["data_bytes"]
    print("\nTargets (issue 4):")
    print(
        f"  profiling under 5 s:            {ours['profile_s']:.2f} s  "
        f"{'met' if ours['profile_s'] < 5 else 'NOT met'}"
    )
    if peer:
        speedup = peer["profile_s"] / ours["profile_s"]
        verdict = "met" if speedup >= 10 else "NOT met"
        print(f"  >= 10x faster than ydata:       {speedup:.1f}x  {verdict}")
    print(
        f"  peak memory <= 2x data size:    {memory_ratio:.2f}x "
        f"({ours['peak_rss_bytes'] / 2**20:,.0f} MiB for {ours['data_bytes'] / 2**20:,.0f} MiB)  "
        f"{'met' if memory_ratio <= 2 else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-peer", action="store_true", help="run our side only")
    parser.add_argument("--no-html", action="store_true", help="skip HTML rendering on both sides")
    parser.add_argument("--worker", choices=["ours", "hash"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--html", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "ours":
        print(json.dumps(run_ours(Path(args.data), Path(args.html) if args.html else None)))
        return
    if args.worker == "hash":
        print(json.dumps({"hash_s": run_hash_only(Path(args.data))}))
        return

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")]))
    peer_python = None if args.no_peer else ensure_ydata_venv()
    with tempfile.TemporaryDirectory(prefix="mlsteward-bench-profiling-") as folder:
        data = Path(folder) / "table.parquet"
        started = time.perf_counter()
        generate(data, args.rows, numeric=40, categorical=10)
        print(
            f"generated {data.stat().st_size / 2**20:,.0f} MiB of Parquet "
            f"in {time.perf_counter() - started:.1f} s"
        )
        html_ours = None if args.no_html else str(Path(folder) / "ours.html")
        command = [sys.executable, __file__, "--worker", "ours", "--data", str(data)]
        ours = measure(command + (["--html", html_ours] if html_ours else []), env)
        print(f"mlsteward done in {ours['wall_s']:.1f} s")
        hash_s = measure([sys.executable, __file__, "--worker", "hash", "--data", str(data)], env)[
            "hash_s"
        ]
        peer = None
        if peer_python is not None:
            peer_command = [str(peer_python), str(PEER_SCRIPT), "--data", str(data)]
            if not args.no_html:
                peer_command += ["--html", str(Path(folder) / "ydata.html")]
            peer = measure(peer_command, dict(os.environ, PYTHONUNBUFFERED="1"))
            print(f"ydata-profiling done in {peer['wall_s']:.1f} s")
    report(ours, peer, hash_s, args.rows)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {
        "rows": args.rows,
        "ours": ours,
        "peer": peer,
        "hash_only_s": hash_s,
        "max_rss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    for name in (f"profiling-{stamp}.json", "profiling-latest.json"):
        (RESULTS / name).write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
