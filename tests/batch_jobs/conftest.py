"""Batch job fixtures: an empty database for the migration test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.testing.postgres import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (SQLite file or a fresh PostgreSQL database) for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url
