"""``mlsteward models export-onnx`` against a real logged model in a temporary store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import mlsteward
from mlsteward.interfaces.cli.main import app

pytest.importorskip("skl2onnx")


def _logged_model(store: Path) -> tuple[str, pd.DataFrame]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    labels = (frame["a"] + frame["b"] > 0).astype(int)
    mlsteward.set_tracking_uri(store)
    with mlsteward.start_run(log_environment=False):
        info = mlsteward.log_model(
            LogisticRegression().fit(frame, labels), "model", input_example=frame.head(3)
        )
    return info.model_uri, frame.assign(label=labels)


def test_export_onnx_records_parity_on_a_sample(tmp_path: Path) -> None:
    store = tmp_path / "store"
    uri, frame = _logged_model(store)
    sample = tmp_path / "sample.csv"
    frame.to_csv(sample, index=False)
    result = CliRunner().invoke(
        app,
        [
            "models",
            "export-onnx",
            uri,
            "--sample",
            str(sample),
            "--target",
            "label",
            "--tracking-uri",
            str(store),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["parity_ok"] is True
    assert {check["dataset"] for check in record["parity"]} >= {"sample"}
    loaded = mlsteward.load_model(uri, runtime="onnx")
    assert loaded.predict(frame.drop(columns="label")).shape == (60,)


def test_export_onnx_bad_sample_is_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    uri, _ = _logged_model(store)
    result = CliRunner().invoke(
        app,
        [
            "models",
            "export-onnx",
            uri,
            "--sample",
            str(tmp_path / "missing.csv"),
            "--tracking-uri",
            str(store),
        ],
    )
    assert result.exit_code == 1
    assert "No such sample file" in result.stderr
