"""``mlsteward monitor drift``: two files, or a file against a stored profile."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Cli, frames


def test_drift_of_two_files_with_chunks_html_and_json(cli: Cli, tmp_path: Path) -> None:
    frames(n=3_000).to_csv(tmp_path / "ref.csv", index=False)
    frames(n=2_000, shift=1.0, seed=1).to_parquet(tmp_path / "cur.parquet", index=False)
    html = tmp_path / "drift.html"
    result = cli(
        "monitor", "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.parquet"),
        "--chunk-size", "500", "--html", str(html), "--multivariate", "pca_reconstruction",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "drifted" in result.output and "multivariate pca_reconstruction" in result.output
    assert "Multivariate drift" in html.read_text()
    as_json = cli(
        "monitor", "drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.parquet"), "--json"
    )
    doc = json.loads(as_json.output)
    assert doc["drift"]["whole"]["n_drifted"] >= 1


def test_drift_against_a_stored_profile_and_bad_options(cli: Cli, tmp_path: Path) -> None:
    frames(n=3_000).to_csv(tmp_path / "ref.csv", index=False)
    frames(n=1_000, seed=2).to_csv(tmp_path / "same.csv", index=False)
    assert cli("monitor", "profile", "base", str(tmp_path / "ref.csv")).exit_code == 0
    result = cli("monitor", "drift", "base", str(tmp_path / "same.csv"))
    assert result.exit_code == 0, result.output
    assert "no dataset drift" in result.output
    missing = cli("monitor", "drift", "no-such-profile", str(tmp_path / "same.csv"))
    assert missing.exit_code != 0 and "no-such-profile" in missing.output
    both = cli(
        "monitor", "drift", "base", str(tmp_path / "same.csv"),
        "--chunk-size", "10", "--period", "day",
    )  # fmt: skip
    assert both.exit_code != 0 and "not both" in both.output
    bad = cli("monitor", "drift", "base", str(tmp_path / "same.csv"), "--threshold", "ks=high")
    assert bad.exit_code != 0 and "not a number" in bad.output
    unknown = cli("monitor", "drift", "base", str(tmp_path / "same.csv"), "--multivariate", "x")
    assert unknown.exit_code != 0 and "Unknown multivariate" in unknown.output
