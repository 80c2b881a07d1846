"""The shipped registry conformance suite, on SQLite and PostgreSQL."""

from mlsteward.testing.registry_conformance import RegistryConformance


class TestSqlRegistry(RegistryConformance):
    pass
