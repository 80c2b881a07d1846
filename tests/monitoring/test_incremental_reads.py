"""A performance check over a glob reads each prediction file once, then its cached columns;
files first read before the lookback are left out; the metrics equal a full re-read's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    get_monitor,
    profile_from,
    run_monitor,
    save_profile,
    targets,
)
from mlsteward.services.monitoring.performance_check import evaluate_performance
from mlsteward.services.monitoring.prediction_cache import STATE_KEY

from .conftest import Clock
from .perf_data import predictions

DAY_MS = 86_400_000


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The prediction files read from disk (not from the cache), by name."""
    opened: list[str] = []
    read_file = targets.read_file

    def counting(path: str) -> pd.DataFrame:
        if Path(path).name.startswith("preds-"):
            opened.append(Path(path).name)
        return read_file(path)

    monkeypatch.setattr(targets, "read_file", counting)
    return opened


class Folder:
    """Prediction files and their labels, written as a model's service would."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.labels: list[pd.DataFrame] = []

    def predict(self, name: str, seed: int, flip: float = 0.0, labelled: int = 400) -> None:
        data = predictions(400, seed=seed, flip=flip)
        data.drop(columns=["label"]).to_csv(self.root / f"preds-{name}.csv", index=False)
        self.label(data.iloc[:labelled])
        self._all = getattr(self, "_all", {})
        self._all[name] = data

    def label(self, rows: pd.DataFrame) -> None:
        self.labels.append(rows[["id", "label"]])
        pd.concat(self.labels, ignore_index=True).to_csv(self.root / "labels.csv", index=False)

    def late_labels(self, name: str, start: int) -> None:
        self.label(self._all[name].iloc[start:])


def _create(ctx: ServiceContext, folder: Folder, **options: Any) -> str:
    save_profile(ctx, profile_from(predictions(800, seed=1)[["x", "proba"]]), "ref")
    create_monitor(
        ctx,
        "inc",
        str(folder.root / "preds-*.csv"),
        "ref",
        chunking={"size": 400},
        performance={
            "task": "binary",
            "id_column": "id",
            "prediction": "pred",
            "scores": "proba",
            "labels": str(folder.root / "labels.csv"),
            "reference": str(folder.root / "validation.csv"),
            "bounds": {"accuracy": 0.75},
            "min_labels": 50,
        },
        **options,
    )
    predictions(600, seed=99).to_csv(folder.root / "validation.csv", index=False)
    return "inc"


def _full_reread(ctx: ServiceContext, folder: Folder, names: list[str]) -> dict[str, Any]:
    """The performance summary of every named file read whole, as before the cache."""
    files = [pd.read_csv(folder.root / f"preds-{n}.csv") for n in sorted(names)]
    frame = pd.concat(files, ignore_index=True)
    return evaluate_performance(ctx, get_monitor(ctx, "inc"), frame).summary


def test_later_runs_read_only_new_files_with_the_metrics_of_a_full_reread(
    ctx: ServiceContext, tmp_path: Path, reads: list[str]
) -> None:
    folder = Folder(tmp_path)
    folder.predict("a", seed=2, labelled=100)
    folder.predict("b", seed=3, flip=0.45, labelled=100)
    monitor = _create(ctx, folder)
    first = run_monitor(ctx, monitor).run
    assert sorted(reads) == ["preds-a.csv", "preds-b.csv"]  # once each, for drift and perf
    assert first.summary["prediction_files"]["read"] == 2
    assert first.summary["performance"] == _full_reread(ctx, folder, ["a", "b"])

    reads.clear()
    folder.late_labels("a", 100)  # late labels for a file an earlier run read
    second = run_monitor(ctx, monitor).run
    assert reads == []  # no new file: every prediction came from the cache
    counts = second.summary["prediction_files"]
    assert (counts["read"], counts["from_cache"], counts["outside_lookback"]) == (0, 2, 0)
    perf = second.summary["performance"]
    assert perf["n_labelled"] == 500  # the late labels count
    assert perf == _full_reread(ctx, folder, ["a", "b"])

    folder.predict("c", seed=4)
    third = run_monitor(ctx, monitor).run
    assert reads == ["preds-c.csv"]
    assert third.summary["performance"] == _full_reread(ctx, folder, ["a", "b", "c"])
    state = get_monitor(ctx, monitor).state[STATE_KEY]
    assert sorted(Path(p).name for p in state) == ["preds-a.csv", "preds-b.csv", "preds-c.csv"]
    assert all(r["rows"] == 400 and r["cache"] for r in state.values())


def test_files_first_read_before_the_lookback_are_not_read(
    ctx: ServiceContext, tmp_path: Path, clock: Clock, reads: list[str]
) -> None:
    folder = Folder(tmp_path)
    folder.predict("a", seed=2, flip=0.45)
    monitor = _create(ctx, folder, lookback_s=7 * 86_400)
    assert run_monitor(ctx, monitor).run.summary["performance"]["n_predictions"] == 400
    clock.now += 5 * DAY_MS
    folder.predict("b", seed=3)
    run_monitor(ctx, monitor)
    clock.now += 3 * DAY_MS  # a: first read 8 days ago; b: 3 days ago
    folder.late_labels("a", 0)  # labels for a still arrive: a is out all the same
    reads.clear()
    run = run_monitor(ctx, monitor).run
    assert reads == []
    counts = run.summary["prediction_files"]
    assert (counts["read"], counts["from_cache"], counts["outside_lookback"]) == (0, 1, 1)
    assert "1 prediction file(s) first read more than 7 day(s) ago left out" in (run.message or "")
    perf = run.summary["performance"]
    assert perf == _full_reread(ctx, folder, ["b"])
    assert perf["n_predictions"] == 400 and not perf["breaches"]  # a's bad window is gone


def test_a_changed_file_or_a_lost_cache_is_read_again(
    ctx: ServiceContext, tmp_path: Path, reads: list[str]
) -> None:
    folder = Folder(tmp_path)
    folder.predict("a", seed=2)
    folder.predict("b", seed=3)
    monitor = _create(ctx, folder, lookback_s=None)
    run_monitor(ctx, monitor)
    reads.clear()
    # a is rewritten with more rows (its predictions were re-scored and extended).
    grown = pd.concat([predictions(400, seed=2), predictions(100, seed=5)], ignore_index=True)
    grown.drop(columns=["label"]).to_csv(tmp_path / "preds-a.csv", index=False)
    # b's cache blob is gone (``mlsteward gc`` removes blobs only a monitor's state lists).
    record = get_monitor(ctx, monitor).state[STATE_KEY][str(tmp_path / "preds-b.csv")]
    digest = record["cache"]
    stored = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    blob = next(p for p in stored if digest.endswith(p.name))
    blob.unlink()
    run = run_monitor(ctx, monitor).run
    assert sorted(reads) == ["preds-a.csv", "preds-b.csv"]
    assert run.summary["performance"]["n_predictions"] == 900
    assert run.summary["performance"] == _full_reread(ctx, folder, ["a", "b"])
