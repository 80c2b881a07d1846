"""Learned thresholds judge a window many chunks long: in chunk-sized parts.

A monitor run that reads ten chunk-sized files at once has a window ten times the learned
chunk size. The reference wanders a little from chunk to chunk (as real data does): a fixed
p-value on so many rows calls that wander drift, the learned bound scaled to a mean of ten
parts does not, and a real shift is still caught.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift import Chunker, DriftAnalyzer
from mlsteward.engines.drift.window_parts import part_windows
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    drift_report,
    list_alerts,
    profile_from,
    run_monitor,
    save_profile,
)

from .test_learned_thresholds import CHUNK, N_CHUNKS, wandering

WINDOW_CHUNKS = 10


def _window(seed: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.concat(wandering(WINDOW_CHUNKS, seed, shift), ignore_index=True)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.concat(wandering(N_CHUNKS, seed=0), ignore_index=True)


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "profile"])
def test_a_ten_chunk_window_is_judged_in_parts_against_learned_bounds(
    reference: pd.DataFrame, raw: bool
) -> None:
    ref = reference if raw else profile_from(reference, chunk_size=CHUNK)
    learned = fixed = 0
    for seed in range(10, 20):
        window = _window(seed)
        report = drift_report(ref, window, chunk_by=CHUNK, learn_thresholds=True)
        for col in report.drift.whole.columns:
            test = col.test(col.main_test or "")
            assert test.threshold_source == "learned"
            assert len(test.details["part_statistics"]) == WINDOW_CHUNKS
            assert f"judged as {WINDOW_CHUNKS} parts of ~{CHUNK} rows" in (test.note or "")
            assert test.details["window_statistic"] != test.statistic
            learned += col.drifted
        fixed += drift_report(ref, window).drift.whole.n_drifted
    # 20 column windows without drift: the fixed threshold flags the wander in most
    assert fixed >= 6 and learned <= 1, (fixed, learned)
    shifted = drift_report(ref, _window(30, shift=1.0), chunk_by=CHUNK, learn_thresholds=True)
    assert shifted.drifted_columns == ["c0", "c1"]


def test_small_windows_keep_the_fixed_threshold_and_say_why(reference: pd.DataFrame) -> None:
    analyzer = DriftAnalyzer(reference, chunker=Chunker(size=CHUNK), learn_thresholds=True)
    small = analyzer.compare(reference.iloc[: CHUNK // 4]).column("c0").test("ks")
    assert small.threshold_source == "default"
    assert "under half the learned chunk size" in (small.note or "")
    fits = analyzer.compare(reference.iloc[:CHUNK]).column("c0").test("ks")
    assert fits.threshold_source == "learned" and "part_statistics" not in fits.details


def test_part_windows_cover_the_window_in_order() -> None:
    parts = part_windows(1_050, None, 200)
    assert [n for n, _ in parts] == [210] * 5
    assert parts[0][1] == slice(0, 210) and parts[-1][1] == slice(840, 1_050)
    inside = part_windows(400, slice(1_000, 1_400), 200)
    assert [r for _, r in inside] == [slice(1_000, 1_200), slice(1_200, 1_400)]
    rows = np.arange(0, 800, 2)
    indexed = part_windows(400, rows, 190)
    assert np.array_equal(np.concatenate([r for _, r in indexed]), rows)


def test_a_monitor_reading_many_files_at_once_uses_learned_bounds(
    ctx: ServiceContext, reference: pd.DataFrame, tmp_path: Path
) -> None:
    save_profile(ctx, profile_from(reference, chunk_size=CHUNK), "chunked")
    folder = tmp_path / "batches"
    folder.mkdir()
    create_monitor(
        ctx,
        "many",
        str(folder / "batch-*.csv"),
        "chunked",
        checks=["column_drift"],
        chunking={"size": CHUNK},
        learn_thresholds=True,
    )
    for i, part in enumerate(wandering(WINDOW_CHUNKS, seed=40)):
        part.to_csv(folder / f"batch-{i:02d}.csv", index=False)
    run = run_monitor(ctx, "many").run
    assert run.status == "ok" and run.n_rows == WINDOW_CHUNKS * CHUNK, run.message
    assert not list_alerts(ctx, "many", "open")
    for i, part in enumerate(wandering(WINDOW_CHUNKS, seed=41, shift=1.0)):
        part.to_csv(folder / f"batch-{i + 10:02d}.csv", index=False)
    assert run_monitor(ctx, "many").run.drifted
    alerts = {a.column: a for a in list_alerts(ctx, "many", "open")}
    assert set(alerts) == {"c0", "c1"}
    assert {a.evidence["threshold_source"] for a in alerts.values()} == {"learned"}
