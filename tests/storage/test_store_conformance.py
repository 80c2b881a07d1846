"""The shipped tracking Store conformance suite, run unchanged against every backend."""

from mlsteward.testing.store_conformance import StoreConformance


class TestSqlTrackingStore(StoreConformance):
    """The SQL tracking store on SQLite and PostgreSQL (see ``store_harness`` in conftest.py)."""
