"""``mlsteward monitor performance``: the table says what ``--json`` says — estimates with
their bands, CBPE's alert bounds, which windows alert, and the rows left out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .conftest import Cli
from .perf_data import predictions


def _files(tmp_path: Path) -> list[str]:
    """Three windows of 400; in the last the model is unsure (probabilities near 0.5), so its
    estimated accuracy falls below the reference's alert bound. One probability is missing."""
    reference = predictions(1200, seed=1)
    current = predictions(1200, seed=2)
    current.loc[800:, "proba"] = 1.0 / (1.0 + np.exp(-0.3 * current.loc[800:, "x"]))
    current.loc[800:, "pred"] = (current.loc[800:, "proba"] >= 0.5).astype(int)
    current.loc[3, "proba"] = np.nan
    current.drop(columns=["label"]).to_csv(tmp_path / "preds.csv", index=False)
    labels = current[["id", "label"]].astype({"label": float})
    labels.loc[5, "label"] = np.nan  # an empty cell: the column reads back as floats
    labels.to_csv(tmp_path / "labels.csv", index=False)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    return [
        "monitor",
        "performance",
        str(tmp_path / "preds.csv"),
        str(tmp_path / "labels.csv"),
        "--id-column",
        "id",
        "--task",
        "binary",
        "--prediction",
        "pred",
        "--proba",
        "proba",
        "--reference",
        str(tmp_path / "reference.csv"),
        "--chunk-size",
        "400",
    ]


def test_table_shows_bands_alert_bounds_alerts_and_dropped_rows(cli: Cli, tmp_path: Path) -> None:
    args = _files(tmp_path)
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    windows = json.loads(result.stdout)["windows"]
    accuracy = [w["estimated"]["accuracy"] for w in windows]
    assert [a["alert"] for a in accuracy] == [False, False, True]
    lower, upper = accuracy[0]["alert_lower"], accuracy[0]["alert_upper"]
    assert lower is not None and upper is not None
    assert windows[0]["notes"] == ["estimates: 1 row dropped: missing probability"]

    result = cli(*args, "--metric", "accuracy")
    assert result.exit_code == 0, result.output
    out = result.output
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│ [" in line}
    last = accuracy[2]
    band = f"{last['estimate']:.3f} [{last['lower']:.3f}, {last['upper']:.3f}]"
    assert band in rows["[800:1200]"] and rows["[800:1200]"].rstrip("│ ").endswith("accuracy")
    first = accuracy[0]
    assert (
        f"{first['estimate']:.3f} [{first['lower']:.3f}, {first['upper']:.3f}]" in rows["[0:400]"]
    )
    assert rows["[0:400]"].rstrip("│ ").endswith("-")  # no alert
    # The alert bounds, once per metric, with how many windows fell outside them.
    (bounds,) = [line for line in out.splitlines() if line.startswith("│ accuracy")]
    assert f"{lower:.3f}" in bounds and f"{upper:.3f}" in bounds and "1 of 3" in bounds
    assert "mean +/- 3 sd of the reference's chunks" in out
    # Rows left out, per window and in the whole.
    assert "[0:400]: estimates: 1 row dropped: missing probability" in out
    assert "1 label row(s) without a value ignored" in out


def test_without_chunks_there_are_no_alert_bounds_and_it_says_so(cli: Cli, tmp_path: Path) -> None:
    args = _files(tmp_path)[:-2]
    result = cli(*args, "--metric", "f1")
    assert result.exit_code == 0, result.output
    assert "Estimate alert bounds: none (they come from a chunked reference)" in result.output
    assert "0 of 1" in result.output


def test_without_reference_no_estimate_columns(cli: Cli, tmp_path: Path) -> None:
    args = _files(tmp_path)
    at = args.index("--reference")
    result = cli(*args[:at], *args[at + 2 :])
    assert result.exit_code == 0, result.output
    assert "est. [band]" not in result.output and "alert lower" not in result.output
    assert "no labelled reference" in result.output
    assert pd.read_csv(tmp_path / "labels.csv")["label"].dtype == np.float64


def test_html_page_flags_alerts_with_their_bounds_and_shows_dropped_rows(
    cli: Cli, tmp_path: Path
) -> None:
    args = _files(tmp_path)
    windows = json.loads(cli(*args, "--json").stdout)["windows"]
    page = tmp_path / "perf.html"
    result = cli(*args, "--metric", "accuracy", "--html", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    accuracy = windows[2]["estimated"]["accuracy"]
    bounds = f"{accuracy['alert_lower']:.3g}, {accuracy['alert_upper']:.3g}"
    alerting = [m for w in windows for m in w["estimated"].values() if m["alert"]]
    assert alerting and html.count("alert: outside [") == len(alerting)
    assert f"alert: outside [{bounds}]" in html
    assert "estimates: 1 row dropped: missing probability" in html
