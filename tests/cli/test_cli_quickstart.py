"""``mlsteward quickstart`` as a user runs it: a real process on a fresh home."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlsteward import Client

from .conftest import Invoke


def test_quickstart_records_a_nested_sweep(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLSTEWARD_", "FORCE_COLOR"))}
    env.update(MLSTEWARD_HOME=str(home), NO_COLOR="1", MPLBACKEND="Agg")
    completed = subprocess.run(
        [sys.executable, "-m", "mlsteward", "quickstart"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "Best run" in out
    assert "mlsteward runs list --experiment quickstart" in out
    assert "mlsteward server" in out

    client = Client(f"sqlite:///{home / 'mlsteward.db'}")
    experiment = client.get_experiment_by_name("quickstart")
    assert experiment is not None
    runs = client.search_runs(experiment.experiment_id)
    parents = [r for r in runs if r.info.parent_run_id is None]
    children = [r for r in runs if r.info.parent_run_id is not None]
    assert len(parents) == 1 and len(children) == 3
    parent = parents[0]
    assert {c.info.parent_run_id for c in children} == {parent.info.run_id}
    assert all(r.info.status.value == "FINISHED" for r in runs)
    assert sorted(c.data.params["max_depth"] for c in children) == ["2", "3", "4"]
    assert parent.data.tags["best_run_id"] in {c.info.run_id for c in children}
    assert parent.data.tags["best_run_id"] in out
    assert "mlsteward.seed.numpy" in parent.data.tags  # seed_everything was recorded

    child = children[0]
    assert {"val_accuracy", "val_log_loss", "val_roc_auc"} <= set(child.data.metrics)
    history = client.get_metric_history(child.info.run_id, "val_log_loss")
    assert [p.step for p in history] == list(range(1, 101))
    files = {a.path for a in client.list_artifacts(child.info.run_id)}
    assert "report.json" in files
    if importlib.util.find_spec("matplotlib") is not None:
        assert {"confusion_matrix.png", "learning_curve.png"} <= files
    assert "sweep_summary.json" in {a.path for a in client.list_artifacts(parent.info.run_id)}


def test_quickstart_options_and_no_matplotlib(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    """In-process, on a small sweep: --tracking-uri, --experiment, and the plots extra absent."""
    from mlsteward.interfaces.cli import quickstart_training

    monkeypatch.setattr(quickstart_training, "MAX_DEPTHS", (1, 2))
    monkeypatch.setattr(quickstart_training, "N_ESTIMATORS", 20)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    store = tmp_path / "elsewhere" / "tracking.db"

    result = invoke("quickstart", "--tracking-uri", str(store), "-e", "qs-small", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "Figures skipped: matplotlib is not installed" in result.stdout
    assert f"--tracking-uri {store}" in result.stdout  # the hints target the same store
    assert not (isolated_home / "mlsteward.db").exists()

    client = Client(str(store))
    experiment = client.get_experiment_by_name("qs-small")
    assert experiment is not None
    runs = client.search_runs(experiment.experiment_id)
    assert len(runs) == 3
    child = next(r for r in runs if r.info.parent_run_id)
    assert child.data.params["random_state"] == "7"
    assert {a.path for a in client.list_artifacts(child.info.run_id)} == {
        "_environment.json",
        "report.json",
    }
