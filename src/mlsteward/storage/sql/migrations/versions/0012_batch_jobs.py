"""Batch jobs: scheduled batch scoring jobs and their finished runs.

Revision ID: 0012_batch_jobs
Revises: 0011_deployment_replicas
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_batch_jobs"
down_revision = "0011_deployment_replicas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_jobs",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("model_uri", sa.Text, nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("interval_s", sa.BigInteger, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("next_run_time", sa.BigInteger, nullable=True),
        sa.Column("last_run_time", sa.BigInteger, nullable=True),
        sa.Column("lease_until", sa.BigInteger, nullable=True),
        sa.Column("created_by", sa.String(250), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_batch_jobs_next_run_time", "batch_jobs", ["next_run_time"])
    op.create_table(
        "batch_job_runs",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("job", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("finished_ms", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(250), nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("rows_per_s", sa.Float, nullable=False),
        sa.Column("chunks", sa.BigInteger, nullable=False),
        sa.Column("rejected", sa.BigInteger, nullable=False),
        sa.Column("output_version", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_index("ix_batch_job_runs_job_started_ms", "batch_job_runs", ["job", "started_ms"])


def downgrade() -> None:
    op.drop_table("batch_job_runs")
    op.drop_table("batch_jobs")
