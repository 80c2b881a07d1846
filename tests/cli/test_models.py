"""``mlsteward models ...``: registration, listing, aliases, stages and model cards.

Each test logs a real scikit-learn model into a SQLite store in a temporary folder and drives
the registry through the command line, as ``alice`` unless a test says otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner, Result

import mlsteward
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.models import log_model


def log_sklearn_model(uri: str, metrics: dict[str, float]) -> str:
    """Train and log a small classifier with ``metrics`` on its run; returns the run id."""
    features = np.random.default_rng(0).random((40, 3))
    labels = (features[:, 0] > 0.5).astype(int)
    model = LogisticRegression().fit(features, labels)
    mlsteward.set_tracking_uri(uri)
    try:
        with mlsteward.start_run() as run:
            mlsteward.log_metrics(metrics)
            log_model(model, "model", input_example=features[:3])
    finally:
        mlsteward.set_tracking_uri(None)
    return run.info.run_id


@dataclass
class Registry:
    """The CLI on one store, acting as a chosen user."""

    uri: str
    runner: CliRunner

    def __call__(self, *args: str, user: str = "alice") -> Result:
        # Locally the acting user is the OS user (getpass reads LOGNAME first). The SDK keeps
        # one backend, and so one user, per store and process: drop it to switch users.
        close_backends()
        return self.runner.invoke(app, ["-t", self.uri, "models", *args], env={"LOGNAME": user})

    def ok(self, *args: str, user: str = "alice") -> Result:
        result = self(*args, user=user)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, user: str = "alice") -> Any:
        return json.loads(self.ok(*args, "--json", user=user).stdout)

    def fails(self, *args: str, user: str = "alice") -> str:
        """The ``Error: ...`` text of a command expected to be refused."""
        result = self(*args, user=user)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
        return result.stderr


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}", CliRunner())


@pytest.fixture
def run_id(registry: Registry) -> str:
    return log_sklearn_model(registry.uri, {"roc_auc": 0.9, "rmse": 2.5})


def test_register_a_logged_model_then_list_show_and_versions(
    registry: Registry, run_id: str
) -> None:
    first = registry.ok("register", f"runs:/{run_id}/model", "fraud", "--tag", "owner=ada")
    assert "Registered fraud version 1" in first.stdout and "by alice" in first.stdout
    second = registry.json("register", f"runs:/{run_id}/model", "fraud")
    assert second["version"] == 2 and second["run_id"] == run_id

    versions = registry.json("versions", "fraud")
    assert [(v["version"], v["created_by"]) for v in versions] == [(2, "alice"), (1, "alice")]
    assert versions[1]["tags"] == {"owner": "ada"}
    assert versions[0]["environment_digest"]  # lineage from the run
    table = registry.ok("versions", "fraud").stdout
    assert "Versions of fraud" in table and f"runs:/{run_id}/model" in table

    assert [m["name"] for m in registry.json("list")] == ["fraud"]
    assert "fraud" in registry.ok("list").stdout
    shown = registry.json("show", "fraud")
    assert shown["latest_version"] == 2
    assert [v["version"] for v in shown["latest_versions"]] == [2]
    panel = registry.ok("show", "fraud").stdout
    assert "Model fraud" in panel and "Latest version per stage" in panel

    assert "no artifacts at 'nowhere'" in registry.fails(
        "register", f"runs:/{run_id}/nowhere", "fraud"
    )
    assert len(registry.json("versions", "fraud")) == 2  # nothing added
    assert "No registered model named 'ghost'" in registry.fails("versions", "ghost")


def test_create_filter_and_bad_input(registry: Registry) -> None:
    registry.ok("create", "churn", "--description", "who leaves", "--tag", "team=growth")
    registry.ok("create", "fraud", "--tag", "team=risk")
    found = registry.json("list", "--filter", "tags.team = 'risk'")
    assert [m["name"] for m in found] == ["fraud"]
    assert registry.json("show", "churn")["description"] == "who leaves"

    assert "churn" in registry.fails("create", "churn")  # already exists
    error = registry.fails("list", "--filter", "name LIKE")
    assert "Invalid filter" in error and "^" in error
    assert registry("create", "x", "--tag", "novalue").exit_code == 2
    assert "No registered models match" in registry.ok("list", "-f", "name = 'none'").stdout


def test_alias_moves_history_and_rollback(registry: Registry, run_id: str) -> None:
    for _ in range(3):
        registry.ok("register", f"runs:/{run_id}/model", "fraud")
    moved = registry.ok("alias", "set", "fraud", "champion", "1", "--reason", "first launch")
    assert "fraud@champion → version 1 (was nothing; by alice)" in moved.stdout
    registry.ok("alias", "set", "fraud", "champion", "2")
    registry.ok("alias", "set", "fraud", "champion", "3", "-r", "retrained")
    assert (
        "already points at version 3"
        in registry.ok("alias", "set", "fraud", "champion", "3").stdout
    )

    back = registry.ok("alias", "rollback", "fraud", "champion", "--reason", "latency")
    assert "→ version 2 (was version 3" in back.stdout
    registry.ok("alias", "rollback", "fraud", "champion")  # keeps walking back: 2 -> 1
    assert registry.json("show", "fraud")["aliases"] == {"champion": 1}

    assert "version 9" in registry.fails("alias", "set", "fraud", "champion", "9")
    registry.ok("alias", "delete", "fraud", "champion", "-r", "retired")
    registry.ok("alias", "rollback", "fraud", "champion")  # restores the deleted pointer

    history = registry.json("alias", "history", "fraud", "champion")
    assert [(e["action"], e["from_version"], e["to_version"]) for e in history] == [
        ("set", None, 1),
        ("set", 1, 2),
        ("set", 2, 3),
        ("rollback", 3, 2),
        ("rollback", 2, 1),
        ("delete", 1, None),
        ("rollback", None, 1),
    ]
    assert {e["actor"] for e in history} == {"alice"}
    table = registry.ok("alias", "history", "fraud").stdout
    for text in ("first launch", "retrained", "latency", "retired", "rollback"):
        assert text in table
    assert "No alias history" in registry.ok("alias", "history", "fraud", "staging").stdout


def test_stages(registry: Registry, run_id: str) -> None:
    registry.ok("register", f"runs:/{run_id}/model", "fraud")
    registry.ok("register", f"runs:/{run_id}/model", "fraud")
    registry.ok("stage", "fraud", "1", "staging")
    moved = registry.ok("stage", "fraud", "2", "Staging", "--archive-existing", "-r", "better")
    assert "version 2 is now in Staging" in moved.stdout
    stages = {v["version"]: v["current_stage"] for v in registry.json("versions", "fraud")}
    assert stages == {1: "Archived", 2: "Staging"}
    assert "Unknown stage 'live'" in registry.fails("stage", "fraud", "1", "live")


def test_card_fields_and_card_files(registry: Registry, run_id: str, tmp_path: Path) -> None:
    registry.ok("register", f"runs:/{run_id}/model", "fraud")
    registry.ok("card-fields", "set", "fraud", "license", "Apache-2.0")
    registry.ok("card-fields", "set", "fraud", "1", "primary_uses", "Scoring card payments")
    assert "licence" in registry.fails("card-fields", "set", "fraud", "1", "licence", "MIT")
    assert "licence" in registry.fails("card-fields", "set", "fraud", "licence", "MIT")
    assert registry("card-fields", "set", "fraud", "one", "license", "MIT").exit_code == 2
    assert "primary_uses" in registry.ok("card-fields", "list").stdout

    markdown = registry.ok("card", "fraud", "1").stdout
    assert markdown.startswith("# Model card: fraud v1")
    assert "Apache-2.0" in markdown and "Scoring card payments" in markdown

    out = tmp_path / "cards"
    out.mkdir()
    (out / "fraud.md").write_text("stale")
    registry.ok("card", "fraud", "1", "-o", str(out / "fraud.md"))
    assert (out / "fraud.md").read_text() == markdown
    registry.ok("card", "fraud", "1", "-o", str(out / "fraud.html"))  # format from the suffix
    registry.ok("card", "fraud", "1", "--format", "html", "-o", str(out / "card.txt"))
    html = (out / "fraud.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "Apache-2.0" in html
    assert "<script" not in html and (out / "card.txt").read_text() == html
    assert sorted(p.name for p in out.iterdir()) == ["card.txt", "fraud.html", "fraud.md"]

    error = registry.fails("card", "fraud", "1", "-o", str(tmp_path / "missing" / "card.md"))
    assert str(tmp_path / "missing") in error
    registry.ok("card-fields", "unset", "fraud", "1", "primary_uses")
    assert "Scoring card payments" not in registry.ok("card", "fraud", "1").stdout
