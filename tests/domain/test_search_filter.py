"""The filter language: what it parses into, and errors that point at the position."""

from __future__ import annotations

import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.search_filter import (
    BoolOp,
    Comparison,
    Not,
    OrderKey,
    parse_filter,
    parse_order_by,
)


def test_blank_filters_mean_everything() -> None:
    assert parse_filter(None) is None
    assert parse_filter("   ") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.acc > 0.9", Comparison("metric", "acc", ">", 0.9)),
        ("metric.acc >= -1e-3", Comparison("metric", "acc", ">=", -0.001)),
        ("metrics.acc < .5", Comparison("metric", "acc", "<", 0.5)),
        ("metrics.val.loss <= 2", Comparison("metric", "val.loss", "<=", 2.0)),
        ("metrics.`my metric` = 1", Comparison("metric", "my metric", "=", 1.0)),
        ("params.\"batch size\" = '32'", Comparison("param", "batch size", "=", "32")),
        ("params.lr <> '0.1'", Comparison("param", "lr", "!=", "0.1")),
        ("params.lr = 0.1", Comparison("param", "lr", "=", "0.1")),
        ("tags.note = 'it''s'", Comparison("tag", "note", "=", "it's")),
        ("tags.t like 'a%'", Comparison("tag", "t", "LIKE", "a%")),
        ("tags.t ILIKE 'A%'", Comparison("tag", "t", "ILIKE", "A%")),
        ("status = 'FINISHED'", Comparison("attribute", "status", "=", "FINISHED")),
        ("attributes.start_time > 5", Comparison("attribute", "start_time", ">", 5.0)),
        ("run.run_name = 'x'", Comparison("attribute", "run_name", "=", "x")),
        ("params.lr IN ('a', 'b')", Comparison("param", "lr", "IN", ("a", "b"))),
        ("metrics.m in (1, 2.5)", Comparison("metric", "m", "IN", (1.0, 2.5))),
        ("start_time IN (1, 2)", Comparison("attribute", "start_time", "IN", (1.0, 2.0))),
        ("params.lr NOT IN ('a')", Comparison("param", "lr", "NOT IN", ("a",))),
        ("end_time IS NULL", Comparison("attribute", "end_time", "IS NULL", None)),
        ("tags.t is not null", Not(Comparison("tag", "t", "IS NULL", None))),
    ],
)
def test_comparisons(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


def test_and_binds_tighter_than_or() -> None:
    a = Comparison("metric", "a", ">", 1.0)
    b = Comparison("metric", "b", ">", 2.0)
    c = Comparison("metric", "c", ">", 3.0)
    assert parse_filter("metrics.a > 1 OR metrics.b > 2 AND metrics.c > 3") == BoolOp(
        "OR", (a, BoolOp("AND", (b, c)))
    )
    assert parse_filter("(metrics.a > 1 or metrics.b > 2) and metrics.c > 3") == BoolOp(
        "AND", (BoolOp("OR", (a, b)), c)
    )
    assert parse_filter("metrics.a > 1 AND metrics.b > 2 AND metrics.c > 3") == BoolOp(
        "AND", (a, b, c)
    )
    assert parse_filter("((metrics.a > 1))") == a


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("metrics.acc >", 13, "expected a value"),
        ("metrics.acc > 0.9 AND", 21, "identifier"),
        ("metrics.acc ~ 1", 12, "unexpected character '~'"),
        ("(metrics.acc > 1", 16, "expected ')'"),
        ("metrics.acc > 1)", 15, "AND, OR or the end"),
        ("metrics.a > 1 metrics.b > 2", 14, "AND, OR or the end"),
        ("foo = 1", 0, "unknown identifier 'foo'"),
        ("x = 1 AND attributes.bogus = 'x'", 0, "unknown identifier 'x'"),
        ("metrics.a > 1 AND attributes.bogus = 'x'", 18, "unknown attribute 'bogus'"),
        ("metrics.acc > 'high'", 14, "numeric"),
        ("start_time = 'yesterday'", 13, "numeric"),
        ("start_time IN ('a')", 15, "a number"),
        ("params.lr LIKE 5", 15, "quoted string pattern"),
        ("params.lr IN 'a'", 13, "'('"),
        ("params.lr IN ('a' 'b')", 18, "',' or ')'"),
        ("params.lr IS NOT 'x'", 17, "NULL"),
        ("params.lr NOT LIKE 'x'", 14, "IN after NOT"),
        ("params.lr = 'unterminated", 12, "unexpected character"),
        ("params. = 'x'", 8, "a key after the '.'"),
        ("params.lr == 'x'", 11, "a value"),
        ("= 1", 0, "an identifier"),
    ],
)
def test_errors_point_at_the_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        parse_filter(text)
    message = str(raised.value)
    assert f"position {position}" in message, message
    assert fragment in message, message
    assert message.startswith("Invalid filter")


def test_order_by() -> None:
    assert parse_order_by(None) == []
    assert parse_order_by(["metrics.acc DESC", "start_time", "params.lr asc"]) == [
        OrderKey("metric", "acc", False),
        OrderKey("attribute", "start_time", True),
        OrderKey("param", "lr", True),
    ]


@pytest.mark.parametrize("clause", ["metrics.acc DESCENDING", "bogus", "metrics.acc DESC x", ""])
def test_bad_order_by(clause: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_order_by([clause])
