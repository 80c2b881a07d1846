"""``mlsteward monitor ...`` through Typer's CliRunner against a local store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.tracking_uri import close_backends

from .conftest import frames


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--tracking-uri", uri, *args])

    yield run
    close_backends()


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
