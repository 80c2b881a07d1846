"""Fast paths of the drift engine give exactly what the plain computations give.

Sorting a column chunk by chunk and merging the runs, reading chunk ranks off the merged
window, and SciPy's KS null distribution called without its wrapper are there for speed
only: every array and every number must be the one the straightforward computation yields.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlsteward.engines.drift import Chunker, DriftAnalyzer
from mlsteward.engines.drift import ks_distribution as ksd
from mlsteward.engines.drift.chunking import Rows, chunk_by_period, chunk_by_size
from mlsteward.engines.drift.ranked_windows import ChunkRows, ranked_windows, sort_by_chunks
from mlsteward.engines.drift.samples import NumericSample


def _finite_sorted(values: np.ndarray) -> np.ndarray:
    return np.sort(values[np.isfinite(values)])


def _column(layout: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if layout == "ties":
        return rng.integers(-5, 6, n).astype(float)
    values = rng.normal(size=n)
    if layout == "missing":
        values[rng.random(n) < 0.07] = np.nan
        values[::997] = np.inf
        values[::1_009] = -np.inf
    if layout == "signed_zeros":
        values[rng.random(n) < 0.3] = -0.0
        values[rng.random(n) < 0.3] = 0.0
    return values


def _groups(shape: str, n: int) -> list[Rows]:
    rng = np.random.default_rng(n)
    if shape == "slices":
        return [c.rows for c in chunk_by_size(n, 1_700)]
    if shape == "slices_with_gaps":  # rows between and after the chunks belong to none
        return [slice(100, 1_000), slice(1_500, 4_000), slice(4_000, 4_001), slice(6_000, 9_000)]
    stamps = pd.Series(pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 96, n), "h"))
    stamps[rng.random(n) < 0.05] = pd.NaT  # rows without a time are in no chunk
    return [c.rows for c in chunk_by_period(stamps, "day").chunks]


@pytest.mark.parametrize("layout", ["normal", "ties", "missing", "signed_zeros"])
@pytest.mark.parametrize("shape", ["slices", "slices_with_gaps", "time_index_arrays"])
def test_sort_by_chunks_equals_sorting_each_chunk_and_the_whole(layout: str, shape: str) -> None:
    n = 10_000
    values = _column(layout, n, seed=len(layout) + len(shape))
    groups = _groups(shape, n)
    chunks = ChunkRows.of(groups, n)
    assert chunks is not None
    out = np.empty(n)
    sorted_chunks = sort_by_chunks(values, chunks, out=out)
    merged = sorted_chunks.merged
    assert np.shares_memory(merged, out)
    assert np.array_equal(merged, _finite_sorted(values))
    taken = np.zeros(merged.size, dtype=bool)
    for k, rows in enumerate(groups):
        part = sorted_chunks.chunk(k)
        assert np.array_equal(part, _finite_sorted(values[rows]))
        positions = sorted_chunks.positions(k)
        assert np.all(np.diff(positions) > 0)  # ascending: the chunk stays sorted
        assert np.array_equal(merged[positions], part)
        assert not taken[positions].any()  # no position claimed by two chunks
        taken[positions] = True
    in_none = (
        int(np.count_nonzero(np.isfinite(values[chunks.rest]))) if chunks.rest is not None else 0
    )
    assert int(np.count_nonzero(~taken)) == in_none


def test_chunk_rows_refuses_overlaps_and_masks() -> None:
    assert ChunkRows.of([slice(0, 6), slice(5, 10)], 10) is None
    assert ChunkRows.of([np.array([0, 1, 2]), np.array([2, 3])], 10) is None
    assert ChunkRows.of([np.ones(10, dtype=bool)], 10) is None
    rows = ChunkRows.of([slice(2, 4), np.array([7, 5])], 10)
    assert rows is not None
    assert rows.sizes == (2, 2)
    assert rows.rest is not None and rows.rest.tolist() == [0, 1, 4, 6, 8, 9]


@pytest.mark.parametrize("layout", ["normal", "ties", "missing"])
@pytest.mark.parametrize("shape", ["slices", "time_index_arrays"])
def test_ranked_windows_give_each_chunk_its_sorted_values_and_ranks(
    layout: str, shape: str
) -> None:
    n = 10_000
    values = _column(layout, n, seed=7)
    reference = NumericSample.from_values(_column(layout, 12_000, seed=8) + 0.1)
    ref = reference.values
    assert ref is not None
    groups = _groups(shape, n)
    windows: list[tuple[int, Rows | None]] = [(n, None)]
    windows += [(int(np.arange(n)[rows].size), rows) for rows in groups]
    ranked = ranked_windows(values, reference, windows)
    assert ranked is not None and len(ranked) == len(windows)
    for (n_rows, rows), (sample, pair) in zip(windows, ranked, strict=True):
        part = values if rows is None else values[rows]
        expected = _finite_sorted(part)
        assert sample.values is not None
        assert np.array_equal(sample.values, expected)
        assert sample.n_missing == n_rows - expected.size
        small, large, right, left = pair._located
        assert small is sample.values and large is ref
        assert np.array_equal(right, np.searchsorted(ref, expected, side="right"))
        assert np.array_equal(left, np.searchsorted(ref, expected, side="left"))


@pytest.mark.parametrize("n", [1, 2, 7, 139, 140, 141, 5_000, 45_455, 100_000, 100_001, 10**6])
def test_kstwo_sf_equals_scipys_distribution_exactly(n: int) -> None:
    rng = np.random.default_rng(n)
    xs = [*rng.random(200), *(rng.random(200) * 5 / np.sqrt(n))]
    xs += [0.0, 0.5 / n, float(np.nextafter(0.5 / n, 1)), 1.0 / n, 0.5, float(np.nextafter(1, 0))]
    xs += [1.0, 1.5, float("nan")]
    for x in xs:
        nx2 = n * x * x
        if n > 140 and 1.0 < n * x < n - 1 and x < 0.5 and nx2 >= 2.2:
            continue  # the Smirnov sum branch, compared with SciPy to 1e-8 elsewhere
        ours, scipy_sf = ksd._kstwo_sf(float(x), n), float(stats.kstwo.sf(x, n))
        assert ours == scipy_sf or (np.isnan(ours) and np.isnan(scipy_sf)), (n, x)


def test_window_judged_by_parts_that_are_its_chunks_uses_the_chunk_statistics() -> None:
    """A whole window cut into parts exactly like its chunks: the part statistics are the
    chunks' own statistics (whether recomputed or reused)."""
    rng = np.random.default_rng(21)
    n = 40_000
    reference = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abc"), n)})
    current = pd.DataFrame({"x": rng.normal(0.03, 1, n), "c": rng.choice(list("abcc"), n)})
    analyzer = DriftAnalyzer(
        reference,
        chunker=Chunker(size=5_000),
        learn_thresholds=True,
        extra_tests=("jensen_shannon", "jensen_shannon_categorical"),
        n_jobs=1,
    )
    report = analyzer.run(current)
    for column, tests in (("x", ("ks", "jensen_shannon")), ("c", ("chi_square",))):
        whole = report.whole.column(column)
        for name in tests:
            chunk_stats = [ch.result.column(column).test(name).statistic for ch in report.chunks]
            judged = whole.test(name)
            assert judged.details["part_statistics"] == chunk_stats
            assert judged.statistic == pytest.approx(float(np.mean(chunk_stats)), rel=1e-15)
