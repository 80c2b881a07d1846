"""Constant and two-valued reference columns, and current values beyond a profile's range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift import DriftAnalyzer, ProfileBuilder, ReferenceProfile


def _profile(frame: pd.DataFrame) -> ReferenceProfile:
    builder = ProfileBuilder()
    builder.update(frame)
    return builder.build()


@pytest.mark.parametrize("as_profile", [False, True])
def test_spread_around_a_constant_reference_is_drift(as_profile: bool) -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"k": np.full(5_000, 5.0)})
    same = pd.DataFrame({"k": np.full(3_000, 5.0)})
    spread = pd.DataFrame({"k": rng.normal(5.0, 1.0, 3_000)})
    reference: object = _profile(ref) if as_profile else ref
    analyzer = DriftAnalyzer(reference)
    column = analyzer.run(spread).whole.column("k")
    assert column.kind == "numeric" and column.status == "ok"
    assert column.drifted and column.main_test == "ks"
    assert not analyzer.run(same).whole.column("k").drifted


def test_a_flag_that_takes_new_values_is_tested_on_its_contingency_table() -> None:
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"b": rng.choice([0.0, 1.0], 4_000)})
    analyzer = DriftAnalyzer(ref)
    flag = analyzer.run(pd.DataFrame({"b": rng.choice([0.0, 1.0], 4_000)})).whole.column("b")
    assert flag.kind == "binary" and flag.main_test == "z_test" and not flag.drifted
    widened = rng.choice([0.0, 1.0, 2.0], 4_000, p=[0.45, 0.45, 0.1])
    column = analyzer.run(pd.DataFrame({"b": widened})).whole.column("b")
    assert column.status == "ok" and column.main_test == "chi_square"
    assert "3 distinct values" in (column.choice_reason or "")
    assert column.drifted and column.new_categories == ("2",)


def test_values_beyond_a_profiles_range_are_seen() -> None:
    """3% of current values above the reference maximum show in the binned statistic."""
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"u": rng.uniform(0.0, 1.0, 50_000)})
    profile = _profile(ref)
    cur = rng.uniform(0.0, 1.0, 20_000)
    cur[:600] = rng.uniform(1.0, 1.5, 600)
    analyzer = DriftAnalyzer(profile)
    result = analyzer.run(pd.DataFrame({"u": cur})).whole.column("u")
    assert result.test("ks").statistic >= 0.029
    assert result.drifted
    calm = analyzer.run(pd.DataFrame({"u": rng.uniform(0.0, 1.0, 20_000)})).whole.column("u")
    assert not calm.drifted
