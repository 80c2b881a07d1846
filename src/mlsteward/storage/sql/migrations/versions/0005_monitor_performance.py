"""Monitors: the performance check's configuration (JSON text, NULL when not checked).

Revision ID: 0005_monitor_performance
Revises: 0004_monitoring
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_monitor_performance"
down_revision = "0004_monitoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a table in every way; a nullable ADD COLUMN is in place.
    with op.batch_alter_table("monitors") as batch:
        batch.add_column(sa.Column("performance", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monitors") as batch:
        batch.drop_column("performance")
