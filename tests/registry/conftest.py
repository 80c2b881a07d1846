"""Registry tests run against SQLite and PostgreSQL through the shared ``store_harness``
(``mlsteward.testing.backends``): they name every model uniquely, so the PostgreSQL cases
share one migrated database."""
