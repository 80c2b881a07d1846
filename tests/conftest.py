"""Fixtures shared by the whole suite: an isolated home per test, SDK state reset, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.testing.postgres import postgres_unavailable_reason, server_url

#: Set (e.g. in CI) to fail instead of skipping when PostgreSQL is unreachable.
REQUIRE_POSTGRES_ENV = "MLSTEWARD_REQUIRE_POSTGRES"

_SDK_ENV = (
    "MLSTEWARD_TRACKING_URI",
    "MLSTEWARD_ARTIFACTS_URI",
    "MLSTEWARD_EXPERIMENT_ID",
    "MLSTEWARD_EXPERIMENT_NAME",
    "MLSTEWARD_USER",
)


def reset_sdk_state() -> None:
    """Forget everything the SDK keeps per process: active runs, buffers, backends, seeds."""
    from mlsteward.interfaces.sdk import fluent

    fluent.reset()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own MLSTEWARD_HOME and a fresh SDK; nothing touches ~/.mlsteward."""
    home = tmp_path / "mlsteward-home"
    monkeypatch.setenv("MLSTEWARD_HOME", str(home))
    for name in _SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    # seed_everything sets PYTHONHASHSEED; make sure it does not leak into later tests.
    if "PYTHONHASHSEED" in os.environ:
        monkeypatch.setenv("PYTHONHASHSEED", os.environ["PYTHONHASHSEED"])
    else:
        monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    reset_sdk_state()
    yield home
    reset_sdk_state()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of a reachable PostgreSQL server's maintenance database, or skip with the reason."""
    reason = postgres_unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(f"{REQUIRE_POSTGRES_ENV} is set but {reason}")
        pytest.skip(reason)
    return server_url()
