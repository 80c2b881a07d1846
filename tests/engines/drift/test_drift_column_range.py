"""Constant and two-valued reference columns, and current values beyond a profile's range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift import Chunker, DriftAnalyzer, ProfileBuilder, ReferenceProfile


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


def _with_time_and_ids(rng: np.random.Generator, n: int, start: str) -> pd.DataFrame:
    stamps = pd.date_range(start, periods=n, freq="min")
    return pd.DataFrame(
        {
            "ts": stamps.strftime("%Y-%m-%dT%H:%M:%S"),  # as a CSV gives them: text
            "epoch": stamps.astype("int64") // 10**9,
            "order_id": [f"o-{start}-{i}" for i in range(n)],
            "city": rng.choice(["a", "b", "c"], n),
            "x": rng.normal(size=n),
        }
    )


def test_timestamps_and_identifiers_are_not_tested_and_say_why() -> None:
    rng = np.random.default_rng(4)
    ref = _with_time_and_ids(rng, 3_000, "2024-01-01")
    cur = _with_time_and_ids(rng, 3_000, "2024-03-01")
    for reference in (ref, _profile(ref)):
        report = DriftAnalyzer(reference).run(cur)
        tested = {c.column for c in report.whole.columns}
        assert tested == {"epoch", "city", "x"}
        text = " ".join(report.messages)
        assert "'ts' not tested: its values are timestamps" in text
        assert "'order_id' not tested" in text and "identifiers" in text
        assert not report.whole.column("city").drifted and not report.whole.column("x").drifted


def test_the_time_axis_of_period_chunks_is_not_tested() -> None:
    rng = np.random.default_rng(5)
    ref = _with_time_and_ids(rng, 3_000, "2024-01-01")
    cur = _with_time_and_ids(rng, 3_000, "2024-03-01")
    cur["when"] = pd.to_datetime(cur["ts"])
    chunker = Chunker(period="hour", timestamp_column="epoch")
    report = DriftAnalyzer(ref).run(cur.assign(epoch=cur["when"]), chunker)
    assert len(report.chunks) == 50
    assert "epoch" not in {c.column for c in report.whole.columns}
    assert any("'epoch' not tested: it is the time axis" in m for m in report.messages)


def test_settings_for_an_unknown_column_and_infinite_values_are_explained() -> None:
    from mlsteward.engines.drift import ColumnConfig

    rng = np.random.default_rng(6)
    ref = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500)})
    analyzer = DriftAnalyzer(ref, column_config={"nosuch": ColumnConfig(tests=("ks",))})
    report = analyzer.run(pd.DataFrame({"x": np.full(200, np.inf), "y": rng.normal(size=200)}))
    assert "settings given for column 'nosuch', which is not in the reference" in report.messages
    x = report.whole.column("x")
    assert x.status == "error" and "infinite" in (x.message or "")
    assert report.whole.column("y").status == "ok"
    skipped = DriftAnalyzer(ref, column_config={"y": ColumnConfig(skip=True)}).run(ref)
    assert not any("not in the reference" in m for m in skipped.messages)
