"""Drift tests for categorical and binary columns.

Chi-square here is the *two-sample* test of homogeneity on the 2 x K table of reference and
current counts, equal to ``scipy.stats.chi2_contingency(table, correction=False)``. It is not
the one-sample goodness-of-fit test of current counts against reference frequencies: that one
treats the reference as known exactly, which roughly doubles the statistic when both samples
are of similar size and raises false alarms.

Yates' continuity correction is off. It only ever applies to 2 x 2 tables, where it is known to
be conservative; without it the 2 x 2 statistic equals the square of the two-proportion Z
statistic, so the binary and categorical tests agree.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.numeric_tests import (
    hellinger_from_counts,
    jensen_shannon_from_counts,
    psi_from_counts,
)
from mlsteward.engines.drift.spec import (
    ColumnKind,
    DriftTest,
    DriftTestSpec,
    NotApplicableError,
    TestOutcome,
    ThresholdKind,
)

CATEGORICAL = frozenset({ColumnKind.CATEGORICAL, ColumnKind.BINARY})


def chi_square_statistic(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, int]:
    """Pearson statistic and degrees of freedom of the 2 x K homogeneity table."""
    table = np.vstack([ref_counts, cur_counts]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    k = table.shape[1]
    if k < 2:
        return 0.0, 0
    row = table.sum(axis=1, keepdims=True)
    col = table.sum(axis=0, keepdims=True)
    expected = row * col / table.sum()
    return float(np.sum((table - expected) ** 2 / expected)), k - 1


def chi_square(pair: ColumnPair) -> TestOutcome:
    """Two-sample chi-square test of homogeneity (no Yates correction)."""
    ref_counts, cur_counts = pair.categorical_counts()
    statistic, dof = chi_square_statistic(ref_counts, cur_counts)
    p = float(stats.chi2.sf(statistic, dof)) if dof > 0 else 1.0
    n = ref_counts.sum() + cur_counts.sum()
    expected_min = float(
        np.min(np.outer([ref_counts.sum(), cur_counts.sum()], ref_counts + cur_counts) / n)
    )
    note = None
    if expected_min < 5:
        note = f"smallest expected count {expected_min:.2g} < 5: chi-square approximation is rough"
    return TestOutcome(statistic, p, False, note, {"dof": dof, "min_expected": expected_min})


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion Z statistic and its two-sided p-value."""
    if n1 <= 0 or n2 <= 0:
        raise NotApplicableError("two-proportion test needs values on both sides")
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0:
        return 0.0, 1.0
    z = (k2 / n2 - k1 / n1) / math.sqrt(var)
    return z, float(2.0 * stats.norm.sf(abs(z)))


def z_test(pair: ColumnPair) -> TestOutcome:
    """Two-proportion Z-test for a binary column (share of one level, reference vs current)."""
    al = pair.aligned
    seen = (al.reference + al.current) > 0
    cats = [c for c, s in zip(al.categories, seen, strict=True) if s]
    if len(cats) > 2:
        raise NotApplicableError(f"Z-test needs a binary column, found {len(cats)} levels")
    ref_counts, cur_counts = pair.categorical_counts()
    n1, n2 = int(ref_counts.sum()), int(cur_counts.sum())
    level = sorted(cats)[-1]
    i = cats.index(level)
    z, p = two_proportion_z(int(ref_counts[i]), n1, int(cur_counts[i]), n2)
    details = {
        "level": level,
        "reference_share": ref_counts[i] / n1,
        "current_share": cur_counts[i] / n2,
    }
    return TestOutcome(abs(z), p, False, None, details)


def _aligned_distance(pair: ColumnPair, fn: object) -> TestOutcome:
    ref_counts, cur_counts = pair.categorical_counts()
    value = fn(ref_counts, cur_counts)  # type: ignore[operator]
    return TestOutcome(float(value), None, False, None, {"categories": int(ref_counts.size)})


def jensen_shannon_categorical(pair: ColumnPair) -> TestOutcome:
    """Jensen–Shannon distance (base 2) between category frequencies."""
    return _aligned_distance(pair, jensen_shannon_from_counts)


def psi_categorical(pair: ColumnPair) -> TestOutcome:
    """PSI between category frequencies (proportions floored at 1e-4)."""
    return _aligned_distance(pair, psi_from_counts)


def hellinger_categorical(pair: ColumnPair) -> TestOutcome:
    """Hellinger distance between category frequencies."""
    return _aligned_distance(pair, hellinger_from_counts)


def l_infinity(pair: ColumnPair) -> TestOutcome:
    """Largest absolute change in any category's frequency."""
    ref_counts, cur_counts = pair.categorical_counts()
    p = ref_counts / ref_counts.sum()
    q = cur_counts / cur_counts.sum()
    i = int(np.argmax(np.abs(p - q)))
    al = pair.aligned
    seen = [c for c, r, k in zip(al.categories, al.reference, al.current, strict=True) if r + k]
    return TestOutcome(float(abs(p[i] - q[i])), None, False, None, {"category": seen[i]})


CHI_SQUARE = DriftTest(
    DriftTestSpec(
        "chi_square",
        CATEGORICAL,
        0.05,
        ThresholdKind.P_VALUE,
        False,
        "Two-sample chi-square test of homogeneity on the reference/current count table.",
    ),
    chi_square,
)
Z_TEST = DriftTest(
    DriftTestSpec(
        "z_test",
        frozenset({ColumnKind.BINARY}),
        0.05,
        ThresholdKind.P_VALUE,
        False,
        "Two-proportion Z-test on the share of one level of a binary column.",
    ),
    z_test,
)
JENSEN_SHANNON_CATEGORICAL = DriftTest(
    DriftTestSpec(
        "jensen_shannon_categorical",
        CATEGORICAL,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Jensen–Shannon distance (base 2) between category frequencies.",
    ),
    jensen_shannon_categorical,
)
PSI_CATEGORICAL = DriftTest(
    DriftTestSpec(
        "psi_categorical",
        CATEGORICAL,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Population stability index between category frequencies.",
    ),
    psi_categorical,
)
HELLINGER_CATEGORICAL = DriftTest(
    DriftTestSpec(
        "hellinger_categorical",
        CATEGORICAL,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Hellinger distance between category frequencies.",
    ),
    hellinger_categorical,
)
L_INFINITY = DriftTest(
    DriftTestSpec(
        "l_infinity",
        CATEGORICAL,
        0.1,
        ThresholdKind.DISTANCE,
        False,
        "Largest absolute change of one category's frequency.",
    ),
    l_infinity,
)

CATEGORICAL_TESTS: tuple[DriftTest, ...] = (
    CHI_SQUARE,
    Z_TEST,
    JENSEN_SHANNON_CATEGORICAL,
    PSI_CATEGORICAL,
    HELLINGER_CATEGORICAL,
    L_INFINITY,
)
