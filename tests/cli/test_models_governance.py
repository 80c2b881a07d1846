"""``mlsteward models protect|thresholds|approve|reject|approvals``: promotion gates.

Separation of duties needs two people: ``alice`` registers, ``bob`` (and ``carol``) review.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from .test_models import Registry, log_sklearn_model


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """``fraud`` versions 1 (roc_auc 0.9) and 2 (roc_auc 0.8), both registered by alice."""
    cli = Registry(f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}", CliRunner())
    for auc in (0.9, 0.8):
        run_id = log_sklearn_model(cli.uri, {"roc_auc": auc})
        cli.ok("register", f"runs:/{run_id}/model", "fraud")
    cli.ok("protect", "fraud", "production", "--reason", "release policy")
    return cli


def test_protected_alias_needs_another_users_approval(registry: Registry) -> None:
    refused = registry.fails("alias", "set", "fraud", "production", "1")
    assert "no approval: version 1 was registered by 'alice'" in refused
    assert "nothing was changed" in refused

    selfish = registry.fails("approve", "fraud", "1", "--comment", "my own work is great")
    assert "'alice' registered version 1 of 'fraud' and cannot approve it" in selfish
    assert registry.json("approvals", "fraud") == []

    approved = registry.ok("approve", "fraud", "1", "-m", "validated on holdout", user="bob")
    assert "Version 1 of fraud approved by bob" in approved.stdout
    assert "already approved" in registry.fails("approve", "fraud", "1", "-m", "again", user="bob")
    assert registry("approve", "fraud", "1").exit_code == 2  # a comment is required

    registry.ok("alias", "set", "fraud", "production", "1", "-r", "launch")
    assert registry.json("show", "fraud")["aliases"] == {"production": 1}
    history = registry.json("alias", "history", "fraud", "production")
    assert [(e["action"], e["actor"], e["reason"]) for e in history] == [
        ("protect", "alice", "release policy"),
        ("set", "alice", "launch"),
    ]
    reviews = registry.ok("approvals", "fraud", "1").stdout
    assert "approved" in reviews and "bob" in reviews and "validated on holdout" in reviews


def test_thresholds_refuse_promotion_with_every_reason(registry: Registry) -> None:
    registry.ok("approve", "fraud", "2", "-m", "fine", user="bob")
    set_ = registry.ok("thresholds", "fraud", "roc_auc >= 0.85", "rmse <= 3.0")
    assert "now requires: roc_auc >= 0.85, rmse <= 3" in set_.stdout
    assert [t["metric"] for t in registry.json("thresholds", "fraud")] == ["roc_auc", "rmse"]

    refused = registry.fails("alias", "set", "fraud", "production", "2")
    assert "threshold roc_auc >= 0.85 not met: roc_auc = 0.8" in refused
    assert "threshold rmse <= 3 cannot be checked" in refused
    assert "no approval" not in refused
    assert registry.json("show", "fraud")["aliases"] == {}

    assert "Invalid threshold" in registry.fails("thresholds", "fraud", "auc >> 1")
    assert registry("thresholds", "fraud", "auc > 1", "--clear").exit_code == 2
    registry.ok("thresholds", "fraud", "--clear", "--reason", "metrics retired", user="bob")
    assert "no acceptance thresholds" in registry.ok("thresholds", "fraud").stdout
    registry.ok("alias", "set", "fraud", "production", "2")


def test_a_rejection_blocks_until_someone_approves_again(registry: Registry) -> None:
    registry.ok("approve", "fraud", "1", "-m", "validated", user="bob")
    registry.ok("reject", "fraud", "1", "-m", "leaks the label", user="carol")
    refused = registry.fails("stage", "fraud", "1", "Production")  # the stage is gated too
    assert "rejected by 'carol' ('leaks the label')" in refused
    assert "No approvals or rejections" in registry.ok("approvals", "fraud", "2").stdout

    registry.ok("approve", "fraud", "1", "-m", "fixed upstream, re-validated", user="bob")
    registry.ok("stage", "fraud", "1", "Production", user="bob")
    trail = registry.json("approvals", "fraud")
    assert [(a["actor"], a["decision"]) for a in trail] == [
        ("bob", "APPROVED"),
        ("carol", "REJECTED"),
        ("bob", "APPROVED"),
    ]
    versions = registry.ok("versions", "fraud").stdout
    assert "approved by bob" in versions


def test_rollback_of_a_protected_alias_is_gated(registry: Registry) -> None:
    registry.ok("approve", "fraud", "1", "-m", "ok", user="bob")
    registry.ok("approve", "fraud", "2", "-m", "ok", user="bob")
    registry.ok("alias", "set", "fraud", "production", "1")
    registry.ok("alias", "set", "fraud", "production", "2")
    registry.ok("reject", "fraud", "1", "-m", "found a bias", user="carol")
    assert "rejected by 'carol'" in registry.fails("alias", "rollback", "fraud", "production")
    assert registry.json("show", "fraud")["aliases"] == {"production": 2}
    registry.ok("protect", "fraud", "production", "--unprotect", "-r", "incident 42", user="bob")
    registry.ok("alias", "rollback", "fraud", "production", "-r", "incident 42")
    assert registry.json("show", "fraud")["aliases"] == {"production": 1}
