"""Replica reports: the latest status each data-plane replica sent about itself.

Revision ID: 0011_deployment_replicas
Revises: 0010_deployments
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_deployment_replicas"
down_revision = "0010_deployments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_replicas",
        sa.Column("deployment", sa.String(64), primary_key=True),
        sa.Column("replica", sa.String(128), primary_key=True),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("ready", sa.Boolean, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
    )
    op.create_index("ix_deployment_replicas_received_ms", "deployment_replicas", ["received_ms"])


def downgrade() -> None:
    op.drop_table("deployment_replicas")
