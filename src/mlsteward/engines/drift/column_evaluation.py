"""Run the chosen drift tests on one column pair and turn the outcomes into a result.

Everything that can go wrong with one column (no values, a test that does not apply, a test
that raises) ends up as a message in that column's result; nothing propagates, so the other
columns of the window are still tested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlsteward.engines.drift.categorical_tests import two_proportion_z
from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.registry import DriftTestRegistry, choose_default_test
from mlsteward.engines.drift.results import (
    ColumnDriftResult,
    ColumnSummary,
    MissingShareResult,
    TestResult,
)
from mlsteward.engines.drift.samples import CategoricalSample, EmbeddingSample, NumericSample
from mlsteward.engines.drift.spec import (
    ColumnKind,
    NotApplicableError,
    ThresholdKind,
)

Sample = NumericSample | CategoricalSample | EmbeddingSample
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TOP_CATEGORIES = 20
MISSING_SHARE_P = 0.05


@dataclass(frozen=True)
class ColumnConfig:
    """Per-column overrides: kind, tests (the first is the headline test), thresholds."""

    kind: ColumnKind | None = None
    tests: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)
    skip: bool = False


@dataclass(frozen=True)
class LearnedBound:
    """Upper bound on a statistic learned from the reference's out-of-sample chunks."""

    upper: float
    mean: float
    std: float
    n_chunks: int


def summarize(sample: Sample) -> ColumnSummary:
    """Counts, moments, quantiles or top categories of one side."""
    if isinstance(sample, NumericSample):
        m = sample.moments
        qs: dict[str, float] = {}
        if sample.values is not None and sample.values.size:
            idx = np.minimum(
                (np.asarray(QUANTILES) * sample.values.size).astype(int), sample.values.size - 1
            )
            qs = {
                f"p{round(q * 100):02d}": float(v)
                for q, v in zip(QUANTILES, sample.values[idx], strict=True)
            }
        has = m.n > 0
        return ColumnSummary(
            m.n,
            sample.n_missing,
            m.mean if has else None,
            m.std if has else None,
            m.minimum if has else None,
            m.maximum if has else None,
            qs,
        )
    if isinstance(sample, CategoricalSample):
        order = np.argsort(-sample.counts, kind="stable")[:TOP_CATEGORIES]
        top = {sample.categories[i]: int(sample.counts[i]) for i in order}
        return ColumnSummary(sample.n, sample.n_missing, top_categories=top)
    return ColumnSummary(sample.n, sample.n_missing)


def missing_share(reference: Sample, current: Sample) -> MissingShareResult | None:
    """Two-proportion test on the share of missing values, when either side has some."""
    r_miss, c_miss = reference.n_missing, current.n_missing
    if r_miss == 0 and c_miss == 0:
        return None
    r_total, c_total = reference.n + r_miss, current.n + c_miss
    if r_total == 0 or c_total == 0:
        return None
    _, p = two_proportion_z(r_miss, r_total, c_miss, c_total)
    return MissingShareResult(
        r_miss / r_total, c_miss / c_total, p, MISSING_SHARE_P, p < MISSING_SHARE_P
    )


