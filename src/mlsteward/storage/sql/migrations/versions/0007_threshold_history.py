"""Registry: the history of every change to a model's acceptance thresholds.

Revision ID: 0007_threshold_history
Revises: 0006_learned_thresholds
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_threshold_history"
down_revision = "0006_learned_thresholds"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_EVENT_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    # A new table only: models written before keep their thresholds, with no history yet.
    op.create_table(
        "model_threshold_events",
        sa.Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "name",
            _NAME,
            sa.ForeignKey("registered_models.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_thresholds", sa.Text, nullable=False),
        sa.Column("to_thresholds", sa.Text, nullable=False),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_model_threshold_events_name", "model_threshold_events", ["name"])


def downgrade() -> None:
    op.drop_index("ix_model_threshold_events_name", table_name="model_threshold_events")
    op.drop_table("model_threshold_events")
