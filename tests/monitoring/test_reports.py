"""Drift reports on DataFrames: JSON, offline HTML, stored profiles, and bad input."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.engines.drift import CBPE, Chunker
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    drift_report,
    load_profile,
    log_report,
    logged_report_html,
    profile_from,
    save_profile,
)
from mlsteward.services.tracking.experiments import create_experiment
from mlsteward.services.tracking.runs import create_run

from .conftest import frames


def _offline(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert "http://" not in html and "https://" not in html


def test_report_finds_the_shifted_column_and_when_drift_began() -> None:
    ref = frames()
    cur = frames(seed=1)
    cur.loc[1000:, "x"] += 1.0  # drift starts half way through
    # a strict p-value keeps chance alarms out of the early weeks
    report = drift_report(ref, cur, chunk_by="week", timestamp_column="ts", thresholds={"ks": 1e-4})
    assert report.drifted_columns == ["x"]
    began = report.drift.column_drift_began["x"]
    # row 1000 is 2024-02-11 16:00: its week has 8 shifted hours, the next is all shifted
    assert began[:10] in ("2024-02-05", "2024-02-12")
    data = json.loads(report.to_json())
    assert data["drift"]["whole"]["columns"][0]["column"] == "x"
    html = report.to_html()
    _offline(html)
    assert html.count("<svg") >= 4  # distributions and score-over-time charts
    assert "Drift began" in html and "x" in html


def test_stored_profile_is_reused_without_the_reference(ctx: ServiceContext) -> None:
    ref = frames()
    save_profile(ctx, profile_from(ref, chunk_size=500), "training")
    profile = load_profile(ctx, "training")
    assert profile.n_rows == len(ref)
    cur = frames(shift=0.5, seed=3)
    report = drift_report(profile, cur, chunk_by=500, learn_thresholds=True)
    assert "x" in report.drifted_columns and "y" not in report.drifted_columns
    assert report.drift.settings["reference"] == "profile"
    _offline(report.to_html())


def test_profile_with_a_run_is_logged_and_reports_are_run_artifacts(
    ctx: ServiceContext,
) -> None:
    experiment = create_experiment(ctx, "monitoring-exp")
    run = create_run(ctx, experiment.experiment_id)
    record = save_profile(ctx, profile_from(frames()), run_id=run.info.run_id)
    assert record.name == f"run-{run.info.run_id}"
    report = drift_report(frames(), frames(shift=1.0, seed=2))
    paths = log_report(ctx, run.info.run_id, report, "weekly")
    assert paths == ["monitoring/weekly.html", "monitoring/weekly.json"]
    _offline(logged_report_html(ctx, run.info.run_id, "weekly"))
    with pytest.raises(NotFoundError):
        logged_report_html(ctx, run.info.run_id, "absent")


def test_bad_input_is_reported_and_other_columns_still_tested() -> None:
    ref = frames()
    ref["constant"] = 1.0
    ref["empty"] = np.nan
    ref["kind"] = np.arange(len(ref)) % 7
    cur = frames(shift=1.0, seed=5).drop(columns=["colour"])
    cur["constant"] = 1.0
    cur["empty"] = np.nan
    cur["kind"] = "text"  # mismatched type
    cur["ts"] = cur["ts"].astype(str)
    cur.loc[:9, "ts"] = "not a time"
    report = drift_report(ref, cur, chunk_by="week", timestamp_column="ts")
    cols = {c.column: c for c in report.drift.whole.columns}
    assert cols["colour"].status == "error" and "missing" in (cols["colour"].message or "")
    assert cols["empty"].status == "error"
    assert cols["x"].drifted  # still tested
    assert any("unparsable" in m for m in report.drift.messages)
    html = report.to_html()
    _offline(html)
    assert "missing from current data" in html


def test_empty_current_window_is_a_message_not_a_crash() -> None:
    report = drift_report(frames(), frames().iloc[:0])
    assert not report.drifted
    assert all(c.status == "error" for c in report.drift.whole.columns)
    assert "empty window" in report.to_html()


def test_invalid_settings_are_invalid_argument_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="chunking"):
        drift_report(frames(), frames(), chunk_by="fortnight", timestamp_column="ts")
    with pytest.raises(InvalidArgumentError, match="timestamp"):
        drift_report(frames(), frames(), chunk_by="day")
    with pytest.raises(InvalidArgumentError):
        drift_report(frames(), frames(), tests={"x": "no-such-test"})
    with pytest.raises(InvalidArgumentError, match="learn_thresholds"):
        drift_report(frames(), frames(), learn_thresholds=True)


def test_estimated_and_realized_performance_are_plotted() -> None:
    rng = np.random.default_rng(0)
    n = 3000

    def scored(shift: float) -> pd.DataFrame:
        x = rng.normal(size=n) + shift
        p = 1 / (1 + np.exp(-2 * x))
        y = (rng.random(n) < p).astype(int)
        return pd.DataFrame({"x": x, "proba": p, "y": y})

    ref, cur = scored(0.0), scored(0.8)
    estimator = CBPE(task="binary", y_true="y", y_pred_proba="proba", chunker=Chunker(size=500))
    estimator.fit(ref)
    performance = estimator.estimate(cur)
    report = drift_report(ref, cur, chunk_by=500, performance=performance)
    html = report.to_html()
    _offline(html)
    assert "Performance" in html and "realized" in html
    assert json.loads(report.to_json())["performance"]["task"] == "binary"
