"""The pure halves of the governance rules: who is the same person, what loosens a gate."""

from __future__ import annotations

import math

import pytest

from mlsteward.domain.registry import AcceptanceThreshold
from mlsteward.domain.threshold_bounds import accepted_values, loosened_thresholds
from mlsteward.services.people import is_named_person, normalize_person, same_person


@pytest.mark.parametrize(
    "spelling",
    [
        "alice",
        "Alice",
        "ALICE",
        "alice ",
        "  alice",
        "ａｌｉｃｅ",
        "ＡＬＩＣＥ",
        "ali\u200bce",
        "\ufeffalice",
    ],
)
def test_spellings_of_one_name_are_one_person(spelling: str) -> None:
    assert same_person(spelling, "alice")
    assert normalize_person(spelling) == "alice"


def test_inner_whitespace_collapses_and_case_folds_fully() -> None:
    assert same_person("Mary  Ann\tSmith", "mary ann smith")
    assert same_person("STRASSE", "straße")
    assert not same_person("mary ann", "maryann")
    assert not same_person("alice", "alicia")
    assert not same_person("bob", "alice")


@pytest.mark.parametrize(
    "nobody", ["", "   ", "anonymous", "Anonymous", " ANONYMOUS ", "ａｎｏｎｙｍｏｕｓ"]
)
def test_anonymous_and_blank_name_no_one(nobody: str) -> None:
    assert not is_named_person(nobody)


def test_named_people() -> None:
    assert is_named_person("alice") and is_named_person("uid-1000")
    assert not is_named_person(None)


def _ths(*texts: str) -> list[AcceptanceThreshold]:
    return [AcceptanceThreshold.parse(t) for t in texts]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["auc >= 0.9"], ["auc >= 0.8"]),  # lowered
        (["rmse <= 3"], ["rmse <= 4"]),  # raised an upper bound
        (["auc > 0.9"], ["auc >= 0.9"]),  # strict relaxed
        (["rmse < 3"], ["rmse <= 3"]),
        (["auc == 1"], ["auc >= 1"]),  # equality opened on one side
        (["auc >= 0.9"], []),  # cleared
        (["auc >= 0.9", "rmse <= 3"], ["auc >= 0.9"]),  # one removed
        (["auc >= -inf"], []),  # even a bound everything meets refuses a missing metric
        (["auc >= 0.9"], ["auc <= 0.95"]),  # swapped for another direction
        (["auc >= 0.9"], ["rmse <= 3", "auc2 >= 0.95"]),  # its metric dropped for others
        (["auc >= 0.9", "auc <= 0.1"], ["auc >= 0.9"]),  # an impossible pair made possible
    ],
)
def test_loosening(old: list[str], new: list[str]) -> None:
    assert loosened_thresholds(_ths(*old), _ths(*new))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ([], ["auc >= 0.9"]),  # added
        (["auc >= 0.9"], ["auc >= 0.95"]),  # raised
        (["rmse <= 3"], ["rmse < 3"]),  # made strict
        (["auc >= 0.9"], ["auc > 0.9"]),
        (["auc >= 0.9"], ["auc == 0.95"]),  # pinned inside
        (["auc >= 0.9"], ["auc >= 0.9", "auc <= 0.99", "rmse <= 3"]),  # bounded and added
        (["auc >= 0.9", "rmse <= 3"], ["rmse <= 3", "auc >= 0.9"]),  # reordered
        (["auc >= 0.9"], ["auc >= 0.95", "auc <= 0.5"]),  # nothing passes any more
        (["auc >= 0.9"], ["auc >= 0.9"]),  # unchanged
    ],
)
def test_not_loosening(old: list[str], new: list[str]) -> None:
    assert loosened_thresholds(_ths(*old), _ths(*new)) == []


def test_loosened_lines_say_before_and_after() -> None:
    lines = loosened_thresholds(_ths("auc >= 0.9", "rmse <= 3"), _ths("auc >= 0.8"))
    assert lines == ["auc >= 0.9 -> auc >= 0.8", "rmse <= 3 -> no threshold"]


def test_accepted_values_with_infinities() -> None:
    assert accepted_values(_ths("x > inf")).is_empty()
    assert not accepted_values(_ths("x >= inf")).is_empty()
    everything = accepted_values([])
    assert (everything.low, everything.high) == (-math.inf, math.inf)
    assert accepted_values(_ths("x > -inf")).within(everything)
    assert not everything.within(accepted_values(_ths("x > -inf")))
