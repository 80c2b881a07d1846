"""``mlsteward.data`` and ``mlsteward.log_input`` on the home store, and ``mlsteward data`` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import mlsteward
from mlsteward.interfaces.cli.main import app


def test_sdk_round_trip_and_log_input(csv_file: Path) -> None:
    version = mlsteward.data.ingest("people", csv_file)
    assert mlsteward.data.ingest("people", csv_file) == version
    frame = mlsteward.data.load("people@1")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 60
    assert mlsteward.data.load("people", as_="arrow").num_rows == 60
    memory = mlsteward.data.ingest("frame", pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}))
    assert memory.num_rows == 2
    mlsteward.data.set_alias(version, "gold")
    train = mlsteward.data.split("people@gold", seed=0)["train"]
    with mlsteward.start_run() as run:
        item = mlsteward.log_input(train, context="training")
    assert item.run_id == run.info.run_id
    graph = mlsteward.data.lineage(train)
    assert graph["downstream"]["runs"][0]["run_id"] == run.info.run_id
    assert mlsteward.Client().datasets().list_run_inputs(run.info.run_id) == [item]
    with pytest.raises(mlsteward.InvalidArgumentError):
        mlsteward.data.load("people@1", as_="polars")  # type: ignore[arg-type]


def test_cli_ingest_profile_schema_transform_rebuild_lineage_labels(
    csv_file: Path, tmp_path: Path
) -> None:
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    out = json.loads(run("data", "ingest", "people", str(csv_file), "--alias", "prod", "--json"))
    assert out["created"] and out["rows"] == 60 and out["aliases"] == ["prod"]
    assert "people@1" in run("data", "ingest", "people", str(csv_file))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    assert "bad.csv:3: expected 2 fields" in run("data", "ingest", "bad", str(bad), code=1)
    assert "skipped line 3" in run("data", "ingest", "bad", str(bad), "--skip-bad-rows")
    html = tmp_path / "report.html"
    assert "age" in run("data", "profile", "people@prod", "--html", str(html))
    assert "<html" in html.read_text().lower()
    schema = tmp_path / "schema.yaml"
    run("data", "schema", "infer", "people", "-o", str(schema))
    assert "passed" in run("data", "schema", "validate", "people", str(schema))
    strict = schema.read_text().replace("max: 59", "max: 10")
    schema.write_text(strict)
    assert "id" in run("data", "schema", "validate", "people", str(schema), code=1)
    assert "nothing was registered" in run(
        "data", "ingest", "strict", str(csv_file), "--schema", str(schema), "--strict", code=1
    )
    steps = tmp_path / "steps.yaml"
    steps.write_text("- name: log_transform\n  params: {columns: [income]}\n")
    made = run("data", "transform", "people@1", "--steps", str(steps), "--output", "feat")
    assert "feat@1" in made
    fractions = ["--fraction", "train=0.8", "--fraction", "test=0.2"]
    assert "train" in run("data", "split", "feat", *fractions)
    assert "ok" in run("data", "rebuild", "feat.train")
    tree = run("data", "lineage", "feat")
    assert "people@1" in tree and "feat.train@1" in tree and "log_transform" in tree
    assert "prod" in run("data", "list", "people")
    run("data", "label", "create", "q", "people@1", "--choice", "a", "--choice", "b")
    run("data", "label", "add", "q", "0", "a")
    assert "1/60 labelled" in run("data", "label", "status", "q")
    assert "labelled@1" in run("data", "label", "export", "q", "--output", "labelled")
    assert "No dataset" in run("data", "show", "nothing", code=1)
