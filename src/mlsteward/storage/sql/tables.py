"""SQLAlchemy table definitions. Migrations in ``migrations/versions`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

KEY_LENGTH = 250

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", String(32), primary_key=True),
    Column("name", String(KEY_LENGTH), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        String(32),
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column(
        "experiment_id",
        String(32),
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("run_name", String(KEY_LENGTH), nullable=False),
    Column("user_id", String(KEY_LENGTH), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(16), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Column("parent_run_id", String(32), nullable=True),
    Column("deleted_time", BigInteger, nullable=True),
    Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    Index("ix_runs_parent", "parent_run_id"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_params_key_value", "key", "value"),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
)

# SQLite stores NaN as NULL, so NaN is a flag and ``value`` holds 0 for it (PostgreSQL would
# keep NaN, but one encoding for both keeps the conformance suite honest).
metrics = Table(
    "metrics",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    # Covering index: a metric history is read from the index alone.
    Index("ix_metrics_run_key_step", "run_id", "key", "step", "timestamp", "value", "is_nan"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_time", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("run_id", String(32), nullable=False),
    Column("created_time", BigInteger, nullable=False),
)
