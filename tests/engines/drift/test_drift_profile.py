"""Reference profiles: streaming build, merge, JSON round trip, comparisons without raw data."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlsteward.engines.drift import (
    Chunker,
    DriftAnalyzer,
    ProfileBuilder,
    QuantileSketch,
    ReferenceProfile,
    build_profile,
)
from mlsteward.engines.drift.profile import NumericProfile


def _table(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    x = rng.normal(loc=shift, size=n)
    x[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "c": np.array(list("abcde"), dtype=object)[rng.integers(0, 5, n)],
            "emb": list(rng.normal(size=(n, 3))),
        }
    )


def test_streamed_profile_equals_one_shot_counts_and_round_trips_json() -> None:
    rng = np.random.default_rng(0)
    data = _table(rng, 20_000)
    edges = {"x": np.linspace(-3, 3, 61)}
    whole = ProfileBuilder(edges=edges)
    whole.update(data)
    streamed = build_profile(data, chunk_size=3_000, edges=edges)
    a, b = whole.build().columns["x"], streamed.columns["x"]
    assert isinstance(a, NumericProfile) and isinstance(b, NumericProfile)
    assert np.array_equal(a.histogram.counts, b.histogram.counts)
    assert a.n_missing == b.n_missing and a.moments.n == b.moments.n
    assert a.moments.mean == pytest.approx(b.moments.mean, rel=1e-12)
    assert a.moments.std == pytest.approx(b.moments.std, rel=1e-12)
    assert streamed.columns["c"].counts == whole.build().columns["c"].counts  # type: ignore[union-attr]
    assert len(streamed.chunks) == 7 and sum(streamed.chunk_rows) == 20_000
    text = json.dumps(streamed.to_dict(), allow_nan=False)
    back = ReferenceProfile.from_dict(json.loads(text))
    assert back.to_dict() == streamed.to_dict()


def test_profiles_merge() -> None:
    rng = np.random.default_rng(1)
    d1, d2 = _table(rng, 5_000), _table(rng, 7_000)
    edges = {"x": np.linspace(-3, 3, 31)}
    merged = build_profile(d1, edges=edges).merge(build_profile(d2, edges=edges))
    both = build_profile(pd.concat([d1, d2], ignore_index=True), edges=edges)
    assert merged.n_rows == 12_000
    mx, bx = merged.columns["x"], both.columns["x"]
    assert isinstance(mx, NumericProfile) and isinstance(bx, NumericProfile)
    assert np.array_equal(mx.histogram.counts, bx.histogram.counts)
    assert merged.columns["emb"].n == both.columns["emb"].n  # type: ignore[union-attr]


def test_quantile_sketch_accuracy_and_merge() -> None:
    rng = np.random.default_rng(2)
    values = rng.lognormal(size=200_000)
    sketch = QuantileSketch(k=256)
    for part in np.array_split(values, 40):
        sketch.update(part)
    other = QuantileSketch(k=256)
    other.update(rng.lognormal(size=50_000))
    merged = sketch.merge(other)
    qs = np.array([0.01, 0.1, 0.5, 0.9, 0.99])
    ranks = stats.percentileofscore(values, sketch.quantiles(qs)) / 100
    assert np.max(np.abs(ranks - qs)) < 0.01
    assert merged.count == 250_000
    assert sum(lv.size for lv in sketch.levels) < 2_000  # bounded memory
    restored = QuantileSketch.from_dict(json.loads(json.dumps(sketch.to_dict())))
    assert np.array_equal(restored.quantiles(qs), sketch.quantiles(qs))


def test_drift_against_profile_is_marked_approximate_and_conservative() -> None:
    rng = np.random.default_rng(3)
    ref, cur = _table(rng, 50_000), _table(rng, 20_000, shift=0.1)
    exact = DriftAnalyzer(ref).compare(cur).column("x")
    approx = DriftAnalyzer(build_profile(ref)).compare(cur).column("x")
    assert not exact.test("ks").approximate and approx.test("ks").approximate
    assert approx.test("ks").statistic <= exact.test("ks").statistic + 1e-12
    assert approx.test("ks").statistic == pytest.approx(exact.test("ks").statistic, abs=0.01)
    assert exact.drifted and approx.drifted
    assert "lower bound" in (approx.test("ks").note or "")
    assert "profile" in (approx.choice_reason or "")
    # Category counts are exact in a profile: same statistic either way.
    c_exact = DriftAnalyzer(ref).compare(cur).column("c").test("chi_square")
    c_prof = DriftAnalyzer(build_profile(ref)).compare(cur).column("c").test("chi_square")
    assert c_prof.statistic == pytest.approx(c_exact.statistic, rel=1e-12)


def test_learned_thresholds_from_profile_chunks_without_raw_reference() -> None:
    rng = np.random.default_rng(4)
    ref = _table(rng, 60_000)
    profile = build_profile(ref, chunk_size=10_000)
    analyzer = DriftAnalyzer(profile, learn_thresholds=True)
    assert analyzer.learned["x"]["ks"].n_chunks == 6
    report = analyzer.run(_table(rng, 30_000, shift=0.5), Chunker(size=10_000))
    assert all(ch.result.column("x").drifted for ch in report.chunks)
    assert report.chunks[0].result.column("x").test("ks").threshold_source == "learned"


def test_profile_building_memory_is_flat_in_the_number_of_chunks() -> None:
    rng = np.random.default_rng(5)
    chunk = pd.DataFrame({f"x{i}": rng.normal(size=20_000) for i in range(5)})

    def peak(n_chunks: int) -> int:
        builder = ProfileBuilder()
        tracemalloc.start()
        for _ in range(n_chunks):
            builder.update(chunk)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        builder.build()
        return top

    small, large = peak(3), peak(30)
    assert large < small * 1.5, (small, large)


def test_stream_against_stored_profile_keeps_memory_flat() -> None:
    rng = np.random.default_rng(6)
    profile = build_profile(pd.DataFrame({"x": rng.normal(size=50_000)}))
    analyzer = DriftAnalyzer(ReferenceProfile.from_dict(profile.to_dict()))

    def stream(n: int):  # type: ignore[no-untyped-def]
        for i in range(n):
            yield pd.DataFrame({"x": np.random.default_rng(i).normal(size=20_000)})

    def peak(n: int) -> int:
        tracemalloc.start()
        kept = [r.result.drifted for r in analyzer.run_stream(stream(n))]
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(kept) == n
        return top

    assert peak(25) < peak(3) * 1.5
