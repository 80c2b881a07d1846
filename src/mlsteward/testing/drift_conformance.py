"""Conformance checks every drift test plugin must pass (cf. scikit-learn's check_estimator).

A drift test is a :class:`~mlsteward.engines.drift.DriftTest`: a spec plus a pure function of a
column pair. These checks hold it to the contract the engine relies on: the spec is valid and
serializable; the outcome is well formed and JSON-able; identical samples are not drift and a
gross shift is; the function is deterministic, does not modify its inputs and does not depend on
row order; degenerate input (one value, a constant column) yields an outcome or a
:class:`NotApplicableError`, never another exception; with a profile-only reference a test that
needs raw samples either says its result is approximate or declines.

Use in a plugin's own test suite::

    from mlsteward.testing.drift_conformance import parametrize_with_checks

    @parametrize_with_checks([MY_TEST])
    def test_my_drift_test(drift_test, check):
        check(drift_test)

or call :func:`check_drift_test` to run every check at once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    Histogram,
    NumericSample,
    quantile_edges,
)
from mlsteward.engines.drift.spec import (
    ColumnKind,
    DriftTest,
    NotApplicableError,
    TestOutcome,
    ThresholdKind,
)

Check = Callable[[DriftTest], None]
Sample = NumericSample | CategoricalSample | EmbeddingSample

N = 2_000


# -- data for each column kind ---------------------------------------------------------------
def _numeric(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    return rng.normal(loc=shift, size=n)


def _categories(rng: np.random.Generator, n: int, k: int, shift: float = 0.0) -> np.ndarray:
    weights = np.ones(k)
    weights[0] += shift * k  # shift moves mass onto the first category
    labels = np.array([f"c{i}" for i in range(k)], dtype=object)
    return labels[rng.choice(k, size=n, p=weights / weights.sum())]


def _vectors(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    return rng.normal(loc=shift, size=(n, 8))


def raw_values(kind: ColumnKind, seed: int, n: int = N, shift: float = 0.0) -> Any:
    """Raw column values of one kind; ``shift`` > 0 moves the distribution."""
    rng = np.random.default_rng(seed)
    if kind is ColumnKind.NUMERIC:
        return _numeric(rng, n, shift)
    if kind is ColumnKind.CATEGORICAL:
        return _categories(rng, n, 5, shift)
    if kind is ColumnKind.BINARY:
        return _categories(rng, n, 2, shift)
    return _vectors(rng, n, shift)


def make_sample(kind: ColumnKind, values: Any) -> Sample:
    if kind is ColumnKind.NUMERIC:
        return NumericSample.from_values(values)
    if kind is ColumnKind.EMBEDDING:
        return EmbeddingSample.from_matrix(values)
    return CategoricalSample.from_values(values)


def make_pair(kind: ColumnKind, ref_values: Any, cur_values: Any) -> ColumnPair:
    return ColumnPair(kind, make_sample(kind, ref_values), make_sample(kind, cur_values))


def _profiled(kind: ColumnKind, values: Any) -> Sample:
    """The reference as a stored profile would give it: no raw values."""
    sample = make_sample(kind, values)
    if isinstance(sample, NumericSample):
        assert sample.values is not None
        hist = Histogram.of_sorted(sample.values, quantile_edges(sample.values, 100))
        return NumericSample.from_histogram(hist, sample.moments, sample.n_missing)
    if isinstance(sample, EmbeddingSample):
        assert sample.vectors is not None
        keep = sample.vectors[:500]
        return EmbeddingSample(sample.n, sample.mean, sample.var, keep, is_raw=False)
    return sample


def _run(test: DriftTest, pair: ColumnPair) -> TestOutcome:
    out = test.compute(pair)
    assert isinstance(out, TestOutcome), f"{test.name} returned {type(out).__name__}"
    return out


def _kinds(test: DriftTest) -> list[ColumnKind]:
    return sorted(test.spec.kinds, key=lambda k: k.value)


# -- the checks ------------------------------------------------------------------------------
def check_spec(test: DriftTest) -> None:
    """The spec is valid and its dict form is JSON."""
    spec = test.spec
    assert spec.name and spec.name.replace("_", "").isalnum(), "name must be an identifier"
    assert spec.kinds, "spec must name at least one column kind"
    assert math.isfinite(spec.default_threshold) and spec.default_threshold > 0
    if spec.threshold_kind is ThresholdKind.P_VALUE:
        assert spec.default_threshold < 1, "p-value threshold must be below 1"
    json.dumps(spec.to_dict(), allow_nan=False)
    assert callable(test.compute)


def check_outcome_well_formed(test: DriftTest) -> None:
    """Statistic is a float, p-value in [0, 1] (present for p-value tests), dict is JSON."""
    for kind in _kinds(test):
        out = _run(test, make_pair(kind, raw_values(kind, 1), raw_values(kind, 2, shift=0.3)))
        assert isinstance(out.statistic, float), "statistic must be a float"
        assert not math.isnan(out.statistic), "statistic is NaN"
        if test.spec.threshold_kind is ThresholdKind.P_VALUE:
            assert out.p_value is not None, "a p-value test must return a p-value"
        if out.p_value is not None:
            assert 0.0 <= out.p_value <= 1.0, f"p-value {out.p_value} outside [0, 1]"
        json.dumps(out.to_dict(), allow_nan=False)


def check_identical_samples_not_drift(test: DriftTest) -> None:
    """A sample compared with itself is not drift."""
    for kind in _kinds(test):
        values = raw_values(kind, 3)
        out = _run(test, make_pair(kind, values, values))
        assert not test.is_drift(out), f"{kind.value}: identical samples flagged as drift"


def check_same_distribution_not_drift(test: DriftTest) -> None:
    """Independent samples of one distribution are not drift (at least 2 seeds of 3)."""
    for kind in _kinds(test):
        flags = [
            test.is_drift(
                _run(test, make_pair(kind, raw_values(kind, s), raw_values(kind, s + 50)))
            )
            for s in (10, 11, 12)
        ]
        assert sum(flags) <= 1, f"{kind.value}: undrifted samples flagged {sum(flags)}/3 times"


def check_large_shift_is_drift(test: DriftTest) -> None:
    """A gross shift (2 standard deviations, or most mass moved to one category) is drift."""
    for kind in _kinds(test):
        ref, cur = raw_values(kind, 4), raw_values(kind, 5, shift=2.0)
        out = _run(test, make_pair(kind, ref, cur))
        assert test.is_drift(out), f"{kind.value}: large shift not detected ({out})"


def check_larger_shift_scores_higher(test: DriftTest) -> None:
    """Evidence grows with the shift: higher statistic (distance) or lower p-value."""
    for kind in _kinds(test):
        ref = raw_values(kind, 6)
        small = _run(test, make_pair(kind, ref, raw_values(kind, 7, shift=0.1)))
        large = _run(test, make_pair(kind, ref, raw_values(kind, 7, shift=1.0)))
        if test.spec.threshold_kind is ThresholdKind.P_VALUE:
            assert small.p_value is not None and large.p_value is not None
            assert large.p_value <= small.p_value, f"{kind.value}: p-value not monotone in shift"
        else:
            assert large.statistic >= small.statistic, f"{kind.value}: statistic not monotone"


def check_deterministic(test: DriftTest) -> None:
    """The same input gives the same outcome."""
    for kind in _kinds(test):
        ref, cur = raw_values(kind, 8), raw_values(kind, 9, shift=0.2)
        a = _run(test, make_pair(kind, ref, cur)).to_dict()
        b = _run(test, make_pair(kind, ref, cur)).to_dict()
        assert a == b, f"{kind.value}: outcomes differ between two identical runs"


def check_inputs_not_modified(test: DriftTest) -> None:
    """The function does not write into the samples it reads."""
    for kind in _kinds(test):
        pair = make_pair(kind, raw_values(kind, 12), raw_values(kind, 13, shift=0.2))
        before = [_snapshot(pair.reference), _snapshot(pair.current)]
        _run(test, pair)
        after = [_snapshot(pair.reference), _snapshot(pair.current)]
        for x, y in zip(before, after, strict=True):
            for u, v in zip(x, y, strict=True):
                assert np.array_equal(u, v, equal_nan=True), f"{kind.value}: input modified"


def _snapshot(sample: Sample) -> list[np.ndarray]:
    if isinstance(sample, NumericSample):
        return [np.array([]) if sample.values is None else sample.values.copy()]
    if isinstance(sample, CategoricalSample):
        return [sample.counts.copy()]
    return [sample.mean.copy(), np.array([]) if sample.vectors is None else sample.vectors.copy()]


def check_row_order_invariant(test: DriftTest) -> None:
    """Shuffling the rows of either side does not change the statistic."""
    for kind in _kinds(test):
        ref, cur = raw_values(kind, 14), raw_values(kind, 15, shift=0.2)
        perm = np.random.default_rng(0).permutation(len(cur))
        a = _run(test, make_pair(kind, ref, cur))
        b = _run(test, make_pair(kind, ref, cur[perm]))
        if kind is ColumnKind.EMBEDDING:
            continue  # cross-validated classifiers may split rows differently
        assert math.isclose(a.statistic, b.statistic, rel_tol=1e-9, abs_tol=1e-12), (
            f"{kind.value}: statistic depends on row order"
        )


def check_degenerate_input(test: DriftTest) -> None:
    """One value per side, or a constant column: an outcome or NotApplicableError only."""
    for kind in _kinds(test):
        cases = [(raw_values(kind, 16, n=1), raw_values(kind, 17, n=1))]
        if kind is ColumnKind.NUMERIC:
            cases.append((np.full(50, 3.0), np.full(40, 3.0)))
        elif kind is ColumnKind.EMBEDDING:
            cases.append((np.ones((50, 8)), np.ones((40, 8))))
        else:
            cases.append((np.array(["a"] * 50, dtype=object), np.array(["a"] * 40, dtype=object)))
        for i, (ref, cur) in enumerate(cases):
            try:
                out = _run(test, make_pair(kind, ref, cur))
            except NotApplicableError:
                continue
            assert not math.isnan(out.statistic), f"{kind.value}: NaN statistic on case {i}"
            if i == 1:
                assert not test.is_drift(out), f"{kind.value}: identical constants flagged"


def check_profile_reference(test: DriftTest) -> None:
    """With a profile-only reference: approximate flagged when raw samples are needed."""
    for kind in _kinds(test):
        ref_values, cur = raw_values(kind, 18), raw_values(kind, 19, shift=0.2)
        pair = ColumnPair(kind, _profiled(kind, ref_values), make_sample(kind, cur))
        try:
            out = _run(test, pair)
        except NotApplicableError:
            assert test.spec.needs_raw_samples, "declined a profile though raw data not needed"
            continue
        if test.spec.needs_raw_samples and kind in (ColumnKind.NUMERIC, ColumnKind.EMBEDDING):
            assert out.approximate, f"{kind.value}: profile-based result not marked approximate"
            assert out.note, "an approximate result must say how it was approximated"
        json.dumps(out.to_dict(), allow_nan=False)


ALL_CHECKS: tuple[Check, ...] = (
    check_spec,
    check_outcome_well_formed,
    check_identical_samples_not_drift,
    check_same_distribution_not_drift,
    check_large_shift_is_drift,
    check_larger_shift_scores_higher,
    check_deterministic,
    check_inputs_not_modified,
    check_row_order_invariant,
    check_degenerate_input,
    check_profile_reference,
)


def iter_checks(tests: Iterable[DriftTest]) -> Iterator[tuple[DriftTest, Check]]:
    """Every (test, check) combination."""
    for t in tests:
        for c in ALL_CHECKS:
            yield t, c


def check_drift_test(test: DriftTest) -> None:
    """Run every check; raise AssertionError listing all failures."""
    failures = []
    for check in ALL_CHECKS:
        try:
            check(test)
        except AssertionError as exc:
            failures.append(f"{check.__name__}: {exc}")
        except Exception as exc:
            failures.append(f"{check.__name__}: raised {type(exc).__name__}: {exc}")
    if failures:
        raise AssertionError(f"drift test {test.name!r} fails:\n  " + "\n  ".join(failures))


def parametrize_with_checks(tests: Iterable[DriftTest]) -> Any:
    """A ``pytest.mark.parametrize`` over ``(drift_test, check)`` with readable ids."""
    import pytest

    pairs = list(iter_checks(tests))
    ids = [f"{t.name}-{c.__name__.removeprefix('check_')}" for t, c in pairs]
    return pytest.mark.parametrize(("drift_test", "check"), pairs, ids=ids)
