"""Identity and audit: users, API tokens, grants, failed sign-ins, and the hash-chained
audit log with its head and signed checkpoints.

Revision ID: 0009_identity_audit
Revises: 0008_evaluation_history
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_identity_audit"
down_revision = "0008_evaluation_history"
branch_labels = None
depends_on = None

_NAME = sa.String(250)
_ID = sa.String(32)
_AUTO_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", _ID, primary_key=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("name_key", _NAME, nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("oidc_issuer", sa.String(512), nullable=True),
        sa.Column("oidc_subject", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_users_oidc", "users", ["oidc_issuer", "oidc_subject"], unique=True)
    op.create_table(
        "api_tokens",
        sa.Column("token_id", _ID, primary_key=True),
        sa.Column(
            "user_id", _ID, sa.ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("last_used_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "grants",
        sa.Column("grant_id", _ID, primary_key=True),
        sa.Column("principal", _NAME, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("resource_kind", sa.String(32), nullable=False),
        sa.Column("resource_name", _NAME, nullable=False),
        sa.Column("created_by", _NAME, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_grants_unique",
        "grants",
        ["principal", "role", "resource_kind", "resource_name"],
        unique=True,
    )
    op.create_table(
        "login_failures",
        sa.Column("id", _AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("actor", _NAME, nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("resource_kind", sa.String(32), nullable=False),
        sa.Column("resource_name", sa.Text, nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("change_sha256", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_records_actor", "audit_records", ["actor"])
    op.create_index(
        "ix_audit_records_resource", "audit_records", ["resource_kind", "resource_name"]
    )
    op.create_index("ix_audit_records_time_ms", "audit_records", ["time_ms"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("pruned_through", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(
        sa.table(
            "audit_head",
            sa.column("id", sa.Integer),
            sa.column("seq", sa.BigInteger),
            sa.column("hash", sa.String(64)),
            sa.column("pruned_through", sa.BigInteger),
        ),
        [{"id": 1, "seq": 0, "hash": "0" * 64, "pruned_through": 0}],
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_checkpoints",
        "audit_head",
        "audit_records",
        "login_failures",
        "grants",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
