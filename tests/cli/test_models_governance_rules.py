"""``mlsteward models``: what weakens a gate needs someone other than the model's builders.

``alice`` registers ``fraud`` and puts version 1 in protected ``production``; the CLI acts as
the OS user (``LOGNAME``), so ``ALICE`` is alice typed differently, and ``bob`` validates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from .test_models import Registry, log_sklearn_model


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    cli = Registry(f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}", CliRunner())
    run_id = log_sklearn_model(cli.uri, {"roc_auc": 0.9})
    cli.ok("register", f"runs:/{run_id}/model", "fraud")
    cli.ok("thresholds", "fraud", "roc_auc >= 0.85")
    cli.ok("protect", "fraud", "production", "--reason", "release policy")
    cli.ok("approve", "fraud", "1", "-m", "validated", user="bob")
    cli.ok("alias", "set", "fraud", "production", "1", "-r", "launch")
    return cli


def test_the_builder_cannot_weaken_the_gates(registry: Registry) -> None:
    for alice in ("alice", "ALICE"):
        lifted = registry.fails(
            "protect", "fraud", "production", "--unprotect", "-r", "x", user=alice
        )
        assert "cannot lift the protection of 'fraud'@production" in lifted
        cleared = registry.fails("thresholds", "fraud", "--clear", "-r", "x", user=alice)
        assert "cannot loosen the acceptance thresholds" in cleared
        assert "roc_auc >= 0.85 -> no threshold" in cleared
        deleted = registry.fails("alias", "delete", "fraud", "production", "-r", "x", user=alice)
        assert "cannot delete the protected alias" in deleted
    assert "reason is required" in registry.fails("thresholds", "fraud", "--clear", user="bob")
    shown = registry.json("show", "fraud")
    assert shown["aliases"] == {"production": 1} and shown["protected_aliases"] == ["production"]
    assert [t["value"] for t in shown["acceptance_thresholds"]] == [0.85]


def test_a_validator_loosens_with_a_reason_and_the_history_shows_it(registry: Registry) -> None:
    registry.ok("thresholds", "fraud", "roc_auc >= 0.9", "rmse <= 3")  # tightening: anyone
    registry.ok("thresholds", "fraud", "roc_auc >= 0.5", "-r", "recalibrated", user="bob")
    history = registry.json("thresholds", "fraud", "--history")
    assert [(c["actor"], c["reason"]) for c in history] == [
        ("alice", None),
        ("alice", None),
        ("bob", "recalibrated"),
    ]
    table = registry.ok("thresholds", "fraud", "--history").stdout
    assert "recalibrated" in table and "roc_auc >= 0.9, rmse <= 3" in table
    assert registry("thresholds", "fraud", "auc > 1", "--history").exit_code == 2
    registry.ok("protect", "fraud", "production", "--unprotect", "-r", "retired", user="bob")
    registry.ok("alias", "delete", "fraud", "production", user="alice")  # no longer protected
