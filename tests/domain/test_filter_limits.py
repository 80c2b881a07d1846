"""The filter parsers stop at their limits with an error that states the limit.

Before the limits, 400 nested parentheses raised RecursionError (a 500 over HTTP) and a long
AND/OR chain reached the database as an expression SQLite refuses (a 503 the SDK retried).
"""

from __future__ import annotations

import pytest

from mlsteward.domain.errors import FilterSyntaxError, InvalidArgumentError
from mlsteward.domain.filter_limits import FilterLimits
from mlsteward.domain.registry_filter import parse_registry_filter
from mlsteward.domain.search_filter import BoolOp, Comparison, parse_filter, parse_order_by
from mlsteward.services.limits import Limits

LIMITS = FilterLimits()


def _nested(depth: int) -> str:
    return "(" * depth + "metrics.a > 1" + ")" * depth


def _chain(count: int, op: str = "OR") -> str:
    return f" {op} ".join(f"metrics.m{i} > {i}" for i in range(count))


def _in_list(count: int, start: int = 0) -> str:
    return ", ".join(f"'v{i}'" for i in range(start, start + count))


def test_deep_parentheses_are_a_syntax_error_not_a_recursion_error() -> None:
    with pytest.raises(FilterSyntaxError, match="at most 50 deep") as caught:
        parse_filter(_nested(400))
    assert caught.value.position == LIMITS.max_depth  # the first parenthesis too many
    assert parse_filter(_nested(LIMITS.max_depth)) == Comparison("metric", "a", ">", 1.0)
    with pytest.raises(FilterSyntaxError, match="at most 50 deep"):
        parse_filter(_nested(LIMITS.max_depth + 1))


def test_depth_counts_nesting_not_groups_side_by_side() -> None:
    side_by_side = " AND ".join(_nested(LIMITS.max_depth) for _ in range(3))
    assert isinstance(parse_filter(side_by_side), BoolOp)


@pytest.mark.parametrize("op", ["OR", "AND"])
def test_comparisons_are_counted(op: str) -> None:
    parsed = parse_filter(_chain(LIMITS.max_comparisons, op))
    assert isinstance(parsed, BoolOp) and len(parsed.operands) == LIMITS.max_comparisons
    with pytest.raises(FilterSyntaxError, match="at most 200 comparisons"):
        parse_filter(_chain(999, op))
    with pytest.raises(FilterSyntaxError, match="at most 200 comparisons"):
        parse_filter(_chain(LIMITS.max_comparisons + 1, op))


def test_in_values_are_counted_across_lists() -> None:
    half = LIMITS.max_in_values // 2
    text = f"params.a IN ({_in_list(half)}) OR tags.b NOT IN ({_in_list(half, half)})"
    assert parse_filter(text) is not None
    over = text.replace(")", ", 'one more')", 1)
    with pytest.raises(FilterSyntaxError, match="at most 1000 values in all"):
        parse_filter(over)
    with pytest.raises(FilterSyntaxError, match="at most 1000 values in all"):
        parse_filter(f"metrics.m IN ({','.join('1' * 20_000)})")


def test_long_filters_and_values_are_refused() -> None:
    with pytest.raises(FilterSyntaxError, match="at most 100000 characters"):
        parse_filter("metrics.a > 1" + " " * LIMITS.max_length)
    value = "x" * LIMITS.max_value_length
    assert parse_filter(f"tags.t = '{value}'") == Comparison("tag", "t", "=", value)
    with pytest.raises(FilterSyntaxError, match="at most 8000 characters"):
        parse_filter(f"tags.t LIKE '{value}%'")
    with pytest.raises(FilterSyntaxError, match="at most 8000 characters"):
        parse_filter(f"params.p IN ('a', '{value}%')")


def test_order_by_clauses_are_counted() -> None:
    keys = [f"metrics.m{i}" for i in range(LIMITS.max_order_keys)]
    assert len(parse_order_by(keys)) == LIMITS.max_order_keys
    with pytest.raises(InvalidArgumentError, match="at most 20 clauses"):
        parse_order_by([*keys, "start_time"])


def test_limits_are_taken_from_the_caller() -> None:
    small = FilterLimits(max_depth=2, max_comparisons=2, max_in_values=2)
    with pytest.raises(FilterSyntaxError, match="at most 2 deep"):
        parse_filter(_nested(3), small)
    with pytest.raises(FilterSyntaxError, match="at most 2 comparisons"):
        parse_filter(_chain(3), small)
    with pytest.raises(FilterSyntaxError, match="at most 2 values"):
        parse_registry_filter("name IN ('a', 'b', 'c')", "model", small)


def test_registry_filters_have_the_same_limits() -> None:
    chain = " AND ".join(f"tags.t{i} = 'x'" for i in range(LIMITS.max_comparisons))
    assert len(parse_registry_filter(chain, "model")) == LIMITS.max_comparisons
    with pytest.raises(FilterSyntaxError, match="at most 200 comparisons"):
        parse_registry_filter(chain + " AND name = 'x'", "model")
    with pytest.raises(FilterSyntaxError, match="at most 1000 values in all"):
        parse_registry_filter(f"name IN ({_in_list(LIMITS.max_in_values + 1)})", "model")
    with pytest.raises(FilterSyntaxError, match="at most 100000 characters"):
        parse_registry_filter("name = 'x'" + " " * LIMITS.max_length, "version")
    with pytest.raises(FilterSyntaxError, match="at most 8000 characters"):
        parse_registry_filter(f"name LIKE '{'x' * 8001}'", "model")
    with pytest.raises(InvalidArgumentError, match="expected a field name"):
        parse_registry_filter(_nested(400).replace("metrics.a > 1", "name = 'x'"), "model")


@pytest.mark.parametrize("number", ["99999999999999999999999", "2147483648", "-2147483649"])
def test_registry_versions_must_fit_the_column(number: str) -> None:
    with pytest.raises(InvalidArgumentError, match="out of range"):
        parse_registry_filter(f"version = {number}", "version")
    with pytest.raises(InvalidArgumentError, match="out of range"):
        parse_registry_filter(f"version IN (1, {number})", "version")
    assert parse_registry_filter("version <= 2147483647", "version")[0].value == 2**31 - 1


def test_service_limits_keep_every_stored_value_searchable() -> None:
    assert Limits().filters == LIMITS
    with pytest.raises(ValueError, match="longest stored value"):
        Limits(filters=FilterLimits(max_value_length=100))
