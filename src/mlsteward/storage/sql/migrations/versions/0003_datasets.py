"""Datasets: versions, parents, aliases, run inputs, label queues and labels.

Revision ID: 0003_datasets
Revises: 0002_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_datasets"
down_revision = "0002_registry"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("dataset_version_id", _ID, primary_key=True),
        sa.Column(
            "name", _NAME, sa.ForeignKey("datasets.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("blob_digest", sa.String(64), nullable=False),
        sa.Column("num_rows", sa.BigInteger, nullable=False),
        sa.Column("num_bytes", sa.BigInteger, nullable=False),
        sa.Column("schema", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lineage", sa.Text, nullable=False),
        sa.Column("profile_digest", sa.String(64), nullable=True),
        sa.Column("report_digest", sa.String(64), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_dataset_versions_name_version", "dataset_versions", ["name", "version"], unique=True
    )
    op.create_index(
        "ix_dataset_versions_name_content_hash", "dataset_versions", ["name", "content_hash"]
    )
    op.create_table(
        "dataset_version_parents",
        sa.Column(
            "dataset_version_id",
            _ID,
            sa.ForeignKey("dataset_versions.dataset_version_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("parent_id", _ID, nullable=False),
    )
    op.create_index(
        "ix_dataset_version_parents_parent_id", "dataset_version_parents", ["parent_id"]
    )
    op.create_table(
        "dataset_aliases",
        sa.Column(
            "name",
            _NAME,
            sa.ForeignKey("datasets.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alias", _NAME, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "dataset_inputs",
        sa.Column("run_id", _ID, primary_key=True),
        sa.Column("dataset_version_id", _ID, primary_key=True),
        sa.Column("context", _NAME, primary_key=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_dataset_inputs_dataset_version_id", "dataset_inputs", ["dataset_version_id"]
    )
    op.create_table(
        "label_queues",
        sa.Column("queue_id", _ID, primary_key=True),
        sa.Column("name", _NAME, nullable=False, unique=True),
        sa.Column("dataset_version_id", _ID, nullable=False),
        sa.Column("label_column", _NAME, nullable=False),
        sa.Column("choices", sa.Text, nullable=False),
        sa.Column("reviews", sa.Integer, nullable=False),
        sa.Column("num_items", sa.BigInteger, nullable=False),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "labels",
        sa.Column(
            "queue_id",
            _ID,
            sa.ForeignKey("label_queues.queue_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("item", sa.BigInteger, primary_key=True),
        sa.Column("annotator", _NAME, primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "labels",
        "label_queues",
        "dataset_inputs",
        "dataset_aliases",
        "dataset_version_parents",
        "dataset_versions",
        "datasets",
    ):
        op.drop_table(name)
