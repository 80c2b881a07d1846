"""Drift benchmark: mlsteward vs Evidently 0.7 (DataDriftPreset) vs NannyML (univariate drift).

One command::

    python benchmarks/bench_drift.py            # add --skip-peers to time only mlsteward

Data: reference and current tables of 500,000 rows each, 20 numeric and 5 categorical columns
(3, 5, 10, 20 and 50 levels), a few columns shifted; generated once to Parquet in a temporary
directory and read by every contender, each in its own process (peers in their own virtual
environments under ``benchmarks/.venvs/``, created on first use; Evidently 0.7 needs pandas < 3).

Work done by each:

- Evidently: DataDriftPreset, whole current window vs reference, its default test per column.
- NannyML: UnivariateDriftCalculator, chunks of 50,000 rows on reference and current; KS and
  Jensen–Shannon for numeric, chi-square and Jensen–Shannon for categorical columns.
- mlsteward: whole window *and* every 50,000-row chunk; the default test per column (KS,
  chi-square) plus Jensen–Shannon (both kinds); thresholds learned from reference chunks
  scored out of sample (as NannyML's reference chunks); the full report serialized to JSON.
  Run with its default threads (the CPUs it may use, at most 4) and single-threaded, and once
  more for the whole window only (the share of the work Evidently does); each of these runs
  ``--repeat`` times and the median is shown.

Time is measured inside each process from reading the Parquet files to having the result
(library imports excluded); peak memory is the process's maximum resident set size, shown
whole and above the process's size after its imports ("base"), against the data's size in
Arrow memory. Every contender runs with the allocators' default settings, as users run them,
so a peak includes memory an allocator keeps for reuse; ``--return-freed-memory`` runs everyone
with allocators that hand freed memory straight back (``RETURN_FREED_ENV``: lower peaks, and
slower, since every large block is then page-faulted in afresh). A second
part streams 10,000,000 current rows in 500,000-row chunks against a stored reference profile
and shows that peak memory does not grow with the number of rows.
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

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
VENVS = HERE / ".venvs"
PEERS = HERE / "peers"
PEER_REQUIREMENTS = {
    "evidently": ["evidently>=0.7,<0.8", "pandas<3", "pyarrow"],
    "nannyml": ["nannyml", "statsmodels", "pandas<3", "pyarrow"],
}
LEVELS = (3, 5, 10, 20, 50)
N_NUMERIC = 20

try:  # until the package is installed in the venv
    import mlsteward  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent / "src"))


# -- data ------------------------------------------------------------------------------------
def make_table(n: int, seed: int, shifted: bool) -> pa.Table:
    """Benchmark table; when ``shifted``: x0 +0.5 sd, x1 sd x1.25, x2 +0.05 sd, c3 one level
    doubled, c4 a new level on 2% of rows. x5 has 1% missing values."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    for i in range(N_NUMERIC):
        x = rng.normal(loc=10.0 * i, scale=1.0 + i, size=n)
        if shifted and i == 0:
            x += 0.5
        if shifted and i == 1:
            x = 10.0 + (x - 10.0) * 1.25
        if shifted and i == 2:
            x += 0.05 * 3.0
        if i == 5:
            x[rng.random(n) < 0.01] = np.nan
        cols[f"x{i}"] = x
    for j, k in enumerate(LEVELS):
        w = np.linspace(1.0, 3.0, k)
        if shifted and j == 3:
            w[0] *= 2.0
        labels = np.array([f"{chr(97 + j)}{v:02d}" for v in range(k)] + ["new"], dtype=object)
        idx = rng.choice(k, size=n, p=w / w.sum())
        if shifted and j == 4:
            idx[rng.random(n) < 0.02] = k
        cols[f"c{j}"] = pa.array(labels[idx], type=pa.string()).dictionary_encode()
    return pa.table(cols)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- workers (run in a fresh process each) ---------------------------------------------------
def worker_ours(
    ref_path: str, cur_path: str, chunk_size: int, jobs: int, mode: str = "full"
) -> dict[str, Any]:
    """``full``: whole window, chunks, learned thresholds. ``whole``: whole window only
    (Evidently's share of the work)."""
    from mlsteward.engines.drift import Chunker, DriftAnalyzer

    baseline = rss_mb()
    t0 = time.perf_counter()
    full = mode == "full"
    # Parquet files are handed over as column sources: read one column at a time.
    analyzer = DriftAnalyzer(
        pq.ParquetFile(ref_path),
        chunker=Chunker(size=chunk_size) if full else None,
        learn_thresholds=full,
        extra_tests=("jensen_shannon", "jensen_shannon_categorical"),
        n_jobs=jobs,
    )
    t1 = time.perf_counter()
    report = analyzer.run(pq.ParquetFile(cur_path))
    text = json.dumps(report.to_dict())
    t2 = time.perf_counter()
    label = f"jobs={jobs}" if full else "whole window"
    return {
        "tool": f"mlsteward ({label})",
        "load_s": None,
        "reference_s": t1 - t0,
        "compute_s": t2 - t1,
        "total_s": t2 - t0,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_mb(),
        "drifted_columns": report.whole.n_drifted,
        "report_json_bytes": len(text),
    }


