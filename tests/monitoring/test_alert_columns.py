"""Alerts for columns the tests could not judge: gone, all missing, or drifted on missing share
only. Each breach names the check that really failed, with the evidence that shows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.monitoring import DEFAULT_CHECKS, Alert
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    drift_report,
    find_breaches,
    get_monitor,
    list_alerts,
    load_profile,
    profile_from,
    run_monitor,
    save_profile,
)

from .conftest import frames

CHECKS = ["column_drift", "missing_share", "column_missing"]


@pytest.fixture
def watched(ctx: ServiceContext, tmp_path: Path) -> Path:
    """A monitor ``m`` on ``tmp_path/in/batch-*.csv`` against a profile of ``frames()``."""
    save_profile(ctx, profile_from(frames().drop(columns=["ts"])), "ref")
    folder = tmp_path / "in"
    folder.mkdir()
    create_monitor(ctx, "m", str(folder / "batch-*.csv"), "ref", checks=CHECKS)
    return folder


def _batch(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"batch-{name}.csv", index=False)


def _current(seed: int = 1) -> pd.DataFrame:
    return frames(n=1000, seed=seed).drop(columns=["ts"])


def _open(ctx: ServiceContext) -> dict[tuple[str, str], Alert]:
    return {(a.check, a.column): a for a in list_alerts(ctx, "m", "open")}


def test_an_all_missing_column_raises_missing_share_and_drift_with_its_reason(
    ctx: ServiceContext, watched: Path
) -> None:
    frame = _current()
    frame["x"] = np.nan
    _batch(watched, "1", frame)
    run_monitor(ctx, "m")
    alerts = _open(ctx)
    assert set(alerts) == {("column_drift", "x"), ("missing_share", "x")}
    drift = alerts[("column_drift", "x")].evidence
    assert drift["status"] == "error" and "missing" in drift["reason"]
    assert "statistic" not in drift and "test" not in drift  # no test ran: no test numbers
    missing = alerts[("missing_share", "x")].evidence
    assert missing["current_share"] == 1.0 and missing["drifted"] is True


def test_drift_on_missing_share_alone_is_not_column_drift(
    ctx: ServiceContext, watched: Path
) -> None:
    frame = _current()
    frame.loc[frame.index % 3 == 0, "x"] = np.nan  # same values otherwise, a third gone
    _batch(watched, "1", frame)
    run_monitor(ctx, "m")
    assert set(_open(ctx)) == {("missing_share", "x")}


def test_a_breached_main_test_is_the_evidence_of_column_drift(
    ctx: ServiceContext, watched: Path
) -> None:
    _batch(watched, "1", frames(n=1000, shift=1.0, seed=1).drop(columns=["ts"]))
    run_monitor(ctx, "m")
    alerts = _open(ctx)
    assert set(alerts) == {("column_drift", "x")}
    evidence = alerts[("column_drift", "x")].evidence
    assert evidence["test"] and evidence["threshold_source"] == "default"
    assert evidence["p_value"] < evidence["threshold"]


def test_a_dropped_column_is_critical_deduplicated_and_resolved_when_back(
    ctx: ServiceContext, watched: Path
) -> None:
    _batch(watched, "1", _current(1).drop(columns=["y"]))
    first = run_monitor(ctx, "m")
    assert [(a.check, a.column, a.severity) for a in first.opened] == [
        ("column_missing", "y", "critical")
    ]
    assert first.run.status == "ok"
    _batch(watched, "2", _current(2).drop(columns=["y"]))
    second = run_monitor(ctx, "m")
    assert second.opened == [] and second.resolved == []
    assert _open(ctx)[("column_missing", "y")].count == 2
    _batch(watched, "3", _current(3))
    back = run_monitor(ctx, "m")
    assert [(a.check, a.column) for a in back.resolved] == [("column_missing", "y")]
    assert _open(ctx) == {}


def test_old_monitors_without_the_check_run_as_before(
    ctx: ServiceContext, watched: Path, tmp_path: Path
) -> None:
    assert "column_missing" in DEFAULT_CHECKS
    assert get_monitor(ctx, "m").checks == CHECKS
    create_monitor(ctx, "defaults", str(watched / "batch-*.csv"), "ref")
    assert get_monitor(ctx, "defaults").checks == list(DEFAULT_CHECKS)
    create_monitor(
        ctx, "old", str(watched / "batch-*.csv"), "ref", checks=["column_drift", "dataset_drift"]
    )
    _batch(watched, "1", _current().drop(columns=["y"]))
    assert run_monitor(ctx, "old").opened == []
    assert [(a.check, a.column) for a in run_monitor(ctx, "defaults").opened] == [
        ("column_missing", "y")
    ]


def test_the_engine_marks_a_missing_column_the_way_alerts_read_it(ctx: ServiceContext) -> None:
    """Without the current columns, ``find_breaches`` reads absence from the report alone."""
    save_profile(ctx, profile_from(frames().drop(columns=["ts"])), "ref")
    monitor = create_monitor(ctx, "m", "/tmp/x.csv", "ref", checks=CHECKS)
    report = drift_report(load_profile(ctx, "ref"), _current().drop(columns=["y"]))
    breaches = find_breaches(monitor, report.drift)
    assert [(b.check, b.column, b.severity) for b in breaches] == [
        ("column_missing", "y", "critical")
    ]
    present = list(_current().columns)
    assert find_breaches(monitor, report.drift, current_columns=present) == []
