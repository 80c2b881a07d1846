"""Plugins: entry-point discovery, the registry, and the conformance suite on every built-in."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift import (
    ENTRY_POINT_GROUP,
    ColumnConfig,
    ColumnKind,
    ColumnPair,
    DriftAnalyzer,
    DriftTest,
    DriftTestRegistry,
    DriftTestSpec,
    TestOutcome,
    ThresholdKind,
    builtin_tests,
)
from mlsteward.testing.drift_conformance import check_drift_test, parametrize_with_checks


@parametrize_with_checks(builtin_tests())
def test_builtin_drift_tests_conform(drift_test: DriftTest, check) -> None:  # type: ignore[no-untyped-def]
    check(drift_test)


def _mean_gap(pair: ColumnPair) -> TestOutcome:
    ref, cur = pair.numeric()
    return TestOutcome(abs(cur.moments.mean - ref.moments.mean))


MEAN_GAP = DriftTest(
    DriftTestSpec(
        "mean_gap",
        frozenset({ColumnKind.NUMERIC}),
        0.5,
        ThresholdKind.DISTANCE,
        False,
        "Absolute difference of means.",
    ),
    _mean_gap,
)


def test_a_well_behaved_plugin_passes_the_suite() -> None:
    check_drift_test(MEAN_GAP)


def test_a_broken_plugin_fails_the_suite_with_reasons() -> None:
    def always_drift(pair: ColumnPair) -> TestOutcome:
        return TestOutcome(1.0, p_value=1.5)

    bad = DriftTest(
        DriftTestSpec(
            "always", frozenset({ColumnKind.NUMERIC}), 0.5, ThresholdKind.DISTANCE, False
        ),
        always_drift,
    )
    with pytest.raises(AssertionError) as info:
        check_drift_test(bad)
    text = str(info.value)
    assert "identical samples flagged" in text
    assert "outside [0, 1]" in text


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="identifier"):
        DriftTestSpec(
            "bad name", frozenset({ColumnKind.NUMERIC}), 0.1, ThresholdKind.DISTANCE, False
        )
    with pytest.raises(ValueError, match="below 1"):
        DriftTestSpec("p", frozenset({ColumnKind.NUMERIC}), 1.5, ThresholdKind.P_VALUE, False)
    with pytest.raises(ValueError, match="no column kind"):
        DriftTestSpec("k", frozenset(), 0.1, ThresholdKind.DISTANCE, False)


def test_registry_rejects_duplicates_and_lists_kinds() -> None:
    reg = DriftTestRegistry(builtin_tests())
    with pytest.raises(ValueError, match="already registered"):
        reg.register(builtin_tests()[0])
    reg.register(builtin_tests()[0], replace=True)
    numeric = {t.name for t in reg.for_kind(ColumnKind.NUMERIC)}
    assert {
        "ks",
        "anderson_darling",
        "wasserstein",
        "psi",
        "jensen_shannon",
        "hellinger",
    } <= numeric
    binary = {t.name for t in reg.for_kind(ColumnKind.BINARY)}
    assert {"z_test", "chi_square"} <= binary
    with pytest.raises(KeyError, match="known:"):
        reg.get("nope")


@pytest.fixture
def plugin_on_path(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "demo_drift_plugin.py").write_text(
        textwrap.dedent(
            """
            from mlsteward.engines.drift import (
                ColumnKind, DriftTest, DriftTestSpec, TestOutcome, ThresholdKind,
            )

            def _range_gap(pair):
                ref, cur = pair.numeric()
                return TestOutcome(abs(cur.moments.maximum - ref.moments.maximum))

            RANGE_GAP = DriftTest(
                DriftTestSpec("range_gap", frozenset({ColumnKind.NUMERIC}), 1.0,
                              ThresholdKind.DISTANCE, False, "Gap between maxima."),
                _range_gap,
            )

            def all_tests():
                return [RANGE_GAP]
            """
        )
    )
    dist = tmp_path / "demo_drift_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-drift-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "range = demo_drift_plugin:all_tests\n"
        "broken = demo_drift_plugin:does_not_exist\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("demo_drift_plugin", None)


def test_entry_point_plugins_are_discovered_and_usable(plugin_on_path: Path) -> None:
    reg = DriftTestRegistry(builtin_tests())
    added = reg.load_entry_points()
    assert added == ["range_gap"]
    assert "broken" in reg.load_errors
    ref = pd.DataFrame({"x": np.arange(100.0)})
    cur = pd.DataFrame({"x": np.arange(100.0) + 5})
    analyzer = DriftAnalyzer(
        ref, registry=reg, column_config={"x": ColumnConfig(tests=("range_gap",))}
    )
    x = analyzer.compare(cur).column("x")
    assert x.main_test == "range_gap" and x.drifted
    assert x.test("range_gap").statistic == pytest.approx(5.0)
