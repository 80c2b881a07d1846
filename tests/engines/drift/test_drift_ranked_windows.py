"""Windows ranked against the sorted reference once: same numbers as SciPy on each window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlsteward.engines.drift import Chunker, DriftAnalyzer
from mlsteward.engines.drift.ranked_windows import ranked_windows, ranks_in
from mlsteward.engines.drift.samples import NumericSample


def _finite(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x)]


def test_ranks_in_counts_with_ties() -> None:
    rng = np.random.default_rng(3)
    ref = np.sort(rng.integers(0, 30, 2_000).astype(float))
    cur = np.sort(rng.integers(-5, 35, 1_500).astype(float))
    right, left = ranks_in(ref, cur)
    assert np.array_equal(right, np.searchsorted(ref, cur, side="right"))
    assert np.array_equal(left, np.searchsorted(ref, cur, side="left"))


@pytest.mark.parametrize(
    ("n", "m", "layout"),
    [
        (0, 1_000, "normal"),
        (1_000, 0, "normal"),
        (150_000, 140_000, "normal"),  # several merge blocks
        (150_000, 140_000, "ties"),
        (150_000, 140_000, "disjoint"),  # every current value above the reference
        (150_000, 140_000, "copied"),  # current values taken from the reference
        (3, 200_000, "normal"),
    ],
)
def test_ranks_in_blocks_equal_binary_search(n: int, m: int, layout: str) -> None:
    rng = np.random.default_rng(n + m)
    if layout == "ties":
        ref, cur = rng.integers(0, 40, n).astype(float), rng.integers(-3, 45, m).astype(float)
    else:
        ref, cur = rng.normal(size=n), rng.normal(0.3, 1.2, size=m)
    if layout == "disjoint":
        cur += 100.0
    if layout == "copied":
        cur[: m // 2] = rng.choice(ref, m // 2)
    ref, cur = np.sort(ref), np.sort(cur)
    right, left = ranks_in(ref, cur)
    assert np.array_equal(right, np.searchsorted(ref, cur, side="right"))
    assert np.array_equal(left, np.searchsorted(ref, cur, side="left"))


def test_overlapping_windows_fall_back() -> None:
    ref = NumericSample.from_values(np.arange(10.0))
    values = np.arange(6.0)
    windows = [(6, None), (4, slice(0, 4)), (4, slice(2, 6))]
    assert ranked_windows(values, ref, windows) is None


@pytest.mark.parametrize("tied", [False, True])
def test_whole_size_and_time_chunks_equal_scipy(tied: bool) -> None:
    rng = np.random.default_rng(11)
    ref = rng.normal(size=6_000)
    cur = rng.normal(0.05, 1.1, size=5_000)
    if tied:
        ref, cur = np.round(ref, 1), np.round(cur, 1)
    ref[::101] = np.nan
    cur[::89] = np.nan
    cur[5] = np.inf
    # Unsorted timestamps: time chunks are index arrays, not slices.
    stamps = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 5 * 24, 5_000), "h")
    current = pd.DataFrame({"x": cur, "ts": stamps})
    analyzer = DriftAnalyzer(pd.DataFrame({"x": ref}), extra_tests=("wasserstein",))
    ref_f = _finite(ref)
    for chunker in (Chunker(size=1_300), Chunker(period="day", timestamp_column="ts")):
        report = analyzer.run(current, chunker)
        plan = chunker.split(current)
        windows = [(report.whole, slice(None))]
        windows += [(c.result, p.rows) for c, p in zip(report.chunks, plan.chunks, strict=True)]
        assert len(windows) > 2
        for result, rows in windows:
            part = _finite(cur[rows])
            col = result.column("x")
            ks, expected = col.test("ks"), stats.ks_2samp(ref_f, part)
            assert ks.statistic == pytest.approx(expected.statistic, rel=1e-9, abs=1e-12)
            assert ks.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
            w = col.test("wasserstein").statistic
            w_expected = stats.wasserstein_distance(ref_f, part) / ref_f.std()
            assert w == pytest.approx(w_expected, rel=1e-9, abs=1e-12)
            assert col.current is not None
            assert col.current.missing == int(np.size(cur[rows]) - part.size)
