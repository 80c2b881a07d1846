"""``mlsteward jobs ...`` on a local store: create, list, show, run, runs, pause, resume and
delete, with the service's refusals as one-line errors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.client import Client
from operations.examples.models import _logged_model


def test_the_jobs_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSTEWARD_HOME", str(tmp_path / "home"))
    store = str(tmp_path / "store")
    client = Client(store)
    name = client.create_registered_model(f"m-{uuid.uuid4().hex[:8]}").name
    source = _logged_model(client)
    client.create_model_version(name, source, run_id=source.split("/")[1])
    values = np.random.default_rng(3).normal(size=(25, 3))
    pd.DataFrame({str(i): values[:, i] for i in range(3)}).to_parquet(tmp_path / "in.parquet")
    runner = CliRunner()

    def jobs(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["jobs", *args, "-t", store])
        return result.exit_code, result.stdout + result.stderr

    output = str(tmp_path / "out" / "{run}")
    source_file = str(tmp_path / "in.parquet")
    code, text = jobs(
        "create", "nightly", "--model", f"models:/{name}/1", "--input", source_file,
        "--output", output, "--every", "1d", "--no-log",
    )  # fmt: skip
    assert code == 0 and "every 1d" in text, text
    code, text = jobs("create", "bad", "--model", f"models:/{name}/1", "-i", "x", "-o", "out")
    assert code == 1 and "Error: Each run needs an output of its own" in text
    code, text = jobs("run", "nightly", "--json")
    run = json.loads(text)
    assert code == 0 and (run["status"], run["rows"]) == ("succeeded", 25)
    code, text = jobs("runs", "nightly", "--json")
    assert [r["run_id"] for r in json.loads(text)] == [run["run_id"]]
    assert jobs("pause", "nightly")[0] == 0
    code, text = jobs("list")
    assert code == 0 and "paused" in text
    assert jobs("resume", "nightly", "--every", "12h")[0] == 0
    code, text = jobs("show", "nightly", "--json")
    assert (json.loads(text)["interval_s"], json.loads(text)["enabled"]) == (43200, True)
    (tmp_path / "in.parquet").unlink()
    code, text = jobs("run", "nightly")
    assert code == 1 and "failed" in text
    assert jobs("delete", "nightly")[0] == 0
    code, text = jobs("show", "nightly")
    assert code == 1 and "No batch job named 'nightly'" in text
