"""Learned thresholds for windows of any size: a large window is judged in chunk-sized parts.

A bound learned from the reference's chunks describes a statistic on chunk-sized samples; on a
window ten times larger the same statistic is smaller under no drift (its spread shrinks with
the sample size), so the bound would say nothing. Instead the window is cut into ``m``
consecutive parts of about the learned chunk size, the statistic is computed on each part, and
the window is judged by the mean of the ``m`` part statistics against a bound for such a mean:

    mean + k * std * sqrt(1/m + 1/n)

where ``mean`` and ``std`` are those of the ``n`` learned chunk scores and ``k`` the learned
bound's multiplier. The parts are disjoint, so their statistics are close to independent and
their mean varies like ``std / sqrt(m)``; the ``1/n`` term is the uncertainty of the learned
mean itself, which would otherwise dominate for large ``m`` (a window of 100 parts judged
against 10 learned chunks would have a bound 0.3 std above a mean that is itself uncertain by
0.32 std, and false alarms in one column of five). Windows within a factor two of the chunk
size use the learned bound as it is; windows under half of it keep the fixed threshold.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np

from mlsteward.engines.drift.chunking import Rows
from mlsteward.engines.drift.column_evaluation import LearnedBound
from mlsteward.engines.drift.results import ColumnDriftResult, TestResult
from mlsteward.engines.drift.spec import ThresholdKind

#: A window is judged as it is (learned bound unchanged) within this factor of the chunk size.
SIZE_FACTOR = 2.0


def window_scale(n_rows: int, chunk_rows: float | None) -> str:
    """``"fits"`` (learned bound as it is), ``"large"`` (judge in parts) or ``"small"``."""
    if chunk_rows is None or chunk_rows / SIZE_FACTOR <= n_rows <= chunk_rows * SIZE_FACTOR:
        return "fits"
    return "large" if n_rows > chunk_rows * SIZE_FACTOR else "small"


def part_windows(n_rows: int, rows: Rows | None, chunk_rows: float) -> list[tuple[int, Rows]]:
    """``m`` consecutive parts of a window, each of about ``chunk_rows`` rows.

    ``rows`` locates the window in its table (None: all of it); parts are located the same
    way. Part sizes differ by at most one row.
    """
    m = max(2, round(n_rows / chunk_rows))
    cuts = [round(i * n_rows / m) for i in range(m + 1)]
    spans = list(itertools.pairwise(cuts))
    if rows is None:
        return [(b - a, slice(a, b)) for a, b in spans]
    if isinstance(rows, slice) and rows.step in (None, 1):
        start = rows.start or 0
        return [(b - a, slice(start + a, start + b)) for a, b in spans]
    index = np.flatnonzero(rows) if isinstance(rows, np.ndarray) and rows.dtype == bool else rows
    if isinstance(index, slice):  # a slice with a step
        index = np.arange(index.start or 0, index.stop, index.step)
    return [(b - a, index[a:b]) for a, b in spans]


def parts_bound(bound: LearnedBound, m: int) -> float:
    """Upper bound on the mean of ``m`` chunk statistics (see the module docstring)."""
    if not bound.std > 0:
        return bound.upper
    k = (bound.upper - bound.mean) / bound.std
    return bound.mean + k * bound.std * math.sqrt(1.0 / m + 1.0 / bound.n_chunks)


def judge_by_parts(
    whole: ColumnDriftResult,
    parts: Sequence[ColumnDriftResult],
    bounds: Mapping[str, LearnedBound],
    chunk_rows: float,
) -> ColumnDriftResult:
    """The whole window's result with each learned test judged on the parts' statistics.

    A judged test carries the mean part statistic, the scaled bound and the part statistics
    (``details["part_statistics"]``; the whole window's own statistic is kept as
    ``details["window_statistic"]``). Its p-value and the other tests stay the whole window's.
    """
    if whole.status != "ok":
        return whole
    judged = []
    for test in whole.tests:
        bound = bounds.get(test.test)
        judged.append(test if bound is None else _judge(test, parts, bound, chunk_rows))
    head = next((t for t in judged if t.test == whole.main_test), None)
    missing = bool(whole.missing and whole.missing.drifted)
    drifted = (head.drifted if head is not None else whole.drifted) or missing
    return dataclasses.replace(whole, tests=tuple(judged), drifted=drifted)


def _judge(
    test: TestResult, parts: Sequence[ColumnDriftResult], bound: LearnedBound, chunk_rows: float
) -> TestResult:
    if test.error is not None or not math.isfinite(bound.upper):
        return test
    stats = [s for s in (_statistic(p, test.test) for p in parts) if s is not None]
    if len(stats) < 2:
        note = "fixed threshold: too few parts of the window had a statistic to judge it by"
        return dataclasses.replace(test, note=_join(test.note, note))
    m = len(stats)
    mean = float(np.mean(stats))
    upper = parts_bound(bound, m)
    note = (
        f"judged as {m} parts of ~{round(chunk_rows):,} rows (the learned chunk size): "
        f"mean part statistic against a bound for a mean of {m} chunks"
    )
    details = {
        **test.details,
        "window_statistic": test.statistic,
        "part_statistics": stats,
        "learned_from_chunks": bound.n_chunks,
    }
    return dataclasses.replace(
        test,
        statistic=mean,
        threshold=upper,
        threshold_kind=ThresholdKind.DISTANCE.value,
        threshold_source="learned",
        drifted=mean > upper,
        note=_join(test.note, note),
        details=details,
    )


def small_window_note(
    result: ColumnDriftResult, bounds: Mapping[str, LearnedBound], n_rows: int, chunk_rows: float
) -> ColumnDriftResult:
    """Say on each test that has a learned bound why the fixed threshold was used instead."""
    note = (
        f"fixed threshold: the window's {n_rows:,} rows are under half the learned chunk "
        f"size (~{round(chunk_rows):,} rows), too few for the learned bound"
    )
    tests = tuple(
        dataclasses.replace(t, note=_join(t.note, note)) if t.test in bounds else t
        for t in result.tests
    )
    return dataclasses.replace(result, tests=tests)


def _statistic(result: ColumnDriftResult, test: str) -> float | None:
    for t in result.tests:
        if t.test == test and t.statistic is not None and math.isfinite(t.statistic):
            return float(t.statistic)
    return None


def _join(first: str | None, second: str) -> str:
    return second if not first else f"{first}; {second}"
