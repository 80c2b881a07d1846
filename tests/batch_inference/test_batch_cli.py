"""``mlsteward predict``: the job through the CLI, its report as JSON, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from mlsteward.interfaces.cli.main import app

from .conftest import Store, gbt_frame


def test_predict_writes_a_csv_and_prints_the_report(store: Store, tmp_path: Path) -> None:
    gbt_frame(250, 51).to_parquet(tmp_path / "in.parquet")
    args = ["predict", "models:/gbt/1", "-i", str(tmp_path / "in.parquet")]
    args += ["-o", str(tmp_path / "out.csv"), "-t", store.uri, "--keep-none", "--proba"]
    result = CliRunner().invoke(app, [*args, "--chunk-size", "100", "--json", "--no-log"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows"], report["chunks"], report["logged_as"]) == (250, 3, None)
    output = pd.read_csv(tmp_path / "out.csv")
    assert list(output.columns) == [
        "prediction_id",
        "predict",
        "predict_proba_0",
        "predict_proba_1",
    ]
    summary = CliRunner().invoke(app, [*args, "--chunk-size", "100", "--no-log"])
    assert summary.exit_code == 0, summary.output
    assert "Resumed: 3 chunk(s), 250 row(s) done before" in summary.stdout


def test_a_refused_job_is_one_error_line(store: Store, tmp_path: Path) -> None:
    args = [
        "predict",
        "models:/gbt/1",
        "-i",
        str(tmp_path / "none-*.csv"),
        "-o",
        str(tmp_path / "o"),
    ]
    result = CliRunner().invoke(app, [*args, "-t", store.uri])
    assert result.exit_code == 1
    assert "No input file matches" in result.output
