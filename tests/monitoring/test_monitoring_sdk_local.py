"""``mlsteward.monitoring`` against a local store: streamed profiles, reuse by name."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlsteward
import mlsteward.monitoring as mon
from mlsteward import Client
from mlsteward.domain.errors import InvalidArgumentError

from .conftest import frames


@pytest.fixture
def local(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'sdk.db'}"
    mlsteward.set_tracking_uri(uri)
    return uri


def test_profile_streamed_from_chunks_is_stored_and_reused(local: str) -> None:
    reference = frames(n=3000).drop(columns=["ts"])
    chunks = (reference.iloc[i : i + 1000] for i in range(0, 3000, 1000))
    profile = mon.build_reference_profile(chunks, "streamed")
    assert profile.n_rows == 3000 and len(profile.chunks) == 3
    stored = mon.get_reference_profile("streamed")
    assert stored.to_dict() == profile.to_dict()
    report = mon.drift_report("streamed", frames(shift=1.0, seed=9), chunk_by=500)
    assert "x" in report.drifted_columns
    assert [p.name for p in mon.list_reference_profiles()] == ["streamed"]
    with pytest.raises(InvalidArgumentError):
        mon.build_reference_profile(42)


def test_client_scheduler_runs_due_monitors(local: str, tmp_path: Path) -> None:
    mon.build_reference_profile(frames(), "ref")
    frames(n=500).to_csv(tmp_path / "d.csv", index=False)
    mon.create_monitor("due", str(tmp_path / "d.csv"), "ref", interval_s=3600)
    scheduler = Client(local).monitor_scheduler(poll_s=1.0)
    assert [r.run.monitor for r in scheduler.run_due()] == ["due"]
    assert scheduler.run_due() == []
