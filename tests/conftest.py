"""Fixtures shared by the whole suite: an isolated home per test, SDK state reset, PostgreSQL,
small real disks."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: The store harness (SQLite and PostgreSQL fixtures) every test directory shares.
pytest_plugins = ["mlsteward.testing.backends"]

_SDK_ENV = (
    "MLSTEWARD_TRACKING_URI",
    "MLSTEWARD_ARTIFACTS_URI",
    "MLSTEWARD_EXPERIMENT_ID",
    "MLSTEWARD_EXPERIMENT_NAME",
    "MLSTEWARD_USER",
    "MLSTEWARD_TRACKING_TOKEN",
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


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts a tmpfs of a given size (``mount_tmpfs("4m")``) for this test, to fill for real;
    skips the test where mounting is not allowed. On teardown the SDK is reset first (nothing
    of ours may keep files open on it), then every tmpfs is unmounted."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        mount_point = tmp_path / ("small-disk" if not mounted else f"small-disk-{len(mounted)}")
        mount_point.mkdir()
        try:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"cannot mount a tmpfs here: {error}")
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
        mounted.append(mount_point)
        return mount_point

    try:
        yield mount
    finally:
        try:
            reset_sdk_state()
        finally:
            for mount_point in reversed(mounted):
                subprocess.run(["umount", "-l", str(mount_point)], check=False, timeout=60)
