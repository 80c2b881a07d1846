"""Two checkouts of mlsteward measured side by side, in one run: this one and a baseline.

    flock /tmp/mlsteward-bench.lock python benchmarks/side_by_side.py \\
        --baseline /path/to/main-checkout [--rounds 3] [--quick] tracking|models

Runs the named benchmark's mlsteward side from each checkout in turn (``rounds`` times each,
alternating, so machine noise hits both alike), with the checkout's own ``src`` first on the
path and this interpreter, then prints every figure of both sides (median of the rounds) and
how this checkout does against the baseline as a share: 100% is the same, above is better,
whichever way the figure points (per second: more is better; seconds, ms, µs: less is).
``tracking`` is ``mlsteward_tracking.py``; ``models`` is ``bench_models.py --no-mlflow``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: Figures that describe the run rather than measure it.
_SKIPPED_PARTS = {"config", "machine", "version", "n", "size", "rows", "points", "runs"}


def run_side(tree: Path, benchmark: str, quick: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    flags = ["--quick"] if quick else []
    if benchmark == "tracking":
        script = [str(tree / "benchmarks" / "mlsteward_tracking.py"), *flags]
        done = subprocess.run(
            [sys.executable, *script], env=env, capture_output=True, text=True, check=True
        )
        return dict(json.loads(done.stdout))
    script = [str(tree / "benchmarks" / "bench_models.py"), *flags, "--no-mlflow"]
    subprocess.run([sys.executable, *script], env=env, capture_output=True, text=True, check=True)
    latest = tree / "benchmarks" / "results" / "models-latest.json"
    return dict(json.loads(latest.read_text()))


def figures(result: Any, prefix: str = "") -> dict[str, float]:
    """Every numeric leaf that measures something, by its dotted path."""
    found: dict[str, float] = {}
    if isinstance(result, dict):
        for key, value in result.items():
            if key in _SKIPPED_PARTS:
                continue
            found.update(figures(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(result, int | float) and not isinstance(result, bool):
        found[prefix] = float(result)
    return found


def higher_is_better(path: str) -> bool:
    leaf = path.rsplit(".", 1)[-1]
    return "per_s" in leaf or leaf.endswith("_s_rate") or "throughput" in leaf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", choices=["tracking", "models"])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    ours_tree, base_tree = HERE.parent, args.baseline.resolve()
    ours: list[dict[str, float]] = []
    base: list[dict[str, float]] = []
    for round_number in range(args.rounds):
        print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
        base.append(figures(run_side(base_tree, args.benchmark, args.quick)))
        ours.append(figures(run_side(ours_tree, args.benchmark, args.quick)))
    print(f"{'figure':<58} {'baseline':>12} {'this':>12} {'this vs base':>12}")
    worst = None
    for path in sorted(set(ours[0]) & set(base[0])):
        mine = statistics.median(r[path] for r in ours if path in r)
        theirs = statistics.median(r[path] for r in base if path in r)
        if mine <= 0 or theirs <= 0:
            continue
        share = mine / theirs if higher_is_better(path) else theirs / mine
        worst = share if worst is None else min(worst, share)
        print(f"{path:<58} {theirs:>12.4g} {mine:>12.4g} {share:>11.0%}")
    if worst is not None:
        print(f"lowest share: {worst:.0%} (100% = as fast as the baseline)")


if __name__ == "__main__":
    main()
