"""``mlsteward monitor`` for learned thresholds, dataset profiles and ``show``'s schedule."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import Result

from .conftest import Cli, frames


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_profile_from_a_dataset_and_a_learned_threshold_monitor(cli: Cli, tmp_path: Path) -> None:
    frames(n=800).drop(columns=["ts"]).to_csv(tmp_path / "ref.csv", index=False)
    _ok(cli("data", "ingest", "customers", str(tmp_path / "ref.csv")))
    out = _ok(cli("monitor", "profile", "ref", "dataset:customers@1", "--chunk-size", "200"))
    assert "Stored profile ref: 800 rows" in out and "(dataset customers@1)" in out
    assert "chunks of 200 rows kept" in out
    out = _ok(
        cli(
            "monitor", "profile", "flat", str(tmp_path / "ref.csv"),
            "--dataset", "customers", "--dataset-version", "1",
        )
    )  # fmt: skip
    assert "(dataset customers@1)" in out
    bad = cli("monitor", "profile", "x", str(tmp_path / "ref.csv"), "--dataset", "customers")
    assert bad.exit_code == 1 and "go together" in bad.output

    refused = cli(
        "monitor", "create", "m", "--target", "dataset:customers@1", "--profile", "flat",
        "--chunk-size", "200", "--learn-thresholds",
    )  # fmt: skip
    assert refused.exit_code == 1 and "--chunk-size" in refused.output
    _ok(
        cli(
            "monitor", "create", "m", "--target", "dataset:customers@1", "--profile", "ref",
            "--chunk-size", "200", "--learn-thresholds",
        )
    )  # fmt: skip
    out = _ok(cli("monitor", "show", "m"))
    assert "thresholds: learned from the profile's chunks" in out
    assert "chunking: size=200" in out
    shown = json.loads(_ok(cli("monitor", "show", "m", "--json")))
    assert shown["monitor"]["learn_thresholds"] is True
    assert "column_missing" in shown["monitor"]["checks"]  # a default check now
    run = json.loads(_ok(cli("monitor", "run", "m", "--json")))
    assert run["run"]["status"] == "ok"


def test_show_prints_the_schedule_without_an_empty_next(cli: Cli, tmp_path: Path) -> None:
    frames().to_csv(tmp_path / "ref.csv", index=False)
    _ok(cli("monitor", "profile", "ref", str(tmp_path / "ref.csv")))
    target = str(tmp_path / "new-*.csv")
    _ok(cli("monitor", "create", "manual", "--target", target, "--profile", "ref"))
    lines = _ok(cli("monitor", "show", "manual")).splitlines()
    assert "  schedule: manual" in lines
    assert "thresholds: fixed" in "\n".join(lines)
    assert not any(line.rstrip().endswith("next") for line in lines)
    _ok(
        cli("monitor", "create", "hourly", "--target", target, "--profile", "ref",
            "--interval", "3600")
    )  # fmt: skip
    out = _ok(cli("monitor", "show", "hourly"))
    assert "schedule: every 3600s, next 20" in out  # a date follows
