"""Monitors may learn thresholds; reference profiles may be tied to a dataset version.

Revision ID: 0006_learned_thresholds
Revises: 0005_monitor_performance
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_learned_thresholds"
down_revision = "0005_monitor_performance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A NOT NULL column with a server default fills existing monitors with false in place
    # (SQLite and PostgreSQL alike); batch mode copies the table only where it must.
    with op.batch_alter_table("monitors") as batch:
        batch.add_column(
            sa.Column("learn_thresholds", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("monitoring_profiles") as batch:
        batch.add_column(sa.Column("dataset_name", sa.String(250), nullable=True))
        batch.add_column(sa.Column("dataset_version", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monitoring_profiles") as batch:
        batch.drop_column("dataset_version")
        batch.drop_column("dataset_name")
    with op.batch_alter_table("monitors") as batch:
        batch.drop_column("learn_thresholds")
