"""When drift began: the start of the run the drift is in, not the first chance alarm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift import (
    ChunkDriftResult,
    Chunker,
    ChunkInfo,
    ColumnConfig,
    ColumnDriftResult,
    DatasetDriftResult,
    DriftAnalyzer,
)
from mlsteward.engines.drift.onset import find_onsets, isolated, onset

T, F = True, False


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], None),
        ([F, F, F], None),
        ([T], 0),
        ([F, F, T], 2),
        ([T, F, F, T, T], 3),  # an early crossing, two quiet chunks: not the onset
        ([F, T, F, T, T], 3),  # a lone crossing then a miss does not start the run
        ([T, T, F, T, T], 0),  # one miss inside a run is bridged
        ([F, T, T, T, F, T, T], 1),
        ([T, T, F, F, T], 4),  # two misses in a row end a run
        ([F, T, T, T, F, F], 1),  # drift that ended before the window did
        ([T, F, T, F, T], 4),
    ],
)
def test_onset_is_the_start_of_the_last_run(flags: list[bool], expected: int | None) -> None:
    assert onset(flags) == expected


def test_isolated_crossings_are_the_ones_before_the_run() -> None:
    flags = [T, F, F, T, F, T, T]
    assert onset(flags) == 5
    assert isolated(flags, 5) == [0, 3]
    assert isolated(flags, None) == [0, 3, 5, 6]


N_CHUNKS, CHUNK, ONSET = 10, 500, 6
DRIFTING = ("a", "b", "c")


def _table(rng: np.random.Generator, n: int, shift_from: int | None = None) -> pd.DataFrame:
    data = {name: rng.normal(size=n) for name in (*DRIFTING, "d", "e", "noisy")}
    if shift_from is not None:
        for name in DRIFTING:
            data[name][shift_from:] += 1.0
    return pd.DataFrame(data)


@pytest.mark.parametrize("seed", range(25))
def test_onset_is_the_injected_chunk_despite_a_false_alarm_prone_column(seed: int) -> None:
    """Three of six columns shift from chunk 6; ``noisy`` is stable but judged at p < 0.5,
    so it crosses its threshold in about half the chunks, usually before chunk 6."""
    rng = np.random.default_rng(seed)
    reference = _table(rng, 5_000)
    current = _table(rng, N_CHUNKS * CHUNK, shift_from=ONSET * CHUNK)
    report = DriftAnalyzer(
        reference,
        column_config={"noisy": ColumnConfig(thresholds={"ks": 0.5})},
        thresholds={"ks": 0.001},  # the other columns: chance alarms are rare
        chunker=Chunker(size=CHUNK),
    ).run(current)
    label = f"[{ONSET * CHUNK}:{(ONSET + 1) * CHUNK}]"
    assert report.first_drifted_chunk == ONSET
    assert report.drift_began == label
    for name in DRIFTING:
        assert report.column_drift_began[name] == label
    noisy = [ch.chunk.key for ch in report.chunks if ch.result.column("noisy").drifted]
    if report.whole.column("noisy").drifted:
        assert set(report.isolated_crossings.get("noisy", ())) < set(noisy)
    else:  # not drifted over the window: every crossing is isolated, none is an onset
        assert "noisy" not in report.column_drift_began
        assert list(report.isolated_crossings.get("noisy", ())) == noisy
    keys = [ch.chunk.key for ch in report.chunks]
    for name in DRIFTING:  # a rare chance alarm before the shift is isolated, not the onset
        assert all(keys.index(at) < ONSET for at in report.isolated_crossings.get(name, ()))


def test_an_early_alarm_on_a_stable_column_is_not_the_onset() -> None:
    """The case reported: a crossing in the first chunk made drift begin there."""
    rng = np.random.default_rng(0)
    reference = _table(rng, 5_000)
    current = _table(rng, N_CHUNKS * CHUNK, shift_from=ONSET * CHUNK)
    current.loc[: CHUNK - 1, "d"] += 2.0  # a stable column jumps in chunk 0 only
    report = DriftAnalyzer(reference, chunker=Chunker(size=CHUNK), thresholds={"ks": 0.001}).run(
        current
    )
    assert report.chunks[0].result.column("d").drifted
    assert report.first_drifted_chunk == ONSET
    # d's own short-lived change is its own onset (it shows over the whole window), not the
    # dataset's
    assert report.whole.column("d").drifted
    assert report.column_drift_began["d"] == "[0:500]"
    assert report.isolated_crossings == {}


def _column(name: str, drifted: bool) -> ColumnDriftResult:
    return ColumnDriftResult(name, "numeric", "ok", drifted)


def _window(n_rows: int, drifted: dict[str, bool], dataset: bool) -> DatasetDriftResult:
    cols = tuple(_column(n, d) for n, d in drifted.items())
    n = sum(drifted.values())
    return DatasetDriftResult(n_rows, len(cols), n, n / len(cols), 0.5, dataset, cols)


def test_no_chunk_drifted_for_the_dataset_yet_the_window_did() -> None:
    """Each chunk has too few rows to show it: the columns' onsets say when it began."""
    patterns = {"a": [F, F, T, F, T, T], "b": [F, F, F, T, T, T], "c": [T, F, F, F, F, F]}
    chunks = [
        ChunkDriftResult(
            ChunkInfo(i, f"c{i}", 100),
            _window(100, {n: p[i] for n, p in patterns.items()}, dataset=False),
        )
        for i in range(6)
    ]
    whole = _window(600, {"a": True, "b": True, "c": False}, dataset=True)
    found = find_onsets(whole, chunks)
    assert found.columns == {"a": "c4", "b": "c3"}
    assert found.chunk == 3 and found.label == "c3"
    assert found.isolated == {"a": ("c2",), "c": ("c0",)}
    assert any("no chunk drifted at the dataset level" in m for m in found.messages)
    quiet = _window(600, {"a": False, "b": False, "c": False}, dataset=False)
    assert find_onsets(quiet, chunks).chunk is None
