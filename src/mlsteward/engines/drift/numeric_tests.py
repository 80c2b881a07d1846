"""Drift tests for numeric columns: KS, Anderson–Darling, Wasserstein, PSI, Jensen–Shannon,
Hellinger.

Each is a spec plus a pure function of a :class:`ColumnPair`. The order-based tests read the
pair's pooled support (one merge of two sorted arrays, shared); the binned distances read the
pair's histograms on reference quantile bins (shared). With raw samples on both sides KS and
Anderson–Darling equal ``scipy.stats.ks_2samp`` and ``scipy.stats.anderson_ksamp``; with a
stored profile they run on the profile's bins and say so.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.ks_distribution import ks_reported_statistic, ks_two_sided_pvalue
from mlsteward.engines.drift.spec import (
    ColumnKind,
    DriftTest,
    DriftTestSpec,
    NotApplicableError,
    TestOutcome,
    ThresholdKind,
)

NUMERIC = frozenset({ColumnKind.NUMERIC})

#: Floor on bin proportions for PSI (log of zero is undefined); a common convention.
PSI_EPSILON = 1e-4

BINNED_NOTE = (
    "reference held as a profile: computed on its {bins} histogram bins instead of raw values"
)


def _binned_note(pair: ColumnPair) -> str:
    return BINNED_NOTE.format(bins=pair.fine_edges.size + 1)


def kolmogorov_smirnov(pair: ColumnPair) -> TestOutcome:
    """Two-sample KS: the largest gap between the two empirical CDFs, two-sided p-value."""
    d, n_ref, n_cur, approximate = pair.ks_gap
    if pair.statistics_only:
        return TestOutcome(ks_reported_statistic(d, n_ref, n_cur), None, approximate)
    statistic, p, method = ks_two_sided_pvalue(d, n_ref, n_cur)
    note = None
    if approximate:
        note = _binned_note(pair) + "; the statistic is a lower bound (conservative test)"
    return TestOutcome(statistic, p, approximate, note, {"p_value_method": method})


@functools.lru_cache(maxsize=64)
def _ad_variance(n_total: int, n1: int, n2: int) -> float:
    """Variance of the k-sample AD statistic under the null (Scholz & Stephens 1987, k=2)."""
    k = 2
    big_n = float(n_total)
    harmonic_inv = 1.0 / n1 + 1.0 / n2
    inv = 1.0 / np.arange(1, n_total, dtype=np.float64)  # 1/i for i = 1..N-1
    partial = np.cumsum(inv)  # h_i
    h = float(partial[-1])
    # g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1 / ((N - i) j)
    i = np.arange(1, n_total - 1, dtype=np.float64)
    g = float(np.sum((h - partial[:-1]) / (big_n - i))) if n_total > 2 else 0.0
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * harmonic_inv
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * harmonic_inv - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * harmonic_inv + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    return (a * big_n**3 + b * big_n**2 + c * big_n + d) / ((big_n - 1) * (big_n - 2) * (big_n - 3))


# Table 2 of Scholz & Stephens (1987): critical values t_m(alpha) = b0 + b1/sqrt(m) + b2/m.
_AD_LEVELS = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])
_AD_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_AD_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_AD_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])


def anderson_darling(pair: ColumnPair) -> TestOutcome:
    """k-sample Anderson–Darling (midrank form, k=2), normalized; p-value from the table.

    The table-based p-value lives in [0.001, 0.25]; values beyond are capped, as in SciPy.
    """
    ps = pair.pooled
    n1, n2 = ps.n_ref, ps.n_cur
    n_total = n1 + n2
    if n_total < 4:
        raise NotApplicableError("Anderson–Darling needs at least 4 values in total")
    last = ps.last
    # Per distinct value z_j: counts of each sample below z_j, and tied at z_j.
    ref_le, cur_le = ps.cum_ref[last], ps.cum_cur[last]
    ref_lt = np.concatenate([[0.0], ref_le[:-1]])
    cur_lt = np.concatenate([[0.0], cur_le[:-1]])
    f_ref, f_cur = ref_le - ref_lt, cur_le - cur_lt
    tied = f_ref + f_cur
    b = ref_lt + cur_lt + tied / 2.0
    m_cur = cur_lt + f_cur / 2.0
    m_ref = ref_lt + f_ref / 2.0
    # For two samples both terms of the sum share |N*M_ij - B_j*n_i| = |n1*M_cur - n2*M_ref|.
    dev = n1 * m_cur - n2 * m_ref
    denom = b * (n_total - b) - n_total * tied / 4.0
    ok = denom > 0
    inner = np.sum(tied[ok] * dev[ok] ** 2 / denom[ok]) / n_total
    a2akn = (n_total - 1.0) / n_total * (1.0 / n1 + 1.0 / n2) * inner
    sigma = math.sqrt(_ad_variance(n_total, n1, n2))
    statistic = (a2akn - 1.0) / sigma
    critical = _AD_B0 + _AD_B1 + _AD_B2  # m = k - 1 = 1
    note = None
    if statistic < critical.min():
        p = float(_AD_LEVELS.max())
        note = "p-value capped at 0.25 (table limit)"
    elif statistic > critical.max():
        p = float(_AD_LEVELS.min())
        note = "p-value floored at 0.001 (table limit)"
    else:
        coef = np.polyfit(critical, np.log(_AD_LEVELS), 2)
        p = math.exp(float(np.polyval(coef, statistic)))
    if ps.approximate:
        note = "; ".join(x for x in (_binned_note(pair), note) if x)
    return TestOutcome(float(statistic), p, ps.approximate, note)


def wasserstein(pair: ColumnPair) -> TestOutcome:
    """Earth mover's distance between the two samples, divided by the reference's std.

    Dividing by the reference spread makes one threshold meaningful across columns: 0.1 means
    the distributions are a tenth of a standard deviation apart on average.
    """
    ref, _ = pair.numeric()
    distance, approximate = pair.wasserstein_distance
    std = ref.moments.std
    details = {"distance": distance, "reference_std": std}
    if not std > 0:
        if distance == 0:
            return TestOutcome(0.0, None, approximate, "constant reference", details)
        return TestOutcome(
            math.inf, None, approximate, "constant reference; current differs", details
        )
    note = _binned_note(pair) if approximate else None
    return TestOutcome(distance / std, None, approximate, note, details)


def _proportions(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.zeros(counts.size)


def psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Population stability index: sum of (q - p) * ln(q / p), proportions floored at 1e-4."""
    p = np.maximum(_proportions(ref_counts), PSI_EPSILON)
    q = np.maximum(_proportions(cur_counts), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen–Shannon distance (square root of the divergence, base 2), in [0, 1]."""
    p, q = _proportions(ref_counts), _proportions(cur_counts)
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0)
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0)
    js = max(float((kl_p.sum() + kl_q.sum()) / 2.0), 0.0)
    return math.sqrt(min(js, 1.0))


def hellinger_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Hellinger distance sqrt(1 - sum sqrt(p q)), in [0, 1]."""
    p, q = _proportions(ref_counts), _proportions(cur_counts)
    bc = float(np.sum(np.sqrt(p * q)))
    return math.sqrt(max(1.0 - bc, 0.0))


def _binned_distance(pair: ColumnPair, bins: int, fn: object, label: str) -> TestOutcome:
    ref_counts, cur_counts, approximate = pair.binned(bins)
    value = fn(ref_counts, cur_counts)  # type: ignore[operator]
    note = f"{label} on {ref_counts.size} reference quantile bins"
    if approximate:
        note += " grouped from the stored profile's histogram"
    return TestOutcome(float(value), None, approximate, note, {"bins": int(ref_counts.size)})


def psi(pair: ColumnPair) -> TestOutcome:
    """PSI on reference deciles."""
    return _binned_distance(pair, 10, psi_from_counts, "PSI")


def jensen_shannon(pair: ColumnPair) -> TestOutcome:
    """Jensen–Shannon distance on 20 reference quantile bins."""
    return _binned_distance(pair, 20, jensen_shannon_from_counts, "Jensen–Shannon")


def hellinger(pair: ColumnPair) -> TestOutcome:
    """Hellinger distance on 20 reference quantile bins."""
    return _binned_distance(pair, 20, hellinger_from_counts, "Hellinger")


KS = DriftTest(
    DriftTestSpec(
        "ks",
        NUMERIC,
        0.05,
        ThresholdKind.P_VALUE,
        True,
        "Two-sample Kolmogorov–Smirnov test; exact p-value up to 10,000 values per side.",
    ),
    kolmogorov_smirnov,
)
ANDERSON_DARLING = DriftTest(
    DriftTestSpec(
        "anderson_darling",
        NUMERIC,
        0.05,
        ThresholdKind.P_VALUE,
        True,
        "k-sample Anderson–Darling test (midrank); weighs the tails more than KS.",
    ),
    anderson_darling,
)
WASSERSTEIN = DriftTest(
    DriftTestSpec(
        "wasserstein",
        NUMERIC,
        0.1,
        ThresholdKind.DISTANCE,
        True,
        "Wasserstein-1 distance in units of the reference standard deviation.",
    ),
    wasserstein,
)
PSI = DriftTest(
    DriftTestSpec(
        "psi",
        NUMERIC,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Population stability index on reference deciles.",
    ),
    psi,
)
JENSEN_SHANNON = DriftTest(
    DriftTestSpec(
        "jensen_shannon",
        NUMERIC,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Jensen–Shannon distance (base 2) on 20 reference quantile bins.",
    ),
    jensen_shannon,
)
HELLINGER = DriftTest(
    DriftTestSpec(
        "hellinger",
        NUMERIC,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Hellinger distance on 20 reference quantile bins.",
    ),
    hellinger,
)

NUMERIC_TESTS: tuple[DriftTest, ...] = (
    KS,
    ANDERSON_DARLING,
    WASSERSTEIN,
    PSI,
    JENSEN_SHANNON,
    HELLINGER,
)
