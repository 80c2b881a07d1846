"""Schemas: inferred from data, edited as YAML, and every failure reported (via pandera)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.engines.data import (
    DataSchema,
    SchemaSpecError,
    infer_schema,
    register_row_check,
    validate_table,
)

UTC = dt.UTC


@pytest.fixture
def good() -> pa.Table:
    n = 40
    return pa.table(
        {
            "user_id": list(range(n)),
            "age": [20 + i % 30 for i in range(n)],
            "country": ["FR", "DE"] * (n // 2),
            "email": [f"u{i}@example.org" for i in range(n)],
            "start": [float(i) for i in range(n)],
            "end": [float(i) + 1 for i in range(n)],
            "seen": [dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(days=i) for i in range(n)],
        }
    )


def test_inferred_schema_accepts_its_table_and_round_trips_yaml(good):
    schema = infer_schema(good)
    assert schema.column("user_id").unique and not schema.column("age").unique
    assert schema.column("country").allowed == ["DE", "FR"]
    assert schema.column("seen").min == "2024-01-01T00:00:00+00:00"
    text = schema.to_yaml()
    assert DataSchema.from_yaml(text) == schema
    assert validate_table(good, DataSchema.from_yaml(text)).ok


def test_every_failure_is_reported_not_only_the_first(good):
    schema = infer_schema(good)
    edited = DataSchema.from_yaml(
        schema.to_yaml().replace("row_checks: []", "")
        + "row_checks:\n- name: ends_after_start\n  expression: end > start\n"
    )
    edited.column("email").regex = r"[^@\s]+@[^@\s]+\.[a-z]+"
    edited.strict = True
    bad = good.to_pandas()
    bad.loc[0, "user_id"] = 1  # duplicate id
    bad.loc[[1, 2], "age"] = [200, 300]  # above max
    bad.loc[3, "country"] = "USA"  # not allowed
    bad.loc[4, "email"] = "not-an-email"
    bad.loc[5, "end"] = -1.0  # row check, and below min
    bad["extra"] = 1
    table = pa.Table.from_pandas(bad, preserve_index=False)
    report = validate_table(table, edited)
    assert not report.ok
    found = {(f.column, f.check): f for f in report.failures}
    assert found[("user_id", "field_uniqueness")].failing == 2
    age = found[("age", "less_than_or_equal_to(49)")]
    assert age.failing == 2 and sorted(age.examples) == [200, 300]
    assert found[("country", "isin(['DE', 'FR'])")].examples == ["USA"]
    assert found[("email", "regex('[^@\\\\s]+@[^@\\\\s]+\\\\.[a-z]+')")].examples == [
        "not-an-email"
    ]
    rows = found[(None, "ends_after_start")]
    assert rows.failing == 1 and rows.examples == [5]
    assert ("extra", "column_in_schema") in found
    assert len(report.failures) >= 7
    assert report.to_dict()["failures"][0].keys() >= {"column", "check", "failing", "examples"}


def test_types_nullability_and_missing_columns():
    schema = DataSchema.from_yaml(
        """
columns:
  n: {type: integer, nullable: false}
  f: {type: float}
  s: {type: string}
  gone: {type: integer}
"""
    )
    table = pa.table({"n": [1, None, 3], "f": ["a", "b", "c"], "s": ["x", None, "z"]})
    report = validate_table(table, schema)
    checks = {(f.column, f.check) for f in report.failures}
    assert ("n", "not_nullable") in checks  # integers with gaps stay integers
    assert any(c == "f" and k.startswith("dtype") for c, k in checks)
    assert ("gone", "column_in_dataframe") in checks


def test_mostly_tolerates_a_share_of_failures():
    table = pa.table({"score": list(range(100))})
    strict = DataSchema.from_yaml("columns:\n  score: {type: integer, max: 97}\n")
    loose = DataSchema.from_yaml("columns:\n  score: {type: integer, max: 97, mostly: 0.97}\n")
    assert not validate_table(table, strict).ok
    report = validate_table(table, loose)
    assert report.ok and report.failures[0].tolerated and report.failures[0].failing == 2


def test_registered_row_check_and_undefined_rows_pass():
    @register_row_check("total_matches")
    def total_matches(frame: pd.DataFrame) -> pd.Series:
        return frame["a"] + frame["b"] == frame["total"]

    table = pa.table({"a": [1, 2, None], "b": [1, 2, 3], "total": [2, 5, 3]})
    schema = DataSchema.from_yaml(
        "columns: {}\nrow_checks:\n- name: sums\n  function: total_matches\n"
        "- name: positive\n  expression: a > 0\n"
    )
    report = validate_table(table, schema)
    assert [(f.check, f.examples) for f in report.failures] == [("sums", [1])]


def test_time_bounds_compare_as_instants():
    table = pa.table(
        {"t": [dt.datetime(2024, 5, 1, tzinfo=UTC), dt.datetime(2023, 1, 1, tzinfo=UTC)]}
    )
    schema = DataSchema.from_yaml("columns:\n  t: {type: datetime, min: '2024-01-01T00:00:00Z'}\n")
    report = validate_table(table, schema)
    assert [f.failing for f in report.failures] == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n  a: {tpye: integer}\n", "unknown key"),
        ("columns:\n  a: {type: decimal}\n", "unknown type"),
        ("columns:\n  a: {mostly: 1.5}\n", "mostly"),
        ("row_checks:\n- name: r\n", "exactly one"),
        ("columns: [a, b]\n", "map column names"),
        ("version: 9\n", "version"),
        ("columns: {a: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_schema_text_is_refused_clearly(text, message):
    with pytest.raises(SchemaSpecError, match=message):
        DataSchema.from_yaml(text)
