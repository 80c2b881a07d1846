"""The one label normalizer: every spelling of a class is that class, and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.drift.label_values import (
    MISSING,
    UNKNOWN,
    LabelValueError,
    class_list,
    class_of,
    count_reasons,
    distinct_labels,
    dropped_messages,
    infer_classes,
    label_codes,
    label_column,
    label_value,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (np.int64(0), 0),
        (1.0, 1),
        (np.float32(-2.0), -2),
        (True, 1),
        (np.bool_(False), 0),
        ("1", 1),
        (" 1 ", 1),
        ("-2", -2),
        ("1.0", 1),
        ("1.", 1),
        ("true", 1),
        ("FALSE", 0),
        ("01", "01"),  # a code, not a number
        ("1e0", "1e0"),
        ("yes", "yes"),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        (float("nan"), None),
    ],
)
def test_label_value(value: object, expected: object) -> None:
    got = label_value(value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value", [0.5, np.float64(0.25), float("inf"), -float("inf")])
def test_fractional_or_infinite_numbers_are_not_labels(value: float) -> None:
    with pytest.raises(LabelValueError, match=r"the column 'y' holds .*not a class label"):
        label_value(value, "y")


def test_codes_match_across_types_and_say_missing_or_unknown() -> None:
    labels = pd.Series([1.0, 0.0, np.nan, 2.0, 1.0])
    assert label_codes(labels, [0, 1]).tolist() == [1, 0, MISSING, UNKNOWN, 1]
    assert label_codes(labels, ["0", "1"]).tolist() == [1, 0, MISSING, UNKNOWN, 1]
    assert label_codes(pd.Series([True, False]), [0, 1]).tolist() == [1, 0]
    assert label_codes(pd.Series(["1", "yes", None], dtype=object), [0, 1]).tolist() == [
        1,
        UNKNOWN,
        MISSING,
    ]
    nullable = pd.Series([1, None, 0], dtype="Int64")
    assert label_codes(nullable, [0, 1]).tolist() == [1, MISSING, 0]
    assert label_codes(pd.Series([], dtype=float), [0, 1]).tolist() == []
    with pytest.raises(LabelValueError, match="'proba'"):
        label_codes(pd.Series([0.2, 0.9]), [0, 1], "proba")


def test_classes_and_their_order() -> None:
    assert class_list(["0", 1.0]) == [0, 1]
    with pytest.raises(LabelValueError, match="given twice"):
        class_list([1, "1"])
    with pytest.raises(LabelValueError, match="cannot be missing"):
        class_list([None, 1])
    # Numbers first, by value (not as text: 10 after 2), then text.
    found = distinct_labels(pd.Series([10, 2, 1]), pd.Series(["b", "a", "2.0", None]))
    assert found == [1, 2, 10, "a", "b"]
    assert infer_classes("binary", [1], "labels") == [0, 1]
    assert infer_classes("binary", [False, True], "labels") == [False, True]
    with pytest.raises(LabelValueError, match=r"A binary task has two classes.*3: 0, 1, yes"):
        infer_classes("binary", [0, 1, "yes"], "labels and predictions")
    assert infer_classes("multiclass", [0, 1, 2], "labels") == [0, 1, 2]


def test_label_column_and_keys() -> None:
    column = label_column(pd.Series([1.0, np.nan, 0.0], name="y"))
    assert column.tolist() == [1, None, 0] and column.dtype == object and column.name == "y"
    assert class_of({"0": "p0", "1": "p1"}, 1) == "p1"
    assert class_of({0: "p0"}, "0.0") == "p0"
    assert class_of({0: "p0"}, 2) is None


def test_reasons_count_each_row_once() -> None:
    missing = np.array([True, False, False, True])
    unknown = np.array([False, True, False, True])
    counts = count_reasons([("missing label", missing), ("label not a class", unknown)])
    assert counts == {"missing label": 2, "label not a class": 1}
    assert count_reasons([("missing label", missing)], slice(1, 3)) == {}
    assert dropped_messages(counts) == [
        "2 rows dropped: missing label",
        "1 row dropped: label not a class",
    ]