def worker_profile(ref_path: str, out_path: str, chunk_size: int) -> dict[str, Any]:
    """Build a reference profile by streaming the Parquet file in batches."""
    from mlsteward.engines.drift import ProfileBuilder

    t0 = time.perf_counter()
    builder = ProfileBuilder(keep_chunks=True)
    for batch in pq.ParquetFile(ref_path).iter_batches(batch_size=chunk_size):
        builder.update(pa.Table.from_batches([batch]))
    doc = builder.build().to_dict()
    Path(out_path).write_text(json.dumps(doc))
    return {
        "seconds": time.perf_counter() - t0,
        "peak_rss_mb": peak_mb(),
        "profile_bytes": Path(out_path).stat().st_size,
    }


def worker_stream(profile_path: str, rows: int, chunk_size: int) -> dict[str, Any]:
    """Stream ``rows`` generated current rows in chunks against the stored profile."""
    from mlsteward.engines.drift import DriftAnalyzer, ReferenceProfile

    profile = ReferenceProfile.from_dict(json.loads(Path(profile_path).read_text()))
    analyzer = DriftAnalyzer(profile, learn_thresholds=True)
    n_chunks = -(-rows // chunk_size)

    # Two generated chunks, cycled: generating 10M rows would dominate the timing.
    pool = [make_table(chunk_size, 1_000 + i, shifted=True) for i in range(2)]

    def tables() -> Any:
        for i in range(n_chunks):
            size = min(chunk_size, rows - i * chunk_size)
            table = pool[i % 2]
            yield table if size == chunk_size else table.slice(0, size)

    baseline = rss_mb()
    t0 = time.perf_counter()

    drifted = [r.result.n_drifted for r in analyzer.run_stream(tables())]
    seconds = time.perf_counter() - t0
    return {
        "rows": rows,
        "chunks": len(drifted),
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_mb(),
        "drifted_per_chunk": sorted(set(drifted)),
    }


# -- orchestration ---------------------------------------------------------------------------
def start_peer_installs() -> dict[str, subprocess.Popen[bytes] | None]:
    """Create missing peer venvs in the background (they take minutes)."""
    procs: dict[str, subprocess.Popen[bytes] | None] = {}
    VENVS.mkdir(parents=True, exist_ok=True)
    for name, reqs in PEER_REQUIREMENTS.items():
        venv = VENVS / name
        if (venv / ".ready").exists():
            procs[name] = None
            continue
        script = (
            f"{sys.executable} -m venv {venv} && {venv}/bin/pip install -q "
            + " ".join(f"'{r}'" for r in reqs)
            + f" && touch {venv}/.ready"
        )
        log = open(VENVS / f"{name}-install.log", "wb")  # noqa: SIM115 - lives with the process
        procs[name] = subprocess.Popen(["bash", "-c", script], stdout=log, stderr=log)
    return procs


#: With ``--return-freed-memory``: Arrow's system pool and a fixed glibc mmap threshold, so
#: freed blocks of 1 MiB and more go back to the OS at once (Arrow's default pool and glibc's
#: adaptive threshold keep them for reuse). Applied to every contender alike.
RETURN_FREED_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_MMAP_THRESHOLD_": "1048576"}
ALLOCATOR_ENV: dict[str, str] = {}


def run_json(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    env = {**(env or os.environ), **ALLOCATOR_ENV}
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1:], "wall_s": wall}
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    result: dict[str, Any] = json.loads(line)
    result["process_wall_s"] = wall
    return result


def self_cmd(*args: object) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *map(str, args)]


