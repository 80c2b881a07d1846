"""Long ``IN (...)`` lists split into pieces, so no statement exceeds a driver's parameter limit."""

from __future__ import annotations

from collections.abc import Sequence

# Bound parameters per statement stay well under SQLite's limit (32,766).
IN_CHUNK = 500


def in_chunks(items: Sequence[str]) -> list[list[str]]:
    """``items`` in consecutive pieces of at most ``IN_CHUNK``."""
    return [list(items[i : i + IN_CHUNK]) for i in range(0, len(items), IN_CHUNK)]
