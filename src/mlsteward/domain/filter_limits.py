"""How large a search filter may be: bounds the parsers enforce before any SQL is built.

A filter is client input. Without bounds, a deep nest of parentheses exhausts Python's
recursion, and a long chain of AND/OR terms or a huge IN list builds SQL beyond what the
database accepts (SQLite's expression depth of 1000 and its 50,000-byte LIKE patterns,
PostgreSQL's 65,535 bind parameters), which used to surface as a server fault. Every default
is far above what a person or a program writes, and together they keep the SQL within both
databases' limits: at most ``max_comparisons`` conditions, each with a key and a value
parameter, plus ``max_in_values`` list values, is a few thousand parameters and an expression
a few hundred levels deep.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FilterLimits:
    """Bounds on one filter string (runs and registry search alike)."""

    #: Characters in the whole filter (1000 quoted run ids in an IN list take about 36,000).
    max_length: int = 100_000
    #: Levels of nested parentheses.
    max_depth: int = 50
    #: Comparisons (``key op value``, ``IN``, ``IS NULL``) joined by AND/OR.
    max_comparisons: int = 200
    #: Values in all the filter's IN lists together.
    max_in_values: int = 1000
    #: Characters in one quoted value: the longest stored tag value, so any stored value can
    #: still be matched, while a LIKE pattern stays under SQLite's 50,000-byte limit.
    max_value_length: int = 8000
    #: Clauses in one ``order_by`` list.
    max_order_keys: int = 20
