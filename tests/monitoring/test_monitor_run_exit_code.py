"""``mlsteward monitor run`` exits non-zero when the run could not read what it checks."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import frames


def _monitor_on(cli, target: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frames().drop(columns=["ts"]).to_csv(tmp_path / "ref.csv", index=False)
    assert cli("monitor", "profile", "ref", str(tmp_path / "ref.csv")).exit_code == 0
    result = cli("monitor", "create", "m", "--target", target, "--profile", "ref")
    assert result.exit_code == 0, result.output


def test_unreadable_dataset_target_exits_1_and_records_the_run(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _monitor_on(cli, "dataset:prod-inputs@latest", tmp_path)
    result = cli("monitor", "run", "m")
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "prod-inputs" in result.output
    # The failed run is still recorded, as the scheduler would record it.
    result = cli("monitor", "events", "--since", "0")
    runs = [e for e in json.loads(result.stdout) if e["event_type"] == "monitor.run"]
    assert [e["payload"]["status"] for e in runs] == ["error"]


def test_json_output_still_printed_before_exit_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _monitor_on(cli, str(tmp_path / "missing.csv"), tmp_path)
    result = cli("monitor", "run", "m", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["run"]["status"] == "error"


def test_empty_window_is_not_an_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _monitor_on(cli, str(tmp_path / "new-*.csv"), tmp_path)
    result = cli("monitor", "run", "m")
    assert result.exit_code == 0, result.output
