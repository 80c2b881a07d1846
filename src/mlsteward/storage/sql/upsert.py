"""Dialect-specific INSERT that supports ON CONFLICT (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: Connection, table: Table) -> Any:
    """An INSERT with ``on_conflict_do_update``/``on_conflict_do_nothing`` for this dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
