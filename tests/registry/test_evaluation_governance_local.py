"""Made-up evaluation numbers through the local SDK and the CLI, on an embedded store.

alice gets version 1 approved on honest numbers that miss ``auc >= 0.9``, then attaches
``auc: 0.99``: the approval no longer counts, the change is on record, and a new approval on
the new numbers lets the version through.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlsteward
from mlsteward.domain.registry import GateError
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.tracking_uri import close_backends

STALE = "approved by 'bob' on an earlier evaluation; re-approval needed"


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_an_approval_counts_only_for_the_numbers_it_saw(uri: str) -> None:
    alice, bob = mlsteward.Client(uri, user="alice"), mlsteward.Client(uri, user="bob")
    alice.create_registered_model("fraud")
    alice.create_model_version("fraud", "s3://models/fraud/1")
    alice.attach_evaluation("fraud", 1, {"auc": 0.6})
    alice.set_acceptance_thresholds("fraud", ["auc >= 0.9"])
    alice.protect_alias("fraud", "production", reason="release policy")
    bob.approve_model_version("fraud", 1, "auc 0.6 on the March holdout")

    alice.attach_evaluation("fraud", "1", {"auc": 0.99})
    with pytest.raises(GateError, match=STALE):
        alice.set_registered_model_alias("fraud", "production", 1)
    with pytest.raises(GateError, match=STALE):
        alice.transition_model_version_stage("fraud", 1, "Production")
    assert "re-approval needed" in bob.render_model_card("fraud", 1)

    changes = bob.get_evaluation_history("fraud", 1)
    assert [(c.actor, c.from_metrics, c.to_metrics) for c in changes] == [
        ("alice", {}, {"auc": 0.6}),
        ("alice", {"auc": 0.6}, {"auc": 0.99}),
    ]
    close_backends()
    cli = CliRunner()
    shown = cli.invoke(app, ["-t", uri, "models", "evaluation-history", "fraud", "1"])
    assert shown.exit_code == 0, shown.output
    assert "auc: 0.6 -> 0.99" in shown.stdout and "auc: - -> 0.6" in shown.stdout
    listed = cli.invoke(app, ["-t", uri, "models", "evaluation-history", "fraud", "--json"])
    assert [c["to_metrics"] for c in json.loads(listed.stdout)] == [{"auc": 0.6}, {"auc": 0.99}]
    missing = cli.invoke(app, ["-t", uri, "models", "evaluation-history", "fraud", "7"])
    assert missing.exit_code == 1 and "no version 7" in missing.stderr

    bob.approve_model_version("fraud", 1, "re-ran the holdout: 0.99")
    assert alice.set_registered_model_alias("fraud", "production", 1) is not None
