"""More fast paths of the drift engine, each giving exactly what the plain computation gives.

Radix sorting of float chunks, KS statistics without p-values when only statistics are read
(scoring reference chunks for learned thresholds), and the quick path of report
serialization are there for speed only: every array and every number must be the same.
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift import Chunker, DriftAnalyzer, float_sort, numeric_tests
from mlsteward.engines.drift import analyzer as analyzer_module
from mlsteward.engines.drift import ks_distribution as ksd
from mlsteward.engines.drift import results as results_module
from mlsteward.engines.drift.column_evaluation import evaluate_column
from mlsteward.engines.drift.float_sort import sort_finite
from mlsteward.engines.drift.registry import default_registry
from mlsteward.engines.drift.samples import NumericSample
from mlsteward.engines.drift.spec import ColumnKind


def _values(kind: str, n: int, seed: int) -> np.ndarray:
    return _draw(kind, max(n, 2), seed)[:n]


def _draw(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    match kind:
        case "normal":
            return rng.normal(3.0, 2.0, n)
        case "heavy_tails":  # lognormal with a wide spread: the linear map crowds it
            return rng.lognormal(0.0, 5.0, n)
        case "one_outlier":
            return np.r_[rng.normal(size=n - 1), 1e300]
        case "cauchy":
            return rng.standard_cauchy(n)
        case "widest_span":  # max - min overflows to inf
            return np.r_[rng.normal(size=n - 2), 1.7e308, -1.7e308]
        case "subnormal":
            return rng.random(n) * 1e-310
        case "tiny_range":  # range / 2**32 is below one ulp of the values
            return 1.0 + rng.random(n) * 1e-12
        case "ties":
            return rng.integers(-5, 6, n).astype(float)
        case "prices":
            return np.round(rng.lognormal(3.0, 1.0, n), 2)
        case "signed_zeros":
            values = rng.normal(size=n)
            values[rng.random(n) < 0.3] = -0.0
            values[rng.random(n) < 0.3] = 0.0
            return values
        case "two_scales":  # both maps leave part of it crowded
            return np.r_[rng.normal(size=n // 2) * 1e-6, rng.normal(size=n - n // 2) * 1e6]
        case "crowded_both":  # a tight cluster and huge outliers: neither map spreads it
            return np.r_[1.0 + rng.random(n - 2) * 1e-9, 1e300, -1e300]
        case "hidden_cluster":  # the sample sees only the spread values, not the cluster
            values = 1.0 + rng.random(n) * 1e-13
            values[:: max(1, n // 512)] = rng.normal(0.0, 10.0, values[:: max(1, n // 512)].size)
            return values
        case "constant":
            return np.full(n, 2.5)
    raise AssertionError(kind)


KINDS = [
    "normal",
    "heavy_tails",
    "one_outlier",
    "cauchy",
    "widest_span",
    "subnormal",
    "tiny_range",
    "ties",
    "prices",
    "signed_zeros",
    "two_scales",
    "crowded_both",
    "hidden_cluster",
    "constant",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [0, 1, 100, 4_095, 4_096, 50_000, 65_536, 65_537, 300_001])
def test_sort_finite_equals_numpys_sort(kind: str, n: int) -> None:
    values = _values(kind, n, seed=n + len(kind))
    out = values.copy()
    sort_finite(out)
    assert np.array_equal(out, np.sort(values))  # -0.0 == 0.0: their order is unspecified


def test_sort_finite_repairs_buckets_shared_by_distinct_values() -> None:
    """Values one ulp apart share a linear bucket, so the radix passes alone leave them in
    input order: the repair sorts inside those buckets and nowhere else."""
    rng = np.random.default_rng(5)
    values = rng.normal(size=50_000)
    twins = rng.choice(values.size, 300, replace=False)
    values[twins] = np.nextafter(values[twins - 1], -np.inf)  # just below its left neighbour
    out = values.copy()
    sort_finite(out)
    assert np.array_equal(out, np.sort(values))


def test_sort_finite_sorts_in_place_and_leaves_the_rest_alone() -> None:
    base = _values("normal", 60_000, seed=3)
    values = base.copy()
    view = values[5_000:55_000]
    sort_finite(view)
    assert np.array_equal(view, np.sort(base[5_000:55_000]))
    assert np.array_equal(values[:5_000], base[:5_000])
    assert np.array_equal(values[55_000:], base[55_000:])


@pytest.mark.parametrize("kind", ["normal", "heavy_tails", "one_outlier", "two_scales"])
def test_both_bucket_maps_are_monotone(kind: str) -> None:
    """A larger value never gets a smaller bucket, whichever map is used."""
    values = np.sort(_values(kind, 20_000, seed=11))
    lo, hi = float(values[0]), float(values[-1])
    linear = float_sort._linear(
        values, lo, float_sort._TOP / (hi - lo), np.empty(values.size, np.uint32)
    )
    shifted = float_sort._shifted_keys(values, lo, hi, np.empty(values.size, np.uint32))
    assert np.all(np.diff(linear.astype(np.int64)) >= 0)
    assert np.all(np.diff(shifted.astype(np.int64)) >= 0)


@pytest.mark.parametrize(
    ("n1", "n2"), [(1, 1), (7, 13), (500, 500), (9_000, 10_000), (450_000, 50_000), (3, 10_001)]
)
def test_ks_reported_statistic_is_the_one_the_p_value_path_reports(n1: int, n2: int) -> None:
    rng = np.random.default_rng(n1 + n2)
    for d in [0.0, 1.0, *rng.random(40), *(rng.random(40) / np.sqrt(min(n1, n2)))]:
        reported, _, _ = ksd.ks_two_sided_pvalue(float(d), n1, n2)
        assert ksd.ks_reported_statistic(float(d), n1, n2) == reported


def test_statistics_only_leaves_out_the_ks_p_value_and_keeps_every_statistic() -> None:
    rng = np.random.default_rng(2)
    registry = default_registry()
    for n_cur in (300, 5_000, 40_000):  # exact and asymptotic regimes
        reference = NumericSample.from_values(rng.normal(size=20_000))
        current = NumericSample.from_values(rng.normal(0.05, 1.0, n_cur))
        tests = ("ks", "jensen_shannon", "wasserstein")
        runs = [
            evaluate_column(
                "x",
                ColumnKind.NUMERIC,
                reference,
                current,
                registry=registry,
                extra_tests=tests,
                statistics_only=only,
            )
            for only in (False, True)
        ]
        full, quick = ({t.test: (t.statistic, t.p_value) for t in run.tests} for run in runs)
        assert set(full) == set(quick) == set(tests)
        for name in tests:
            assert quick[name][0] == full[name][0]
        assert full["ks"][1] is not None and quick["ks"][1] is None


def test_learned_thresholds_are_scored_without_ks_p_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reference chunks are scored for their statistics only: the same learned bounds,
    and KS p-values computed for the current windows alone."""
    rng = np.random.default_rng(8)
    n = 60_000
    reference = pd.DataFrame({"x": rng.normal(size=n), "y": rng.exponential(size=n)})
    current = pd.DataFrame({"x": rng.normal(0.02, 1, n), "y": rng.exponential(1.1, size=n)})

    def run() -> tuple[list[tuple[object, ...]], int]:
        calls = 0
        real = numeric_tests.ks_two_sided_pvalue

        def counting(d: float, n1: int, n2: int) -> tuple[float, float, str]:
            nonlocal calls
            calls += 1
            return real(d, n1, n2)

        with monkeypatch.context() as m:
            m.setattr(numeric_tests, "ks_two_sided_pvalue", counting)
            analyzer = DriftAnalyzer(
                reference, chunker=Chunker(size=10_000), learn_thresholds=True, n_jobs=1
            )
            report = analyzer.run(current)
        learned = [dataclasses.astuple(t) for t in report.learned_thresholds]
        return learned, calls

    quick, quick_calls = run()
    real_evaluate = analyzer_module.evaluate_column

    def with_p_values(*args: object, **kwargs: object) -> object:
        kwargs["statistics_only"] = False
        return real_evaluate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer_module, "evaluate_column", with_p_values)
    full, full_calls = run()
    assert quick == full
    assert any(t[1] == "ks" for t in quick)
    windows = 1 + 6  # the whole window and its chunks, per numeric column
    assert quick_calls == 2 * windows
    assert full_calls == quick_calls + 2 * 6  # six reference chunks per column


