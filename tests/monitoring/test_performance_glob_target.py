"""A glob target with the performance check: drift reads only new files, the performance check
joins labels to every prediction file (in path order), each file read once: later runs read
the columns the check needs from a cache."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    profile_from,
    run_monitor,
    save_profile,
    targets,
)

from .perf_data import predictions


def test_old_and_new_prediction_files_are_judged_each_read_once(
    ctx: ServiceContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_profile(ctx, profile_from(predictions(1200, seed=1)[["x", "proba"]]), "ref")
    parts = [predictions(400, seed=s, flip=f) for s, f in ((2, 0.0), (3, 0.45), (4, 0.0))]
    labels = pd.concat(parts, ignore_index=True)[["id", "label"]]
    labels.to_csv(tmp_path / "labels.csv", index=False)
    # "b" before "c" on disk, but written in the order c, b: path order wins.
    parts[0].drop(columns=["label"]).to_csv(tmp_path / "preds-c.csv", index=False)
    create_monitor(
        ctx,
        "glob",
        str(tmp_path / "preds-*.csv"),
        "ref",
        chunking={"size": 400},
        performance={
            "task": "binary",
            "id_column": "id",
            "prediction": "pred",
            "labels": str(tmp_path / "labels.csv"),
            "bounds": {"accuracy": 0.75},
            "min_labels": 100,
        },
    )
    reads: list[str] = []
    read_file = targets.read_file

    def counting(path: str) -> pd.DataFrame:
        reads.append(Path(path).name)
        return read_file(path)

    monkeypatch.setattr(targets, "read_file", counting)
    first = run_monitor(ctx, "glob")
    assert first.run.n_rows == 400
    assert first.run.summary["performance"]["n_predictions"] == 400
    assert not [a for a in first.opened if a.check == "performance"]
    parts[1].drop(columns=["label"]).to_csv(tmp_path / "preds-b.csv", index=False)
    parts[2].drop(columns=["label"]).to_csv(tmp_path / "preds-d.csv", index=False)
    reads.clear()
    second = run_monitor(ctx, "glob")
    assert second.run.n_rows == 800  # drift: the new files only
    perf = second.run.summary["performance"]
    assert perf["n_predictions"] == 1200 and perf["n_labelled"] == 1200
    # Path order b, c, d: the mislabelled file b is the first window.
    assert [w["breached"] for w in perf["windows"]] == [["accuracy"], [], []]
    preds = [r for r in reads if r.startswith("preds-")]
    # c was read by the first run: its cached columns stand in for the file.
    assert sorted(preds) == ["preds-b.csv", "preds-d.csv"], preds
    assert second.run.summary["prediction_files"] == {
        "read": 2,
        "from_cache": 1,
        "outside_lookback": 0,
        "lookback_s": 30 * 24 * 3600,
    }
