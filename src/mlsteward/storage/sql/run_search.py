"""Translate the filter language's tree and sort keys into SQLAlchemy expressions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import UnaryExpression

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.search_filter import BoolOp, Comparison, Expr, Not, OrderKey
from mlsteward.storage.sql.comparisons import compare
from mlsteward.storage.sql.tables import latest_metrics, params, run_tags, runs

_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")


def _comparison(node: Comparison) -> ColumnElement[bool]:
    if node.entity == "attribute":
        column = runs.c[node.key]
        if node.op == "IS NULL":
            return column.is_(None)
        return compare(column, node.op, node.value)
    if node.entity == "metric":
        table = latest_metrics
        if node.op in ("LIKE", "ILIKE"):
            raise InvalidArgumentError(f"Metric {node.key!r} is numeric: LIKE does not apply")
    else:
        table = params if node.entity == "param" else run_tags
        if node.op not in (*_STRING_OPS, "IS NULL"):
            raise InvalidArgumentError(
                f"{node.entity.capitalize()}s are strings: compare {node.key!r} with "
                "=, !=, LIKE, ILIKE or IN, not " + node.op
            )
    owned = and_(table.c.run_id == runs.c.run_id, table.c.key == node.key)
    if node.op == "IS NULL":
        return not_(exists(select(1).where(owned)))
    condition = compare(table.c.value, node.op, node.value)
    if node.entity == "metric":
        condition = and_(condition, table.c.is_nan == false())
    return exists(select(1).where(owned, condition))


def filter_clause(expr: Expr) -> ColumnElement[bool]:
    """SQL condition on the ``runs`` table equivalent to the parsed filter."""
    if isinstance(expr, Comparison):
        return _comparison(expr)
    if isinstance(expr, Not):
        return not_(_comparison(expr.operand))
    if isinstance(expr, BoolOp):
        parts = [filter_clause(operand) for operand in expr.operands]
        return and_(*parts) if expr.op == "AND" else or_(*parts)
    raise InvalidArgumentError(f"Unsupported filter node {expr!r}")


def order_clauses(keys: list[OrderKey] | tuple[OrderKey, ...]) -> list[UnaryExpression[Any]]:
    """ORDER BY expressions; missing values sort last whatever the direction."""
    clauses: list[UnaryExpression[Any]] = []
    for key in keys:
        if key.entity == "attribute":
            column: Any = runs.c[key.key]
        else:
            table = {"metric": latest_metrics, "param": params, "tag": run_tags}[key.entity]
            # A NaN metric is stored as 0 with a flag; sort it with missing values (last).
            value = (
                case((table.c.is_nan == true(), null()), else_=table.c.value)
                if key.entity == "metric"
                else table.c.value
            )
            column = (
                select(value)
                .where(table.c.run_id == runs.c.run_id, table.c.key == key.key)
                .scalar_subquery()
            )
        ordered = column.asc() if key.ascending else column.desc()
        clauses.append(ordered.nulls_last())
    clauses.append(runs.c.start_time.desc())
    clauses.append(runs.c.run_id.asc())
    return clauses
