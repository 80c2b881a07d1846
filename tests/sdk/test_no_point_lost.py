"""Training scripts in their own processes: every point arrives; the status says how it ended."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlsteward import Client, Experiment, RunStatus

POINTS = 50_000

NORMAL_EXIT = f"""
import mlsteward
run = mlsteward.start_run()
print(run.info.run_id, flush=True)
for step in range({POINTS}):
    mlsteward.log_metric("m", float(step), step=step)
mlsteward.log_param("done", "yes")
# no end_run and no flush: the interpreter's exit must write every point and finish the run
"""

RAISES = f"""
import mlsteward
mlsteward.seed_everything(7)
run = mlsteward.start_run()
print(run.info.run_id, flush=True)
for step in range({POINTS}):
    mlsteward.log_metric("m", float(step), step=step)
raise RuntimeError("training diverged")
"""


def _run_script(
    script: Path, tracking_uri: str, experiment: Experiment, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLSTEWARD_TRACKING_URI": tracking_uri,
        "MLSTEWARD_EXPERIMENT_NAME": experiment.name,
    }
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_normal_exit_keeps_every_point(
    tracking_uri: str, experiment: Experiment, client: Client, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    script = repo / "train.py"
    script.write_text(textwrap.dedent(NORMAL_EXIT))
    _git(repo, "init", "-q")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "train")
    commit = _git(repo, "rev-parse", "HEAD")

    done = _run_script(script, tracking_uri, experiment, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.split()[0]
    run = client.get_run(run_id)
    assert run.info.status is RunStatus.FINISHED
    assert run.info.experiment_id == experiment.experiment_id
    assert run.data.params == {"done": "yes"}
    assert run.data.metrics == {"m": float(POINTS - 1)}
    history = client.get_metric_history(run_id, "m")
    assert [p.step for p in history] == list(range(POINTS))
    assert run.data.tags["mlsteward.git.commit"] == commit
    assert run.data.tags["mlsteward.git.dirty"] == "false"
    assert "train.py" in run.data.tags["mlsteward.source.command"]


@pytest.mark.slow
def test_uncaught_exception_keeps_every_point_and_fails(
    tracking_uri: str, experiment: Experiment, client: Client, tmp_path: Path
) -> None:
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(RAISES))
    done = _run_script(script, tracking_uri, experiment, cwd=tmp_path)
    assert done.returncode == 1
    assert "training diverged" in done.stderr
    run_id = done.stdout.split()[0]
    run = client.get_run(run_id)
    assert run.info.status is RunStatus.FAILED
    assert run.info.end_time is not None
    assert len(client.get_metric_history(run_id, "m")) == POINTS
    assert run.data.tags["mlsteward.seed.python"] == "7"
    assert "mlsteward.git.commit" not in run.data.tags  # not inside a repository
