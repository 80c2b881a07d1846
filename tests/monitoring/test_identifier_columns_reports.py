"""Identifier, timestamp and prediction columns in drift reports, the SDK and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlsteward.monitoring as mon
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.monitoring import drift_report

from .conftest import Cli


def _orders(n: int, first_id: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n),
            "customer": [f"c{v}" for v in rng.integers(0, 40, n)],  # repeats: a category
            "amount": rng.gamma(2.0, 20.0, n) + shift,
            "score": rng.uniform(size=n) + shift / 100,
            "sent": np.arange(n) * 60 + first_id * 60,  # epoch-like seconds as floats below
        }
    ).astype({"sent": float})


def test_named_columns_are_untested_or_marked_and_integer_ids_are_inferred() -> None:
    report = drift_report(
        _orders(3_000, 0, 0),
        _orders(2_000, 3_000, 1),
        chunk_by=500,
        timestamp_column="sent",
        identifier_columns=["customer"],
        prediction_columns=["score"],
    )
    drift = report.drift
    assert [c.column for c in drift.whole.columns] == ["amount", "score"]
    assert drift.whole.column("score").role == "prediction"
    messages = " | ".join(drift.messages)
    assert "'id' not tested: its 3,000 values are distinct integers in increasing" in messages
    assert "'customer' not tested: named as an identifier column" in messages
    assert "'sent' not tested: it is the timestamp column" in messages
    assert drift.drift_began is None and not report.drifted
    assert "score</a> <small>(prediction)</small>" in report.to_html()


def test_sdk_passes_the_roles_and_refuses_a_contradiction() -> None:
    report = mon.drift_report(
        _orders(3_000, 0, 0), _orders(1_000, 3_000, 1), identifier_columns=["customer"]
    )
    assert [c.column for c in report.drift.whole.columns] == ["amount", "score", "sent"]
    with pytest.raises(InvalidArgumentError, match="both as identifier and as prediction"):
        mon.drift_report(
            _orders(500, 0, 0),
            _orders(500, 0, 1),
            identifier_columns=["score"],
            prediction_columns=["score"],
        )


def test_cli_id_timestamp_and_prediction_columns(cli: Cli, tmp_path: Path) -> None:
    _orders(3_000, 0, 0).to_csv(tmp_path / "ref.csv", index=False)
    _orders(2_000, 3_000, 1).to_csv(tmp_path / "cur.csv", index=False)
    for side, first_id, seed in (("ref", 0, 0), ("cur", 3_000, 1)):
        ids_only = _orders(2_000, first_id, seed)[["id", "amount"]]
        ids_only.to_csv(tmp_path / f"{side}-ids.csv", index=False)
    plain = cli(
        "monitor", "drift", str(tmp_path / "ref-ids.csv"), str(tmp_path / "cur-ids.csv"),
        "--chunk-size", "500",
    )  # fmt: skip
    assert plain.exit_code == 0, plain.output
    # the integer id is left out by itself: it no longer makes drift "begin" in chunk one
    assert "'id' not tested" in plain.output and "no dataset drift" in plain.output
    assert "drift began" not in plain.output
    named = cli(
        "monitor", "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv"),
        "--chunk-size", "500", "--id-column", "customer", "--timestamp-column", "sent",
        "--prediction-column", "score",
    )  # fmt: skip
    assert named.exit_code == 0, named.output
    assert "score (prediction)" in named.output
    assert "'customer' not tested: named as an identifier" in named.output
    assert "'sent' not tested: it is the timestamp column" in named.output
