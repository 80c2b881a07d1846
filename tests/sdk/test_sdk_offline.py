"""The server goes away mid-run: logging carries on, and every point arrives once it is back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import mlsteward
from mlsteward import Client, RunStatus
from mlsteward.interfaces.sdk.tracking_uri import backend_for

pytestmark = [pytest.mark.server, pytest.mark.slow]
server_process = pytest.importorskip(
    "mlsteward.testing.server_process", reason="mlsteward.testing.server_process is missing"
)


def _wait_for(condition: object, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("delivery", ["automatic", "sync"])
def test_points_logged_while_the_server_is_down_arrive(tmp_path: Path, delivery: str) -> None:
    with server_process.running_server(tmp_path / "store", tmp_path / "artifacts") as url:
        mlsteward.set_tracking_uri(url)
        mlsteward.set_experiment("offline")
        client = Client(url)
        with mlsteward.start_run(log_environment=False) as run:
            run_id = run.info.run_id
            for step in range(1_000):
                mlsteward.log_metric("m", float(step), step=step)
            mlsteward.flush()

            url.stop()
            for step in range(1_000, 3_000):
                mlsteward.log_metric("m", float(step), step=step)
            mlsteward.log_param("logged_offline", "yes")
            mlsteward.set_tag("phase", "offline")
            mlsteward.flush()  # returns: the batches wait on disk
            backend = backend_for(url)
            assert backend.spooled_batches() > 0  # type: ignore[attr-defined]

            url.start()
            if delivery == "sync":
                from mlsteward.interfaces.sdk.spool import deliver_spooled

                deliver_spooled(url)  # what `mlsteward sync` runs
            assert _wait_for(lambda: backend.spooled_batches() == 0)  # type: ignore[attr-defined]
        stored = client.get_run(run_id)
        assert stored.info.status is RunStatus.FINISHED
        assert [p.step for p in client.get_metric_history(run_id, "m")] == list(range(3_000))
        assert stored.data.params == {"logged_offline": "yes"}
        assert stored.data.tags["phase"] == "offline"
