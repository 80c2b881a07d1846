"""Statistics and p-values equal SciPy's two-sample functions on the same data (to 1e-9)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlsteward.engines.drift import (
    CategoricalSample,
    ColumnKind,
    ColumnPair,
    NumericSample,
    ks_distribution,
)
from mlsteward.engines.drift.categorical_tests import (
    chi_square,
    jensen_shannon_categorical,
    l_infinity,
    psi_categorical,
    z_test,
)
from mlsteward.engines.drift.ks_distribution import ks_two_sided_pvalue
from mlsteward.engines.drift.numeric_tests import (
    anderson_darling,
    hellinger,
    jensen_shannon,
    kolmogorov_smirnov,
    psi,
    wasserstein,
)

TOL = 1e-9


def numeric_pair(a: np.ndarray, b: np.ndarray) -> ColumnPair:
    return ColumnPair(
        ColumnKind.NUMERIC, NumericSample.from_values(a), NumericSample.from_values(b)
    )


def categorical_pair(a: np.ndarray, b: np.ndarray, kind: ColumnKind) -> ColumnPair:
    return ColumnPair(kind, CategoricalSample.from_values(a), CategoricalSample.from_values(b))


SIZES = [
    (7, 5),
    (40, 40),
    (100, 37),
    (500, 500),
    (1_000, 999),
    (3_000, 2_000),
    (10_000, 10_000),
    (12_000, 800),
    (50_000, 500_000),
    (200_000, 150_000),
]


@pytest.mark.parametrize(("n1", "n2"), SIZES)
@pytest.mark.parametrize("shift", [0.0, 0.05, 0.3])
def test_ks_matches_scipy(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 * 7 + n2)
    a, b = rng.normal(size=n1), rng.normal(loc=shift, size=n2)
    out = kolmogorov_smirnov(numeric_pair(a, b))
    ref = stats.ks_2samp(a, b)
    assert out.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert out.p_value == pytest.approx(ref.pvalue, abs=TOL)
    assert not out.approximate


@pytest.mark.parametrize(("n1", "n2"), [(7, 5), (100, 37), (1_000, 999), (3_000, 2_000)])
def test_ks_exact_pvalue_without_scipys_compiled_count(
    n1: int, n2: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recursion used when SciPy has no compiled path count gives SciPy's p-values."""
    monkeypatch.setattr(ks_distribution, "_OUTSIDE_SHARE", None)
    rng = np.random.default_rng(n1 + 3 * n2)
    for shift in (0.0, 0.1, 0.4):
        a, b = rng.normal(size=n1), rng.normal(loc=shift, size=n2)
        out = kolmogorov_smirnov(numeric_pair(a, b))
        ref = stats.ks_2samp(a, b, method="exact")
        assert out.p_value == pytest.approx(ref.pvalue, abs=TOL)


@pytest.mark.parametrize(("n1", "n2"), [(300, 200), (5_000, 60_000), (40_000, 40_000)])
def test_ks_matches_scipy_with_ties(n1: int, n2: int) -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 30, n1).astype(float)
    b = rng.integers(0, 31, n2).astype(float)
    out = kolmogorov_smirnov(numeric_pair(a, b))
    ref = stats.ks_2samp(a, b)
    assert out.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert out.p_value == pytest.approx(ref.pvalue, abs=TOL)


def test_ks_large_drift_pvalue_matches_scipy_fast_path() -> None:
    # Drifted columns at large n go through the vectorized Smirnov sum, not SciPy's loop.
    for n, d in [(45_455, 0.01), (250_000, 0.005), (12_000, 0.02), (6_000, 0.03)]:
        p_ours = ks_two_sided_pvalue(d, 2 * n, 2 * n)[1]  # both sides > 10,000: asymptotic
        p_scipy = stats.kstwo.sf(d, n)
        assert p_ours == pytest.approx(p_scipy, abs=TOL, rel=1e-8)