def evaluate_column(
    name: str,
    kind: ColumnKind,
    reference: Sample,
    current: Sample,
    *,
    registry: DriftTestRegistry,
    config: ColumnConfig | None = None,
    extra_tests: Sequence[str] = (),
    thresholds: Mapping[str, float] | None = None,
    learned: Mapping[str, LearnedBound] | None = None,
    reference_summary: ColumnSummary | None = None,
    pair: ColumnPair | None = None,
    statistics_only: bool = False,
) -> ColumnDriftResult:
    """Test one column; the headline test decides ``drifted`` (with missing-share drift).

    ``pair`` may supply a prepared pair of the two samples (e.g. a holdout pair).
    ``statistics_only`` says only the tests' statistics will be read: tests may leave out
    p-values (and ``drifted`` then means nothing).
    """
    config = config or ColumnConfig()
    ref_summary = reference_summary or summarize(reference)
    cur_summary = summarize(current)
    base: dict[str, Any] = {
        "column": name,
        "kind": kind.value,
        "reference": ref_summary,
        "current": cur_summary,
    }
    missing = missing_share(reference, current)
    if reference.n == 0:
        return ColumnDriftResult(
            **base,
            status="error",
            drifted=False,
            missing=missing,
            message="reference has no non-missing values: nothing to compare against",
        )
    if current.n == 0:
        total = current.n + current.n_missing
        msg = (
            "empty window: no rows"
            if total == 0
            else f"all {total} current values are missing (NaN, None or infinite)"
        )
        return ColumnDriftResult(
            **base,
            status="error",
            drifted=bool(missing and missing.drifted),
            missing=missing,
            message=msg,
        )
    pair = pair or ColumnPair(kind, reference, current)
    if statistics_only:
        pair.statistics_only = True
    try:
        if config.tests:
            main, reason = config.tests[0], "configured for this column"
        else:
            main, reason = choose_default_test(pair)
    except NotApplicableError as exc:
        return ColumnDriftResult(
            **base, status="error", drifted=False, missing=missing, message=str(exc)
        )
    names = [main] + [t for t in (*config.tests[1:], *extra_tests) if t != main]
    results = []
    for test_name in dict.fromkeys(names):
        if test_name not in registry:
            results.append(_error_result(test_name, f"unknown drift test {test_name!r}"))
            continue
        test = registry.get(test_name)
        if kind not in test.spec.kinds:
            if test_name == main:
                results.append(_error_result(test_name, f"does not apply to {kind.value} columns"))
            continue
        results.append(_run_one(pair, test_name, registry, config, thresholds, learned))
    head = results[0]
    message = head.error
    new_cats: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    if kind in (ColumnKind.CATEGORICAL, ColumnKind.BINARY):
        new_cats, gone = pair.aligned.new_categories, pair.aligned.vanished_categories
    drifted = head.drifted or bool(missing and missing.drifted)
    return ColumnDriftResult(
        **base,
        status="ok" if head.error is None else "error",
        drifted=drifted,
        main_test=main,
        choice_reason=reason,
        tests=tuple(results),
        missing=missing,
        new_categories=new_cats,
        vanished_categories=gone,
        message=message,
    )


def _error_result(test: str, error: str) -> TestResult:
    return TestResult(test, None, None, math.nan, "", "", False, error=error)


def _run_one(
    pair: ColumnPair,
    name: str,
    registry: DriftTestRegistry,
    config: ColumnConfig,
    thresholds: Mapping[str, float] | None,
    learned: Mapping[str, LearnedBound] | None,
) -> TestResult:
    test = registry.get(name)
    try:
        out = test.compute(pair)
    except NotApplicableError as exc:
        return _error_result(name, f"not applicable: {exc}")
    except Exception as exc:  # a faulty test must not hide the other columns' results
        return _error_result(name, f"test failed: {type(exc).__name__}: {exc}")
    details = dict(out.details)
    bound = learned.get(name) if learned else None
    if bound is not None and math.isfinite(bound.upper):
        drifted = math.isfinite(out.statistic) and out.statistic > bound.upper
        details["learned_from_chunks"] = bound.n_chunks
        return TestResult(
            name,
            out.statistic,
            out.p_value,
            bound.upper,
            ThresholdKind.DISTANCE.value,
            "learned",
            drifted,
            out.approximate,
            out.note,
            details,
        )
    if name in config.thresholds:
        threshold, source = float(config.thresholds[name]), "configured"
    elif thresholds and name in thresholds:
        threshold, source = float(thresholds[name]), "configured"
    else:
        threshold, source = test.spec.default_threshold, "default"
    return TestResult(
        name,
        out.statistic,
        out.p_value,
        threshold,
        test.spec.threshold_kind.value,
        source,
        test.is_drift(out, threshold),
        out.approximate,
        out.note,
        details,
    )
