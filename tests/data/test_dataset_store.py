"""The shipped dataset store conformance suite, on SQLite and PostgreSQL."""

from mlsteward.testing.dataset_conformance import DatasetStoreConformance


class TestSqlDatasets(DatasetStoreConformance):
    pass
