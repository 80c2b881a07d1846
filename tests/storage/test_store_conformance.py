"""The shipped Store conformance suite, run unchanged against every backend."""

from mlsteward.testing.store_conformance import StoreConformance


class TestSqlStore(StoreConformance):
    """SqlStore on SQLite and PostgreSQL (see ``store_harness`` in conftest.py)."""