class _Colour(enum.Enum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass(frozen=True)
class _Inner:
    x: float
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class _Outer:
    inner: _Inner
    items: list[object]
    table: dict[object, object]
    colour: _Colour
    level: _Level
    nothing: None = None


@dataclasses.dataclass(frozen=True)
class _Empty:
    pass


def test_to_jsonable_quick_path_equals_the_general_one() -> None:
    value = _Outer(
        _Inner(math.nan, ("a", "b")),
        [1, True, 2.5, math.inf, np.float64(1.5), np.float64(np.nan), np.int64(4), np.arange(3)],
        {1: _Inner(-0.0), "k": (_Empty(), _Inner), np.str_("s"): [None]},
        _Colour.RED,
        _Level.HIGH,
    )
    quick = results_module.to_jsonable(value)
    general = results_module._general_jsonable(value)
    assert repr(quick) == repr(general)
    assert quick["level"] == 3 and type(quick["level"]) is int
    assert quick["inner"]["x"] is None


def test_drift_report_serializes_the_same_by_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    n = 20_000
    reference = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abc"), n)})
    current = pd.DataFrame({"x": rng.normal(0.1, 1, n), "c": rng.choice(list("abcd"), n)})
    analyzer = DriftAnalyzer(
        reference, chunker=Chunker(size=5_000), learn_thresholds=True, n_jobs=1
    )
    report = analyzer.run(current)
    quick = report.to_dict()
    monkeypatch.setattr(results_module, "to_jsonable", results_module._general_jsonable)
    assert repr(report.to_dict()) == repr(quick)
