"""Onsets in what people read: the alert evidence, the HTML page and the CLI agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    create_monitor,
    drift_report,
    list_alerts,
    profile_from,
    run_monitor,
    save_profile,
)

from .conftest import Cli

CHUNK, N_CHUNKS, ONSET = 400, 8, 5


def _table(seed: int, n: int, shift_from: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {name: rng.normal(size=n) for name in ("a", "b", "c", "stable")}
    if shift_from is not None:
        for name in ("a", "b", "c"):
            data[name][shift_from:] += 1.0
        data["stable"][:CHUNK] += 0.4  # one early jump on a column that does not drift
    return pd.DataFrame(data)


def _current() -> pd.DataFrame:
    return _table(1, N_CHUNKS * CHUNK, shift_from=ONSET * CHUNK)


LABEL = f"[{ONSET * CHUNK}:{(ONSET + 1) * CHUNK}]"


def test_alert_evidence_names_the_onset_and_agrees_with_itself(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    save_profile(ctx, profile_from(_table(0, 4_000)), "ref")
    _current().to_csv(tmp_path / "day.csv", index=False)
    create_monitor(
        ctx,
        "onset",
        str(tmp_path / "*.csv"),
        "ref",
        checks=["dataset_drift", "column_drift"],
        chunking={"size": CHUNK},
        thresholds={"ks": 0.001},
    )
    assert run_monitor(ctx, "onset").run.drifted
    alerts = {(a.check, a.column): a.evidence for a in list_alerts(ctx, "onset", "open")}
    dataset = alerts[("dataset_drift", "*")]
    assert dataset["drift_began"] == LABEL
    assert sorted(dataset["drifted_columns"]) == ["a", "b", "c"]
    assert dataset["column_drift_began"] == {"a": LABEL, "b": LABEL, "c": LABEL}
    assert alerts[("column_drift", "a")]["drift_began"] == LABEL
    assert alerts[("column_drift", "a")]["isolated_crossings"] == []


def test_html_and_json_show_onsets_and_isolated_crossings() -> None:
    report = drift_report(_table(0, 4_000), _current(), chunk_by=CHUNK, thresholds={"ks": 0.001})
    drift = report.drift
    assert drift.drift_began == LABEL
    assert drift.isolated_crossings == {"stable": ("[0:400]",)}
    html = report.to_html()
    assert f"Drift began in chunk <b>{LABEL}</b>" in html
    assert "Isolated threshold crossings" in html and "stable in [0:400]" in html
    assert report.to_dict()["drift"]["isolated_crossings"] == {"stable": ["[0:400]"]}


def test_cli_names_the_onset_and_the_isolated_crossings(cli: Cli, tmp_path: Path) -> None:
    _table(0, 4_000).to_csv(tmp_path / "ref.csv", index=False)
    _current().to_csv(tmp_path / "cur.csv", index=False)
    result = cli(
        "monitor", "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
        "--chunk-size", str(CHUNK), "--threshold", "ks=0.001",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"drift began in chunk {LABEL}" in result.output
    assert "isolated threshold crossings (not when drift began): stable in [0:400]" in (
        " ".join(result.output.split())
    )
