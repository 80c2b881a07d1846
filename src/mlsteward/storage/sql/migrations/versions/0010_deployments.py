"""Deployments: the records the control plane serves from, and their append-only history.

Revision ID: 0010_deployments
Revises: 0009_identity_audit
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_deployments"
down_revision = "0009_identity_audit"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_DEPLOYMENT = sa.String(64)
_AUTO_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("name", _DEPLOYMENT, primary_key=True),
        sa.Column("model_uri", sa.Text, nullable=False),
        sa.Column("runtime", sa.String(16), nullable=False),
        sa.Column("replicas", sa.Integer, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_by", _NAME, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "deployment_events",
        sa.Column("seq", _AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("deployment", _DEPLOYMENT, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("model_version", sa.Integer, nullable=True),
        sa.Column("warnings", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_deployment_events_deployment_revision",
        "deployment_events",
        ["deployment", "revision"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("deployment_events")
    op.drop_table("deployments")
