"""``mlsteward monitor ...`` through Typer's CliRunner against a local store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .conftest import frames


def test_profile_create_run_list_show_alerts_events_report(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frames().drop(columns=["ts"]).to_csv(tmp_path / "ref.csv", index=False)
    frames(n=800, shift=1.0, seed=1).drop(columns=["ts"]).to_csv(
        tmp_path / "new-1.csv", index=False
    )
    result = cli("monitor", "profile", "ref", str(tmp_path / "ref.csv"))
    assert result.exit_code == 0, result.output
    assert "Stored profile ref" in result.output

    result = cli(
        "monitor",
        "create",
        "sales",
        "--target",
        str(tmp_path / "new-*.csv"),
        "--profile",
        "ref",
        "--check",
        "column_drift",
        "--test",
        "x=wasserstein",
        "--chunk-size",
        "200",
        "--interval",
        "60",
    )
    assert result.exit_code == 0, result.output

    result = cli("monitor", "run", "sales", "--json")
    assert result.exit_code == 0, result.output
    ran = json.loads(result.stdout)
    assert ran["run"]["status"] == "ok"
    assert [(a["check"], a["column"]) for a in ran["opened"]] == [("column_drift", "x")]
    assert ran["opened"][0]["evidence"]["test"] == "wasserstein"

    result = cli("monitor", "list")
    assert result.exit_code == 0 and "sales" in result.output and "every 60s" in result.output
    result = cli("monitor", "show", "sales")
    assert result.exit_code == 0 and "column_drift on x" in result.output
    result = cli("monitor", "alerts", "--status", "open", "--json")
    assert [a["column"] for a in json.loads(result.stdout)] == ["x"]
    result = cli("monitor", "events", "--since", "0")
    assert {e["event_type"] for e in json.loads(result.stdout)} == {
        "monitor.run",
        "alert.opened",
    }
    out = tmp_path / "report.html"
    result = cli("monitor", "report", ran["run"]["run_id"], "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "<svg" in out.read_text() and "<script" not in out.read_text()

    result = cli("monitor", "scheduler", "--once")  # run above: not due for another 60 s
    assert result.exit_code == 0 and "Ran 0 due monitor(s)" in result.output
    result = cli("monitor", "delete", "sales")
    assert result.exit_code == 0


def test_errors_are_one_line_and_exit_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("monitor", "run", "nobody")
    assert result.exit_code == 1 and "No monitor named 'nobody'" in result.output
    result = cli("monitor", "create", "m", "--target", "x.csv", "--profile", "nobody")
    assert result.exit_code == 1 and "No reference profile" in result.output
    result = cli("monitor", "create", "m", "--target", "x", "--profile", "p", "--test", "bad")
    assert result.exit_code == 1 and "KEY=VALUE" in result.output


def _perf_files(tmp_path: Path) -> None:
    from .perf_data import predictions

    reference = predictions(1200, seed=1)
    current = pd.concat(
        [predictions(800, seed=2), predictions(400, seed=3, flip=0.45)], ignore_index=True
    )
    reference.to_csv(tmp_path / "reference.csv", index=False)
    reference[["x", "proba"]].to_csv(tmp_path / "ref.csv", index=False)
    current.drop(columns=["label"]).to_csv(tmp_path / "preds.csv", index=False)
    current.iloc[:1000][["id", "label"]].to_csv(tmp_path / "labels.csv", index=False)


def test_monitor_with_performance_check_create_show_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _perf_files(tmp_path)
    assert cli("monitor", "profile", "ref", str(tmp_path / "ref.csv")).exit_code == 0
    result = cli(
        "monitor",
        "create",
        "perf",
        "--target",
        str(tmp_path / "preds.csv"),
        "--profile",
        "ref",
        "--chunk-size",
        "400",
        "--perf-task",
        "binary",
        "--perf-id-column",
        "id",
        "--perf-prediction",
        "pred",
        "--perf-proba",
        "proba",
        "--perf-labels",
        str(tmp_path / "labels.csv"),
        "--perf-bound",
        "accuracy=0.75",
        "--perf-min-labels",
        "100",
        "--json",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["checks"][-1] == "performance"
    assert created["performance"]["bounds"] == {"accuracy": 0.75}
    assert created["performance"]["min_labels"] == 100

    result = cli("monitor", "show", "perf")
    assert result.exit_code == 0, result.output
    assert "performance: binary, id id" in result.output
    assert "bounds: accuracy >= 0.75" in result.output and "estimates: none" in result.output

    result = cli("monitor", "run", "perf")
    assert result.exit_code == 0, result.output
    assert "1000 of 1200 predictions labelled" in result.output
    assert "critical performance on accuracy" in result.output


def test_performance_create_options_are_checked(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _perf_files(tmp_path)
    assert cli("monitor", "profile", "ref", str(tmp_path / "ref.csv")).exit_code == 0
    base = ["monitor", "create", "p", "--target", str(tmp_path / "preds.csv"), "--profile", "ref"]
    result = cli(*base, "--perf-id-column", "id")
    assert result.exit_code == 1 and "--perf-task" in result.output
    result = cli(*base, "--perf-task", "binary", "--perf-bound", "accuracy")
    assert result.exit_code == 1 and "METRIC=NUMBER" in result.output
    result = cli(
        *base,
        "--perf-task",
        "regression",
        "--perf-id-column",
        "id",
        "--perf-prediction",
        "pred",
        "--perf-labels",
        str(tmp_path / "labels.csv"),
        "--perf-bound",
        "roc_auc=0.7",
    )
    assert (
        result.exit_code == 1 and "Unknown metric 'roc_auc' for a regression task" in result.output
    )


def test_one_shot_performance_table_json_and_html(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _perf_files(tmp_path)
    args = [
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
        "--chunk-size",
        "400",
    ]
    result = cli(*args, "--metric", "accuracy", "--html", str(tmp_path / "perf.html"))
    assert result.exit_code == 0, result.output
    assert "1000 of 1200 predictions labelled (83%)" in result.output
    assert "400/400" in result.output and "200/400" in result.output
    assert "no labelled reference" in result.output
    page = (tmp_path / "perf.html").read_text()
    assert "<table>" in page and "<script" not in page and "200/400" in page

    result = cli(*args, "--reference", str(tmp_path / "reference.csv"), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    windows = doc["windows"]
    assert [(w["n_labelled"], w["n_predictions"]) for w in windows] == [
        (400, 400),
        (400, 400),
        (200, 400),
    ]
    assert windows[2]["estimated"]["accuracy"]["estimate"] is not None
    assert windows[2]["realized"]["accuracy"] < 0.7

    result = cli(*args[:-2], "--id-column", "nope")
    assert result.exit_code != 0
    result = cli(*[a if a != "id" else "key" for a in args])
    assert result.exit_code == 1 and "no id column 'key'" in result.output