def fmt(x: Any, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_targets(results: list[dict[str, Any]], data_mb: float) -> None:
    """The issue's targets against this run: the first row is ours at its default threads."""
    ours = results[0]
    if "error" in ours:
        return
    by_tool = {r.get("tool"): r for r in results if "error" not in r}
    t = ours["total_s"]
    memory = (ours["peak_rss_mb"] - ours["baseline_rss_mb"]) / data_mb
    lines = [
        f"end to end {t:.2f} s (target <= 2 s)",
        f"peak above baseline {memory:.2f}x the data (target <= 1.5x)",
    ]
    for peer, target in (("evidently", 20), ("nannyml", 5)):
        if peer in by_tool:
            ratio = by_tool[peer]["total_s"] / t
            lines.append(f"{ratio:.1f}x faster than {peer} (target >= {target}x)")
    print(f"\n{ours['tool']}: " + "; ".join(lines))
    single = by_tool.get("mlsteward (jobs=1)")
    if single is not None and "nannyml" in by_tool:
        ratio = by_tool["nannyml"]["total_s"] / single["total_s"]
        print(f"{single['tool']}: {ratio:.1f}x faster than nannyml (target >= 5x single-threaded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--stream-rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (best is shown)")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument(
        "--return-freed-memory",
        action="store_true",
        help="run every contender with allocators that return freed memory at once",
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        kind, *rest = args.worker
        fn = {"ours": worker_ours, "profile": worker_profile, "stream": worker_stream}[kind]
        typed = [int(x) if x.isdigit() else x for x in rest]  # paths and modes stay strings
        print(json.dumps(fn(*typed)))
        return

    if args.return_freed_memory:
        ALLOCATOR_ENV.update(RETURN_FREED_ENV)
    installs = {} if args.skip_peers else start_peer_installs()
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        ref_path, cur_path = f"{tmp}/reference.parquet", f"{tmp}/current.parquet"
        ref, cur = make_table(args.rows, 1, False), make_table(args.rows, 2, True)
        data_mb = (ref.nbytes + cur.nbytes) / 2**20
        pq.write_table(ref, ref_path)
        pq.write_table(cur, cur_path)
        del ref, cur
        print(
            f"data: 2 x {args.rows:,} rows x 25 columns, {data_mb:.0f} MB in Arrow memory; "
            f"allocators: {'returning freed memory' if ALLOCATOR_ENV else 'default settings'}",
            flush=True,
        )

        from mlsteward.engines.drift.analyzer import default_jobs

        def ours_median(*worker_args: object) -> dict[str, Any]:
            """Median run of ours (``--repeat`` runs; peers run once, they take far longer)."""
            runs = [
                run_json(self_cmd("--worker", "ours", ref_path, cur_path, *worker_args))
                for _ in range(args.repeat)
            ]
            ok = sorted((r for r in runs if "error" not in r), key=lambda r: r["total_s"])
            return ok[len(ok) // 2] if ok else runs[0]

        jobs_default = default_jobs()
        results: list[dict[str, Any]] = [ours_median(args.chunk_size, jobs_default)]
        results[0]["tool"] += " default"
        if jobs_default != 1:
            results.append(ours_median(args.chunk_size, 1))
        results.append(ours_median(args.chunk_size, 1, "whole"))
        ours = results[0]

        for name, proc in installs.items():
            if proc is not None:
                print(f"waiting for the {name} environment ...", flush=True)
                proc.wait()
        env = dict(os.environ, NML_DISABLE_USAGE_LOGGING="1")
        if not args.skip_peers:
            ev_py, nml_py = VENVS / "evidently/bin/python", VENVS / "nannyml/bin/python"
            results.append(
                run_json([str(ev_py), str(PEERS / "evidently_drift.py"), ref_path, cur_path], env)
            )
            results.append(
                run_json(
                    [
                        str(nml_py),
                        str(PEERS / "nannyml_drift.py"),
                        ref_path,
                        cur_path,
                        str(args.chunk_size),
                    ],
                    env,
                )
            )

        print()
        header = (
            f"{'tool':<26}{'time s':>8}{'x ours':>8}{'peak MB':>9}{'x ours':>8}"
            f"{'peak/data':>10}{'(peak-base)/data':>17}{'drifted':>8}"
        )
        print(header)
        print("-" * len(header))
        for r in results:
            if "error" in r:
                print(f"{r.get('tool', '?'):<26} failed: {r['error']}")
                continue
            t, m, base = r["total_s"], r["peak_rss_mb"], r["baseline_rss_mb"]
            print(
                f"{r['tool']:<26}{t:>8.2f}{t / ours['total_s']:>8.1f}{m:>9.0f}"
                f"{m / ours['peak_rss_mb']:>8.1f}{m / data_mb:>10.2f}"
                f"{(m - base) / data_mb:>17.2f}{fmt(r.get('drifted_columns'), '.0f'):>8}"
            )
        print_targets(results, data_mb)

        profile_path = f"{tmp}/profile.json"
        prof = run_json(self_cmd("--worker", "profile", ref_path, profile_path, args.chunk_size))
        print(
            f"\nreference profile streamed from Parquet: {fmt(prof.get('seconds'))} s, "
            f"{prof.get('profile_bytes', 0) / 1024:.0f} KB of JSON, "
            f"peak {fmt(prof.get('peak_rss_mb'), '.0f')} MB"
        )
        print(f"{'stream rows':>12}{'chunks':>8}{'seconds':>9}{'rows/s':>12}{'peak MB':>9}")
        for rows in sorted({min(1_000_000, args.stream_rows), args.stream_rows}):
            s = run_json(self_cmd("--worker", "stream", profile_path, rows, 500_000))
            if "error" in s:
                print(f"{rows:>12,} failed: {s['error']}")
                continue
            print(
                f"{rows:>12,}{s['chunks']:>8}{s['seconds']:>9.2f}{s['rows_per_s']:>12,.0f}"
                f"{s['peak_rss_mb']:>9.0f}"
            )


if __name__ == "__main__":
    main()
