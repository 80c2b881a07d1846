"""A training script ends its run while the server is down: it exits 0, and once the server
is back the run is FINISHED (at the time it ended) with every point, param and tag."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from mlsteward import Client, RunStatus
from mlsteward.domain.entities import Metric, Param, RunTag
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.spool import Spool, deliver_spooled
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import ServerURL, running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

POINTS = 20_000

# The script starts its run while the server is up, then waits for the test to stop it.
TRAIN = f"""
import sys
import time

import mlsteward

run = mlsteward.start_run()
run_id = run.info.run_id
print(run_id, flush=True)
sys.stdin.readline()  # the server is down now

for step in range({POINTS}):
    mlsteward.log_metric("loss", 1.0 / (step + 1), step=step)
mlsteward.log_param("lr", "0.01")
mlsteward.log_params({{"epochs": 3, "batch": 64}})
mlsteward.set_tag("phase", "offline")
mlsteward.set_tags({{"temporary": "yes", "kept": "yes"}})
mlsteward.Client().delete_tag(run_id, "temporary")
mlsteward.set_tag("phase", "done")  # the last value wins only if changes keep their order
before = time.time_ns() // 1_000_000
mlsteward.end_run()
after = time.time_ns() // 1_000_000
print(before, after, flush=True)
if "--stay" in sys.argv:
    sys.stdin.readline()  # alive until the test has seen the run delivered
"""


def wait_for(condition: Callable[[], bool], what: str, limit_s: float = 120.0) -> None:
    """Poll until ``condition`` holds; fail (not flake) only if it never does."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerURL]:
    with running_server(tmp_path / "server" / "mlsteward.db", tmp_path / "artifacts") as url:
        yield url


