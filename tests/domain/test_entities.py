"""Entities are frozen values with stable dictionary forms."""

from __future__ import annotations

import dataclasses

import pytest

from mlsteward.domain.entities import (
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunStatus,
)


def _info() -> RunInfo:
    return RunInfo("r" * 32, "e" * 32, "name", "me", RunStatus.RUNNING, 1, None,
                   LifecycleStage.ACTIVE, "runs:/x")  # fmt: skip


def test_terminal_statuses() -> None:
    assert {s for s in RunStatus if s.is_terminal} == {
        RunStatus.FINISHED,
        RunStatus.FAILED,
        RunStatus.KILLED,
    }


def test_entities_are_frozen() -> None:
    info = _info()
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.status = RunStatus.FINISHED  # type: ignore[misc]
    with pytest.raises(AttributeError):
        Metric("m", 1.0, 2, 3).value = 2.0  # type: ignore[misc]


def test_to_dict() -> None:
    run = Run(_info(), RunData({"p": "1"}, {"m": 0.5}, {"t": "x"}))
    as_dict = run.to_dict()
    assert as_dict["info"]["status"] == "RUNNING"
    assert as_dict["info"]["lifecycle_stage"] == "active"
    assert as_dict["info"]["end_time"] is None
    assert as_dict["data"] == {"params": {"p": "1"}, "metrics": {"m": 0.5}, "tags": {"t": "x"}}
    assert Metric("m", 1.5, 10, 2).to_dict() == {
        "key": "m",
        "value": 1.5,
        "timestamp": 10,
        "step": 2,
    }
