"""Conformance suites and test helpers shipped with mlsteward, so backends and plugins
written elsewhere can prove they keep the same contracts.

* :mod:`mlsteward.testing.store_conformance`: the Store contract as a pytest class.
* :mod:`mlsteward.testing.monitoring_conformance`: the MonitoringStore contract (monitors
  with their performance configuration, runs, alerts, events).
* :mod:`mlsteward.testing.postgres`: throw-away PostgreSQL databases for tests.
"""

__all__: list[str] = []
