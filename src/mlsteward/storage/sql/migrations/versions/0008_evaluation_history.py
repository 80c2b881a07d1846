"""Registry: the history of every change to a version's evaluation, and the evaluation each
approval decision was given on.

Decisions recorded before this revision are taken as given on the evaluation their version
has at the upgrade (nothing older was kept); any later change of it makes them stale.

Revision ID: 0008_evaluation_history
Revises: 0007_threshold_history
"""

import math
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from mlsteward.domain.registry_evaluation import evaluation_digest

revision = "0008_evaluation_history"
down_revision = "0007_threshold_history"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_EVENT_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_DIGEST = sa.String(64)

_approvals = sa.table(
    "model_approvals",
    sa.column("name", _NAME),
    sa.column("version", sa.Integer),
    sa.column("evaluation_digest", _DIGEST),
)
_evaluations = sa.table(
    "model_version_evaluations",
    sa.column("name", _NAME),
    sa.column("version", sa.Integer),
    sa.column("key", _NAME),
    sa.column("value", sa.Float),
    sa.column("is_nan", sa.Boolean),
)


def _fill_approval_digests() -> None:
    """Each existing decision gets the digest of its version's evaluation as it is now."""
    conn = op.get_bind()
    reviewed = conn.execute(sa.select(_approvals.c.name, _approvals.c.version).distinct()).all()
    metrics: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for row in conn.execute(sa.select(_evaluations)):
        metrics[(row.name, row.version)][row.key] = math.nan if row.is_nan else row.value
    for name, version in reviewed:
        conn.execute(
            sa.update(_approvals)
            .where(_approvals.c.name == name, _approvals.c.version == version)
            .values(evaluation_digest=evaluation_digest(metrics[(name, version)]))
        )


def upgrade() -> None:
    op.add_column("model_approvals", sa.Column("evaluation_digest", _DIGEST, nullable=True))
    _fill_approval_digests()
    op.create_table(
        "model_evaluation_events",
        sa.Column("id", _EVENT_ID, primary_key=True, autoincrement=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_metrics", sa.Text, nullable=False),
        sa.Column("to_metrics", sa.Text, nullable=False),
        sa.Column("evaluation_digest", _DIGEST, nullable=False),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_model_evaluation_events_name_version", "model_evaluation_events", ["name", "version"]
    )


def downgrade() -> None:
    op.drop_index("ix_model_evaluation_events_name_version", table_name="model_evaluation_events")
    op.drop_table("model_evaluation_events")
    with op.batch_alter_table("model_approvals") as batch:
        batch.drop_column("evaluation_digest")