class Script:
    """The training script as a child process the test talks to line by line."""

    def __init__(self, tmp_path: Path, url: str, *args: str) -> None:
        path = tmp_path / "train.py"
        path.write_text(textwrap.dedent(TRAIN))
        self.stderr_path = tmp_path / "train.stderr"
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in wait()
        # A home of its own: a client in the test process must not deliver its spool.
        self.home = tmp_path / "script-home"
        self.spool = Spool(url, self.home / "spool")
        env = {
            **os.environ,
            "MLSTEWARD_HOME": str(self.home),
            "MLSTEWARD_TRACKING_URI": url,
            "MLSTEWARD_EXPERIMENT_NAME": "offline-end",
        }
        self.process = subprocess.Popen(
            [sys.executable, str(path), *args],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    @property
    def _out(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def read_line(self) -> str:
        line = self._out.readline()
        assert line, f"the script stopped early:\n{self.stderr()}"
        return line.strip()

    def tell(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def wait(self) -> int:
        code = self.process.wait(timeout=300)
        self._stderr.close()
        return code

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


def _check_delivered(url: str, run_id: str, ended: tuple[int, int], restarted_at: int) -> None:
    client = Client(url)
    run = client.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.info.end_time is not None
    # The time the script ended the run, not the time the end was delivered.
    assert ended[0] <= run.info.end_time <= ended[1] <= restarted_at
    history = client.get_metric_history(run_id, "loss")
    assert [p.step for p in history] == list(range(POINTS))
    assert [p.value for p in history] == [1.0 / (s + 1) for s in range(POINTS)]
    assert run.data.params == {"lr": "0.01", "epochs": "3", "batch": "64"}
    assert run.data.tags["phase"] == "done"
    assert run.data.tags["kept"] == "yes"
    assert "temporary" not in run.data.tags


def test_run_ended_offline_is_finished_after_mlsteward_sync(
    server: ServerURL, tmp_path: Path
) -> None:
    script = Script(tmp_path, server)
    try:
        run_id = script.read_line()
        server.stop()
        script.tell()
        before, after = (int(x) for x in script.read_line().split())
        code = script.wait()
    finally:
        script.kill()
    stderr = script.stderr()
    assert code == 0, stderr
    assert "mlsteward sync" in stderr  # it says what was kept and how it gets delivered
    spool = script.spool
    assert str(spool.directory) in stderr
    assert spool.pending()

    restarted_at = time.time_ns() // 1_000_000
    server.start()
    synced = subprocess.run(
        [sys.executable, "-m", "mlsteward", "sync", "-t", server],
        env={**os.environ, "MLSTEWARD_HOME": str(script.home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert synced.returncode == 0, synced.stderr
    assert "Delivered" in synced.stdout
    assert spool.pending() == [] and spool.rejected() == []
    _check_delivered(server, run_id, (before, after), restarted_at)


def test_run_ended_offline_is_delivered_by_the_living_script(
    server: ServerURL, tmp_path: Path
) -> None:
    script = Script(tmp_path, server, "--stay")
    try:
        run_id = script.read_line()
        server.stop()
        script.tell()
        before, after = (int(x) for x in script.read_line().split())
        restarted_at = time.time_ns() // 1_000_000
        server.start()  # the script's background delivery notices on its own
        client = Client(server)
        wait_for(
            lambda: client.get_run(run_id).info.status is RunStatus.FINISHED,
            "the script to deliver the run's end",
        )
        # The end travels behind the points: once it is in, so is every point.
        assert len(client.get_metric_history(run_id, "loss")) == POINTS
        wait_for(lambda: script.spool.pending() == [], "the spool to drain")
        script.tell()
        code = script.wait()
    finally:
        script.kill()
    assert code == 0, script.stderr()
    assert script.spool.rejected() == []
    _check_delivered(server, run_id, (before, after), restarted_at)


HOSTILE_KEY = "odd key/with:colons-and spaces"


def test_spooled_changes_delivered_twice_change_nothing(server: ServerURL, tmp_path: Path) -> None:
    backend = HttpBackend(server)
    remote = client_over(backend)
    run_id = remote.create_run(remote.create_experiment("twice")).info.run_id
    remote.log_batch(run_id, tags=[RunTag(HOSTILE_KEY, "remove me")])
    server.stop()
    remote.log_batch(
        run_id, metrics=[Metric("m", float(i), i, i) for i in range(10)], params=[Param("p", "1")]
    )
    remote.delete_tag(run_id, HOSTILE_KEY)
    info = remote.update_run(run_id, status="FINISHED")  # answered from what it knows
    assert info.status is RunStatus.FINISHED and info.end_time is not None
    # Bad input is refused at the call, as the local door does, not spooled for later.
    with pytest.raises(InvalidArgumentError):
        remote.log_batch(run_id, params=[Param("a/../b", "1")])
    with pytest.raises(InvalidArgumentError):
        remote.update_run(run_id, status="EXPLODED")
    with pytest.raises(InvalidArgumentError):
        remote.delete_tag(run_id, "../etc")
    backend.close()

    spool = Spool(server)
    copy = tmp_path / "copy"
    shutil.copytree(spool.directory, copy)
    server.start()
    assert deliver_spooled(server) == 3
    # The same changes again, as after an answer lost on the way back or two deliverers.
    for path in copy.glob("*.json"):
        if path.name != "server.json":
            shutil.copy(path, spool.directory / path.name)
    assert deliver_spooled(server) == 3
    assert spool.pending() == [] and spool.rejected() == []

    client = Client(server)
    run = client.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.info.end_time == info.end_time  # the time it ended, kept through delivery
    assert run.data.params == {"p": "1"}
    assert HOSTILE_KEY not in run.data.tags
    assert [p.step for p in client.get_metric_history(run_id, "m")] == list(range(10))


def test_local_door_refuses_the_same_bad_changes(tmp_path: Path) -> None:
    backend = LocalBackend(str(tmp_path / "store"), str(tmp_path / "artifacts"))
    local = client_over(backend)
    try:
        run_id = local.create_run(local.create_experiment("twice")).info.run_id
        with pytest.raises(InvalidArgumentError):
            local.log_batch(run_id, params=[Param("a/../b", "1")])
        with pytest.raises(InvalidArgumentError):
            local.update_run(run_id, status="EXPLODED")
        with pytest.raises(InvalidArgumentError):
            local.delete_tag(run_id, "../etc")
    finally:
        backend.close()