@pytest.mark.parametrize(("n1", "n2"), [(20, 30), (500, 500), (2_000, 7_000), (60_000, 9_000)])
@pytest.mark.parametrize("shift", [0.0, 0.1, 0.5])
def test_anderson_darling_matches_scipy(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(n1 + n2)
    a, b = rng.normal(size=n1), rng.normal(loc=shift, size=n2)
    out = anderson_darling(numeric_pair(a, b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.anderson_ksamp([a, b], variant="midrank")
    assert out.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert out.p_value == pytest.approx(ref.pvalue, abs=TOL)


def test_anderson_darling_with_ties_matches_scipy() -> None:
    rng = np.random.default_rng(9)
    a = rng.integers(0, 8, 3_000).astype(float)
    b = rng.integers(0, 8, 2_500).astype(float) + (rng.random(2_500) < 0.05)
    out = anderson_darling(numeric_pair(a, b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.anderson_ksamp([a, b], variant="midrank")
    assert out.statistic == pytest.approx(ref.statistic, abs=TOL)
    assert out.p_value == pytest.approx(ref.pvalue, abs=TOL)


@pytest.mark.parametrize(("n1", "n2"), [(50, 80), (1_000, 1_000), (500_000, 50_000), (300, 9_000)])
def test_wasserstein_matches_scipy_normalized_by_reference_std(n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1)
    a, b = rng.normal(10, 3, n1), rng.normal(10.5, 2, n2)
    out = wasserstein(numeric_pair(a, b))
    expected = stats.wasserstein_distance(a, b) / np.std(a)
    assert out.statistic == pytest.approx(expected, rel=1e-9)


def test_binned_distances_match_reference_formulas() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=20_000), rng.normal(0.2, 1.1, 15_000)
    pair = numeric_pair(a, b)
    ref_counts, cur_counts, approximate = pair.binned(20)
    assert not approximate
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    assert jensen_shannon(pair).statistic == pytest.approx(jensenshannon(p, q, base=2), rel=1e-9)
    assert hellinger(pair).statistic == pytest.approx(np.sqrt(1 - np.sum(np.sqrt(p * q))), rel=1e-9)
    r10, c10, _ = pair.binned(10)
    p10, q10 = r10 / r10.sum(), c10 / c10.sum()
    assert psi(pair).statistic == pytest.approx(np.sum((q10 - p10) * np.log(q10 / p10)), rel=1e-9)
    # Equal-frequency bins on the reference: each holds about a tenth of it.
    assert np.allclose(p10, 0.1, atol=1e-3)


@pytest.mark.parametrize("k", [2, 3, 12, 50])
def test_chi_square_is_two_sample_contingency_test_without_yates(k: int) -> None:
    rng = np.random.default_rng(k)
    labels = np.array([f"v{i}" for i in range(k)], dtype=object)
    a = labels[rng.integers(0, k, 4_000)]
    w = np.ones(k)
    w[0] = 1.3
    b = labels[rng.choice(k, 3_000, p=w / w.sum())]
    kind = ColumnKind.BINARY if k == 2 else ColumnKind.CATEGORICAL
    out = chi_square(categorical_pair(a, b, kind))
    table = np.array([[np.sum(a == c) for c in labels], [np.sum(b == c) for c in labels]])
    ref = stats.chi2_contingency(table, correction=False)
    assert out.statistic == pytest.approx(ref.statistic, abs=TOL, rel=1e-12)
    assert out.p_value == pytest.approx(ref.pvalue, abs=TOL)
    assert out.details["dof"] == ref.dof


def test_chi_square_is_not_goodness_of_fit() -> None:
    # The one-sample test against reference frequencies ignores the reference's own noise,
    # giving a larger statistic; the two-sample test must be the smaller, correct one.
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 2_000).astype(str), rng.integers(0, 5, 2_000).astype(str)
    pair = categorical_pair(a.astype(object), b.astype(object), ColumnKind.CATEGORICAL)
    ref_counts, cur_counts = pair.categorical_counts()
    expected = ref_counts / ref_counts.sum() * cur_counts.sum()
    gof = stats.chisquare(cur_counts, expected).statistic
    assert chi_square(pair).statistic == pytest.approx(gof / 2, rel=0.2)


def test_z_test_squared_equals_2x2_chi_square() -> None:
    rng = np.random.default_rng(4)
    a = np.where(rng.random(5_000) < 0.30, "yes", "no").astype(object)
    b = np.where(rng.random(4_000) < 0.33, "yes", "no").astype(object)
    pair = categorical_pair(a, b, ColumnKind.BINARY)
    z = z_test(pair)
    chi = chi_square(pair)
    assert z.statistic**2 == pytest.approx(chi.statistic, rel=1e-12)
    assert z.p_value == pytest.approx(chi.p_value, abs=TOL)


def test_categorical_distances() -> None:
    a = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20, dtype=object)
    b = np.array(["a"] * 40 + ["b"] * 30 + ["d"] * 30, dtype=object)
    pair = categorical_pair(a, b, ColumnKind.CATEGORICAL)
    p = np.array([0.5, 0.3, 0.2, 0.0])
    q = np.array([0.4, 0.3, 0.0, 0.3])
    assert jensen_shannon_categorical(pair).statistic == pytest.approx(
        jensenshannon(p, q, base=2), rel=1e-12
    )
    assert l_infinity(pair).statistic == pytest.approx(0.3)
    pf, qf = np.maximum(p, 1e-4), np.maximum(q, 1e-4)
    assert psi_categorical(pair).statistic == pytest.approx(np.sum((qf - pf) * np.log(qf / pf)))
    assert pair.aligned.new_categories == ("d",)
    assert pair.aligned.vanished_categories == ("c",)


@pytest.mark.parametrize("decimals", [None, 1])
def test_holdout_pair_equals_statistics_on_the_materialized_rest(decimals: int | None) -> None:
    """Chunk-vs-rest via the whole reference equals building the rest explicitly."""
    from mlsteward.engines.drift.holdout_pair import HoldoutPair, SortedReference
    from mlsteward.engines.drift.samples import Moments

    rng = np.random.default_rng(11)
    x = rng.normal(size=30_000)
    if decimals is not None:
        x = np.round(x, decimals)  # heavy ties
    order = np.argsort(x, kind="stable")
    whole = NumericSample.from_sorted(x[order])
    in_chunk_rows = np.zeros(x.size, dtype=bool)
    in_chunk_rows[12_000:15_000] = True
    sel = in_chunk_rows[order]
    part = NumericSample.from_sorted(whole.values[sel])  # type: ignore[index]
    rest_raw = NumericSample.from_sorted(whole.values[~sel])  # type: ignore[index]
    rest = NumericSample(whole.moments.subtract(part.moments), 0)
    holdout = HoldoutPair(SortedReference(whole), np.flatnonzero(sel), rest, part)
    plain = ColumnPair(ColumnKind.NUMERIC, rest_raw, part)
    for fn in (kolmogorov_smirnov, anderson_darling, wasserstein):
        a, b = fn(holdout), fn(plain)
        assert a.statistic == pytest.approx(b.statistic, rel=1e-9, abs=1e-12), fn.__name__
        if b.p_value is not None:
            assert a.p_value == pytest.approx(b.p_value, abs=TOL), fn.__name__
    assert rest.moments.std == pytest.approx(Moments.of(whole.values[~sel]).std, rel=1e-9)  # type: ignore[index]
