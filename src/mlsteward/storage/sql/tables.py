"""SQLAlchemy table definitions. Migrations in ``migrations/versions`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
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
# SQLite only autoincrements INTEGER PRIMARY KEY; elsewhere ids are 64-bit.
_AUTO_ID = BigInteger().with_variant(Integer, "sqlite")

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

# Metric points, packed: one row per (batch, key) with int64 steps and timestamps and
# float64 values as little-endian bytes (see metric_chunks.py for why).
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("n_points", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
    Column("metric_values", LargeBinary, nullable=False),
    Index("ix_metric_chunks_run_key", "run_id", "key", "id"),
)

# SQLite stores NaN as NULL, so for the latest value NaN is a flag and ``value`` holds 0.
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


# -- model registry (migration 0002_registry) ------------------------------------------------
# Models are keyed by name. ``latest_version`` is the per-model counter that version creation
# increments under the model row's lock, so numbers are consecutive with concurrent writers.
_EVENT_ID = BigInteger().with_variant(Integer, "sqlite")

registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("description", Text, nullable=True),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("latest_version", Integer, nullable=False),
    Column("acceptance_thresholds", Text, nullable=False),  # JSON list of {metric, op, value}
    Column("card", Text, nullable=False),  # JSON object: model-card fields people fill in
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("registered_models.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
)

model_protected_aliases = Table(
    "model_protected_aliases",
    metadata,
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("registered_models.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alias", String(KEY_LENGTH), primary_key=True),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("registered_models.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("status", String(32), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("description", Text, nullable=True),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("git_commit", String(64), nullable=True),
    Column("environment_digest", String(64), nullable=True),
    Column("dataset_version_ids", Text, nullable=False),  # JSON list of ids
    Index("ix_model_versions_run_id", "run_id"),
)


def _version_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        ondelete="CASCADE",
    )


model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Text, nullable=False),
    _version_fk(),
)

model_version_evaluations = Table(
    "model_version_evaluations",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("value", Float(precision=53), nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    _version_fk(),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("alias", String(KEY_LENGTH), primary_key=True),
    Column("version", Integer, nullable=False),
    _version_fk(),
)

model_alias_events = Table(
    "model_alias_events",
    metadata,
    Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("registered_models.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("alias", String(KEY_LENGTH), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_model_alias_events_name_alias", "name", "alias"),
)

model_stage_events = Table(
    "model_stage_events",
    metadata,
    Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
    Column("name", String(KEY_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_stage", String(16), nullable=False),
    Column("to_stage", String(16), nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("reason", Text, nullable=True),
    _version_fk(),
    Index("ix_model_stage_events_name_version", "name", "version"),
)

model_approvals = Table(
    "model_approvals",
    metadata,
    Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
    Column("name", String(KEY_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    # The digest of the version's evaluation when the decision was recorded (migration 0008,
    # which fills it for older decisions from the evaluation they stood on at the upgrade).
    Column("evaluation_digest", String(64), nullable=True),
    _version_fk(),
    Index("ix_model_approvals_name_version", "name", "version"),
)

# Every replacement of a model's acceptance thresholds (migration 0007): before and after as
# JSON lists of {metric, op, value}, with who, when and why.
model_threshold_events = Table(
    "model_threshold_events",
    metadata,
    Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("registered_models.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("from_thresholds", Text, nullable=False),
    Column("to_thresholds", Text, nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_model_threshold_events_name", "name"),
)

# Every change of a version's attached evaluation (migration 0008): the earlier and new values
# of the metrics that changed as JSON objects, the digest of the whole evaluation afterwards,
# who and when.
model_evaluation_events = Table(
    "model_evaluation_events",
    metadata,
    Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
    Column("name", String(KEY_LENGTH), nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_metrics", Text, nullable=False),
    Column("to_metrics", Text, nullable=False),
    Column("evaluation_digest", String(64), nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    _version_fk(),
    Index("ix_model_evaluation_events_name_version", "name", "version"),
)

# -- datasets (migration 0003) ----------------------------------------------------------------

datasets = Table(
    "datasets",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("latest_version", Integer, nullable=False),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("dataset_version_id", String(32), primary_key=True),
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("datasets.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(128), nullable=False),
    Column("blob_digest", String(64), nullable=False),
    Column("num_rows", BigInteger, nullable=False),
    Column("num_bytes", BigInteger, nullable=False),
    Column("schema", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("lineage", Text, nullable=False),
    Column("profile_digest", String(64), nullable=True),
    Column("report_digest", String(64), nullable=True),
    Column("description", Text, nullable=True),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Index("ix_dataset_versions_name_version", "name", "version", unique=True),
    Index("ix_dataset_versions_name_content_hash", "name", "content_hash"),
)

dataset_version_parents = Table(
    "dataset_version_parents",
    metadata,
    Column(
        "dataset_version_id",
        String(32),
        ForeignKey("dataset_versions.dataset_version_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("parent_id", String(32), nullable=False),
    Index("ix_dataset_version_parents_parent_id", "parent_id"),
)

dataset_aliases = Table(
    "dataset_aliases",
    metadata,
    Column(
        "name",
        String(KEY_LENGTH),
        ForeignKey("datasets.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("alias", String(KEY_LENGTH), primary_key=True),
    Column("version", Integer, nullable=False),
)

dataset_inputs = Table(
    "dataset_inputs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("dataset_version_id", String(32), primary_key=True),
    Column("context", String(KEY_LENGTH), primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_dataset_inputs_dataset_version_id", "dataset_version_id"),
)

label_queues = Table(
    "label_queues",
    metadata,
    Column("queue_id", String(32), primary_key=True),
    Column("name", String(KEY_LENGTH), nullable=False, unique=True),
    Column("dataset_version_id", String(32), nullable=False),
    Column("label_column", String(KEY_LENGTH), nullable=False),
    Column("choices", Text, nullable=False),
    Column("reviews", Integer, nullable=False),
    Column("num_items", BigInteger, nullable=False),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
)

labels = Table(
    "labels",
    metadata,
    Column(
        "queue_id",
        String(32),
        ForeignKey("label_queues.queue_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("item", BigInteger, primary_key=True),
    Column("annotator", String(KEY_LENGTH), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("value", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

# -- monitoring (migration 0004) --------------------------------------------------------------

monitoring_profiles = Table(
    "monitoring_profiles",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("blob_digest", String(64), nullable=False),
    Column("n_rows", BigInteger, nullable=False),
    Column("columns", Text, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("model_name", String(KEY_LENGTH), nullable=True),
    Column("model_version", Integer, nullable=True),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    # migration 0006: the dataset version the profile was built from or describes
    Column("dataset_name", String(KEY_LENGTH), nullable=True),
    Column("dataset_version", Integer, nullable=True),
)

monitors = Table(
    "monitors",
    metadata,
    Column("name", String(KEY_LENGTH), primary_key=True),
    Column("spec", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("interval_s", BigInteger, nullable=False),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_run_time", BigInteger, nullable=True),
    Column("next_run_time", BigInteger, nullable=True),
    # migration 0005: the performance check's configuration as JSON, NULL without one
    Column("performance", Text, nullable=True),
    # migration 0006: learn thresholds from the profile's per-chunk summaries
    Column("learn_thresholds", Boolean, nullable=False, server_default=false()),
    Index("ix_monitors_next_run_time", "next_run_time"),
)

monitor_runs = Table(
    "monitor_runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column(
        "monitor",
        String(KEY_LENGTH),
        ForeignKey("monitors.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", String(16), nullable=False),
    Column("drifted", Boolean, nullable=False),
    Column("n_rows", BigInteger, nullable=False),
    Column("message", Text, nullable=True),
    Column("summary", Text, nullable=False),
    Column("report_digest", String(64), nullable=True),
    Column("json_digest", String(64), nullable=True),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=False),
    Index("ix_monitor_runs_monitor_start_time", "monitor", "start_time"),
)

monitor_alerts = Table(
    "monitor_alerts",
    metadata,
    Column("alert_id", String(32), primary_key=True),
    Column(
        "monitor",
        String(KEY_LENGTH),
        ForeignKey("monitors.name", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("check_name", String(64), nullable=False),
    Column("column_name", String(KEY_LENGTH), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("resolved_time", BigInteger, nullable=True),
    Index("ix_monitor_alerts_monitor_status", "monitor", "status"),
)

monitoring_events = Table(
    "monitoring_events",
    metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("event_type", String(64), nullable=False),
    Column("monitor", String(KEY_LENGTH), nullable=False),
    Column("payload", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)

# -- identity ------------------------------------------------------------------------------
_ID = String(32)

users = Table(
    "users",
    metadata,
    Column("user_id", _ID, primary_key=True),
    Column("name", String(KEY_LENGTH), nullable=False),
    # The comparable form of the name (see services.people): unique, so Alice and alice
    # cannot both exist.
    Column("name_key", String(KEY_LENGTH), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("oidc_issuer", String(512), nullable=True),
    Column("oidc_subject", String(255), nullable=True),
    Column("email", String(320), nullable=True),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_users_oidc", "oidc_issuer", "oidc_subject", unique=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", _ID, primary_key=True),
    Column("user_id", _ID, ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(KEY_LENGTH), nullable=False),
    # SHA-256 of the secret (hex); the secret itself is shown once and never stored.
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column("read_only", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("last_used_at", BigInteger, nullable=True),
    Index("ix_api_tokens_user_id", "user_id"),
)

grants = Table(
    "grants",
    metadata,
    Column("grant_id", _ID, primary_key=True),
    Column("principal", String(KEY_LENGTH), nullable=False),
    Column("role", String(16), nullable=False),
    # Empty strings (not NULL) for a server-wide grant, so the unique constraint holds on
    # every database.
    Column("resource_kind", String(32), nullable=False),
    Column("resource_name", String(KEY_LENGTH), nullable=False),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_grants_unique", "principal", "role", "resource_kind", "resource_name", unique=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", _AUTO_ID, primary_key=True, autoincrement=True),
    Column("key", String(320), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

# -- audit log -----------------------------------------------------------------------------
audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("operation", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("resource_kind", String(32), nullable=False),
    Column("resource_name", Text, nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("change_sha256", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_records_actor", "actor"),
    Index("ix_audit_records_resource", "resource_kind", "resource_name"),
    Index("ix_audit_records_time_ms", "time_ms"),
)

# One row: the chain head. Appending updates it first, which takes the database's lock on
# it, so concurrent writers append one after the other.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("pruned_through", BigInteger, nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("head_hash", String(64), nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)

# -- deployments (migration 0010) -----------------------------------------------------------
deployments = Table(
    "deployments",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("model_uri", Text, nullable=False),
    Column("runtime", String(16), nullable=False),
    Column("replicas", Integer, nullable=False),
    # Batching and prediction-log settings as JSON: they grow without a migration each.
    Column("settings", Text, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_by", String(KEY_LENGTH), nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
)

# No foreign key: the history of a deployment outlives it.
deployment_events = Table(
    "deployment_events",
    metadata,
    Column("seq", _AUTO_ID, primary_key=True, autoincrement=True),
    Column("deployment", String(64), nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changes", Text, nullable=False),
    Column("model_version", Integer, nullable=True),
    Column("warnings", Text, nullable=False),
    Index("ix_deployment_events_deployment_revision", "deployment", "revision", unique=True),
)

# -- replica reports (migration 0011) ---------------------------------------------------------
# The latest report of each data-plane replica: a heartbeat overwritten in place, not history
# (no foreign key: a report may race its deployment's deletion, which removes the rows).
deployment_replicas = Table(
    "deployment_replicas",
    metadata,
    Column("deployment", String(64), primary_key=True),
    Column("replica", String(128), primary_key=True),
    Column("received_ms", BigInteger, nullable=False),
    Column("started_ms", BigInteger, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Column("ready", Boolean, nullable=False),
    # Poll interval, routes, counters, latencies and message as JSON: they grow without a
    # migration each.
    Column("status", Text, nullable=False),
    # Forgetting the silent ones on each write looks them up by time.
    Index("ix_deployment_replicas_received_ms", "received_ms"),
)

# -- batch jobs (migration 0012) ---------------------------------------------------------------
# A scheduled batch scoring job: its inputs, output and options as JSON (``spec``), its schedule
# in columns the scheduler queries, and the lease a claimant holds while it runs the job.
batch_jobs = Table(
    "batch_jobs",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("model_uri", Text, nullable=False),
    Column("spec", Text, nullable=False),
    Column("interval_s", BigInteger, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("next_run_time", BigInteger, nullable=True),
    Column("last_run_time", BigInteger, nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("created_by", String(KEY_LENGTH), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Index("ix_batch_jobs_next_run_time", "next_run_time"),
)

# A finished run (no foreign key: deleting a job deletes its runs in the same transaction).
batch_job_runs = Table(
    "batch_job_runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("job", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_ms", BigInteger, nullable=False),
    Column("finished_ms", BigInteger, nullable=False),
    Column("actor", String(KEY_LENGTH), nullable=False),
    Column("output", Text, nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("rows_per_s", Float, nullable=False),
    Column("chunks", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("output_version", Text, nullable=True),
    Column("error", Text, nullable=True),
    # The whole batch report as JSON ({} for a failed run).
    Column("report", Text, nullable=False),
    Index("ix_batch_job_runs_job_started_ms", "job", "started_ms"),
)
