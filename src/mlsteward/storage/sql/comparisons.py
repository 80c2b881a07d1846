"""One operator table for every search filter (runs, registry), so they behave alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from mlsteward.domain.errors import InvalidArgumentError


def compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    """``column <op> value`` for the filter languages' operators."""
    match op:
        case "=":
            return column == value
        case "!=":
            return column != value
        case "<":
            return column < value
        case "<=":
            return column <= value
        case ">":
            return column > value
        case ">=":
            return column >= value
        # Backslash escapes % and _ on every backend (PostgreSQL's default, SQLite's none).
        case "LIKE":
            return column.like(value, escape="\\")
        case "ILIKE":
            return column.ilike(value, escape="\\")
        case "IN":
            return column.in_(list(value))
        case "NOT IN":
            return column.not_in(list(value))
    raise InvalidArgumentError(f"Unsupported operator {op!r}")
