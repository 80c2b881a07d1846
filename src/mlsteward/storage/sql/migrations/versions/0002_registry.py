"""Model registry: models, versions, tags, aliases and their history, stages, approvals.

Revision ID: 0002_registry
Revises: 0001_tracking
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_registry"
down_revision = "0001_tracking"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_EVENT_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _model_fk(primary_key: bool = True) -> sa.Column[str]:
    return sa.Column(
        "name",
        _NAME,
        sa.ForeignKey("registered_models.name", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def _version_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("acceptance_thresholds", sa.Text, nullable=False),
        sa.Column("card", sa.Text, nullable=False),
    )
    op.create_table(
        "registered_model_tags",
        _model_fk(),
        sa.Column("key", _NAME, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "model_protected_aliases",
        _model_fk(),
        sa.Column("alias", _NAME, primary_key=True),
    )
    op.create_table(
        "model_versions",
        _model_fk(),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("git_commit", sa.String(64), nullable=True),
        sa.Column("environment_digest", sa.String(64), nullable=True),
        sa.Column("dataset_version_ids", sa.Text, nullable=False),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("key", _NAME, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _version_fk(),
    )
    op.create_table(
        "model_version_evaluations",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("key", _NAME, primary_key=True),
        sa.Column("value", sa.Float(precision=53), nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        _version_fk(),
    )
    op.create_table(
        "model_aliases",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("alias", _NAME, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        _version_fk(),
    )
    op.create_table(
        "model_alias_events",
        sa.Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
        _model_fk(primary_key=False),
        sa.Column("alias", _NAME, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=True),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_model_alias_events_name_alias", "model_alias_events", ["name", "alias"])
    op.create_table(
        "model_stage_events",
        sa.Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_stage", sa.String(16), nullable=False),
        sa.Column("to_stage", sa.String(16), nullable=False),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        _version_fk(),
    )
    op.create_table(
        "model_approvals",
        sa.Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        _version_fk(),
    )
    op.create_index("ix_model_stage_events_name_version", "model_stage_events", ["name", "version"])
    op.create_index("ix_model_approvals_name_version", "model_approvals", ["name", "version"])


def downgrade() -> None:
    for name in (
        "model_approvals",
        "model_stage_events",
        "model_alias_events",
        "model_aliases",
        "model_version_evaluations",
        "model_version_tags",
        "model_versions",
        "model_protected_aliases",
        "registered_model_tags",
        "registered_models",
    ):
        op.drop_table(name)
