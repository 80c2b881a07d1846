"""Monitoring: reference profiles, monitors, monitor runs, alerts and the event log.

Revision ID: 0004_monitoring
Revises: 0003_datasets
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_monitoring"
down_revision = "0003_datasets"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "monitoring_profiles",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("blob_digest", sa.String(64), nullable=False),
        sa.Column("n_rows", sa.BigInteger, nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("run_id", _ID, nullable=True),
        sa.Column("model_name", _NAME, nullable=True),
        sa.Column("model_version", sa.Integer, nullable=True),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "monitors",
        sa.Column("name", _NAME, primary_key=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("interval_s", sa.BigInteger, nullable=False),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_run_time", sa.BigInteger, nullable=True),
        sa.Column("next_run_time", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_monitors_next_run_time", "monitors", ["next_run_time"])
    op.create_table(
        "monitor_runs",
        sa.Column("run_id", _ID, primary_key=True),
        sa.Column(
            "monitor", _NAME, sa.ForeignKey("monitors.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("drifted", sa.Boolean, nullable=False),
        sa.Column("n_rows", sa.BigInteger, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("report_digest", sa.String(64), nullable=True),
        sa.Column("json_digest", sa.String(64), nullable=True),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_monitor_runs_monitor_start_time", "monitor_runs", ["monitor", "start_time"])
    op.create_table(
        "monitor_alerts",
        sa.Column("alert_id", _ID, primary_key=True),
        sa.Column(
            "monitor", _NAME, sa.ForeignKey("monitors.name", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("check_name", sa.String(64), nullable=False),
        sa.Column("column_name", _NAME, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("run_id", _ID, nullable=True),
        sa.Column("resolved_time", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_monitor_alerts_monitor_status", "monitor_alerts", ["monitor", "status"])
    op.create_table(
        "monitoring_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("monitor", _NAME, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("monitoring_events")
    op.drop_index("ix_monitor_alerts_monitor_status", table_name="monitor_alerts")
    op.drop_table("monitor_alerts")
    op.drop_index("ix_monitor_runs_monitor_start_time", table_name="monitor_runs")
    op.drop_table("monitor_runs")
    op.drop_index("ix_monitors_next_run_time", table_name="monitors")
    op.drop_table("monitors")
    op.drop_table("monitoring_profiles")
