"""Registry values and the filter language: pure functions, no database."""

from __future__ import annotations

import hashlib
import math

import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.registry import AcceptanceThreshold, AliasAction, AliasEvent, ModelStage
from mlsteward.domain.registry_evaluation import evaluation_digest
from mlsteward.domain.registry_filter import RegistryCondition, parse_registry_filter
from mlsteward.services.registry.aliases import rollback_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roc_auc >= 0.85", AcceptanceThreshold("roc_auc", ">=", 0.85)),
        ("rmse<=3", AcceptanceThreshold("rmse", "<=", 3.0)),
        ("val/loss < 1e-2", AcceptanceThreshold("val/loss", "<", 0.01)),
        ("acc = 1", AcceptanceThreshold("acc", "==", 1.0)),
    ],
)
def test_threshold_parsing(text: str, expected: AcceptanceThreshold) -> None:
    assert AcceptanceThreshold.parse(text) == expected


@pytest.mark.parametrize("text", ["roc_auc", ">= 0.8", "auc => 0.8", "auc >= x", "auc >= nan"])
def test_bad_thresholds_say_how_to_write_one(text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"threshold|NaN"):
        AcceptanceThreshold.parse(text)


def test_thresholds_judge_values_and_never_pass_nan() -> None:
    at_least = AcceptanceThreshold("auc", ">=", 0.85)
    assert at_least.is_met_by(0.85) and not at_least.is_met_by(0.84)
    assert not at_least.is_met_by(math.nan)
    assert AcceptanceThreshold("rmse", "<", 3).is_met_by(2.9)
    assert str(AcceptanceThreshold("rmse", "<=", 3.0)) == "rmse <= 3"


def test_stage_names_are_case_insensitive() -> None:
    assert ModelStage.parse("production") is ModelStage.PRODUCTION
    assert ModelStage.parse(None) is ModelStage.NONE
    with pytest.raises(InvalidArgumentError, match="Staging, Production"):
        ModelStage.parse("prod")


def test_filter_conditions() -> None:
    parsed = parse_registry_filter(
        "name LIKE 'fraud%' AND tags.`team name` = 'risk' AND alias IN ('a', 'b')", "model"
    )
    assert parsed == (
        RegistryCondition("name", "LIKE", "fraud%"),
        RegistryCondition("tags", "=", "risk", "team name"),
        RegistryCondition("alias", "IN", ("a", "b")),
    )
    versions = parse_registry_filter("version >= '3' and current_stage != 'None'", "version")
    assert versions == (
        RegistryCondition("version", ">=", 3),
        RegistryCondition("stage", "!=", "None"),
    )
    assert parse_registry_filter("  ", "model") == ()


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("run_id = 'x'", "model", "unknown field 'run_id'"),
        ("name = 'a' OR name = 'b'", "model", "AND only"),
        ("name > 'a'", "model", "cannot be compared with >"),
        ("version = 'three'", "version", "whole number"),
        ("name = ", "model", "at position 7, found end of filter"),
        ("tags = 'x'", "model", "tag key"),
    ],
)
def test_bad_filters_point_at_the_problem(text: str, target: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_registry_filter(text, target)  # type: ignore[arg-type]


def _events(*moves: tuple[str, int | None, int | None]) -> list[AliasEvent]:
    return [
        AliasEvent(i, "m", "a", AliasAction(action), old, new, "u", i)
        for i, (action, old, new) in enumerate(moves, start=1)
    ]


def test_rollback_target_walks_back_through_history() -> None:
    assert rollback_target(_events(("set", None, 1))) is None
    history = _events(("set", None, 1), ("set", 1, 2), ("set", 2, 3))
    assert rollback_target(history) == 2
    history += _events(("rollback", 3, 2))
    assert rollback_target(history) == 1
    assert rollback_target(_events(("set", None, 1), ("delete", 1, None))) == 1
    # A version set again after others is not "earlier" than itself.
    assert rollback_target(_events(("set", None, 1), ("delete", 1, None), ("set", None, 1))) is None


def test_evaluation_digest_names_the_values_not_their_order() -> None:
    digest = evaluation_digest({"auc": 0.9, "rmse": math.inf, "odd": math.nan})
    assert digest == evaluation_digest({"odd": float("nan"), "rmse": math.inf, "auc": 0.9})
    assert evaluation_digest({"x": -0.0}) == evaluation_digest({"x": 0.0})
    assert len({
        digest,
        evaluation_digest({}),
        evaluation_digest({"auc": 0.9}),
        evaluation_digest({"auc": 0.9000000000000001, "rmse": math.inf, "odd": math.nan}),
        evaluation_digest({"auc": 0.9, "rmse": -math.inf, "odd": math.nan}),
        evaluation_digest({"auc 0.9": 0.0}),
    }) == 6  # fmt: skip
    # Stored with approvals, so it must never change.
    assert evaluation_digest({}) == hashlib.sha256(b"[]").hexdigest()
    assert evaluation_digest({"auc": 0.5}) == hashlib.sha256(b'[["auc","0.5"]]').hexdigest()
