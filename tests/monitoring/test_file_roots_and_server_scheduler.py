"""A server reads monitor files only under allowed folders, and runs due monitors itself."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import httpx
import pytest

import mlsteward
import mlsteward.monitoring
from mlsteward.domain.errors import PermissionDeniedError
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import create_monitor, profile_from, run_monitor, save_profile
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.testing.server_process import running_server

from .conftest import frames


def _allowed(ctx: ServiceContext, *roots: Path) -> ServiceContext:
    rules = OutboundAccess(monitor_data_roots=tuple(str(r) for r in roots))
    return dataclasses.replace(ctx, outbound=rules)


def test_targets_outside_the_roots_are_refused(ctx: ServiceContext, tmp_path: Path) -> None:
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    frames(n=500).to_csv(inside / "a.csv", index=False)
    frames(n=500).to_csv(outside / "b.csv", index=False)
    save_profile(ctx, profile_from(frames()), "ref")
    limited = _allowed(ctx, inside)
    create_monitor(limited, "ok", str(inside / "a.csv"), "ref")
    create_monitor(limited, "glob-ok", str(inside / "*.csv"), "ref")
    for target in (str(outside / "b.csv"), str(outside / "*.csv"), str(inside / ".." / "outside")):
        with pytest.raises(PermissionDeniedError, match="monitor-data-root"):
            create_monitor(limited, "bad", target, "ref")
    # A symlink inside an allowed folder that points out of it is refused when read.
    (inside / "link.csv").symlink_to(outside / "b.csv")
    create_monitor(limited, "via-link", str(inside / "link*.csv"), "ref")
    run = run_monitor(limited, "via-link").run
    assert (run.status, run.n_rows) == ("error", 0)
    assert "monitor-data-root" in (run.message or "")


def test_default_server_refuses_file_targets(tmp_path: Path) -> None:
    frames(n=300).to_csv(tmp_path / "now.csv", index=False)
    with running_server(tmp_path / "db.sqlite", tmp_path / "artifacts") as url:
        mlsteward.set_tracking_uri(url)
        mlsteward.monitoring.build_reference_profile(frames(), name="ref")
        with pytest.raises(PermissionDeniedError, match="monitor-data-root"):
            mlsteward.monitoring.create_monitor("m", str(tmp_path / "now.csv"), "ref")
        answer = httpx.get(f"{url}/api/v1/monitoring/monitors", timeout=30)
        assert answer.status_code == 200
        assert answer.json() in ([], {"monitors": []})


def test_server_runs_due_monitors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    frames(n=600, shift=1.0, seed=3).to_csv(data / "now.csv", index=False)
    with running_server(
        tmp_path / "db.sqlite",
        tmp_path / "artifacts",
        monitor_scheduler=True,
        extra_args=["--monitor-data-root", str(data)],
    ) as url:
        mlsteward.set_tracking_uri(url)
        mlsteward.monitoring.build_reference_profile(frames(), name="ref")
        mlsteward.monitoring.create_monitor("live", str(data / "now.csv"), "ref", interval_s=3600)
        deadline = time.monotonic() + 60  # a bound on waiting, not a speed assertion
        runs: list[object] = []
        while not runs and time.monotonic() < deadline:
            time.sleep(0.5)
            runs = list(mlsteward.monitoring.list_monitor_runs("live"))
    assert runs, "the server's scheduler never ran the due monitor"
