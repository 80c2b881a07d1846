"""The shipped audit storage contract on SQLite and PostgreSQL, each test on an empty store
of its own (see conftest.py)."""

from mlsteward.testing.audit_conformance import AuditStoreConformance


class TestSqlAudit(AuditStoreConformance):
    pass
