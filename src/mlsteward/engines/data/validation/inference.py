"""Infer a starting schema from a table, meant to be reviewed and edited as YAML.

What is inferred, from the data as it is: each column's logical type; ``nullable`` when a
value is missing; observed ``min``/``max`` for numbers and times; ``allowed`` values for text
columns with few distinct values; ``unique`` for all-distinct text columns and for
all-distinct integer columns named like keys (``id``, ``user_id``, ``key``, ``uuid``).
Regexes and row checks are never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.validation.schema import ColumnRule, DataSchema


def logical_type(data_type: pa.DataType) -> str | None:
    """The schema's logical type name for an Arrow type (None when not covered)."""
    t = data_type.value_type if pa.types.is_dictionary(data_type) else data_type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_timestamp(t):
        return "datetime"
    if pa.types.is_date(t):
        return "date"
    return None


def _plain(value: Any) -> Any:
    """A bound as YAML-friendly data (times as ISO-8601 text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


_KEY_NAME = re.compile(r"(^|_)(id|key|uuid|guid)$", re.IGNORECASE)


def _looks_like_key(name: str, kind: str) -> bool:
    """All-distinct integers are often just measurements; call them keys only by name."""
    return kind == "string" or bool(_KEY_NAME.search(name))


def infer_schema(
    table: pa.Table, *, max_allowed: int = 20, unique_min_rows: int = 20
) -> DataSchema:
    """A schema the table satisfies, to be edited (loosen bounds, add regexes and checks).

    ``max_allowed``: text columns with at most this many distinct values get an ``allowed``
    list. ``unique_min_rows``: ``unique`` is inferred only from at least this many rows.
    """
    rules = []
    for name in table.column_names:
        column = table.column(name)
        kind = logical_type(column.type)
        rule = ColumnRule(name=name, type=kind, nullable=column.null_count > 0)
        present = len(column) - column.null_count
        if kind in ("integer", "float", "datetime", "date") and present:
            values = column
            if kind == "float":
                values = pc.if_else(pc.is_nan(column.cast(pa.float64())), None, column)
            bounds = pc.min_max(values)
            rule.min = _plain(bounds["min"].as_py())
            rule.max = _plain(bounds["max"].as_py())
            if kind == "float":
                rule.nullable = rule.nullable or values.null_count > column.null_count
        if kind in ("integer", "string") and present >= unique_min_rows:
            distinct = pc.count_distinct(column, mode="only_valid").as_py()
            if kind == "string" and distinct <= max_allowed:
                rule.allowed = sorted(pc.unique(pc.drop_null(column)).to_pylist())
            elif distinct == present and _looks_like_key(name, kind):
                rule.unique = True
        rules.append(rule)
    return DataSchema(columns=rules)
