"""The workspace: incident review state, reviews, accounts, API tokens, named watchlists, source changes,
app secrets, paused subscriptions.

Revision ID: 0003_workspace
Revises: 0002_reliability
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_workspace"
down_revision = "0002_reliability"
branch_labels = None
depends_on = None


def when(name: str, nullable: bool = True) -> sa.Column:
    """Return a timezone-aware datetime column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def json(name: str) -> sa.Column:
    """Return a required JSON column."""
    return sa.Column(name, sa.JSON(), nullable=False)


def upgrade() -> None:
    """Add the review state and its indexes to incidents, and the workspace's tables."""
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("review", sa.String(20), nullable=False, server_default="new"))
    op.execute("UPDATE incidents SET review = 'dismissed' WHERE status = 'dismissed'")
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.create_index("ix_incidents_last_seen_id", "incidents", ["last_seen", "id"])
    op.create_index("ix_incidents_review_last_seen", "incidents", ["review", "last_seen"])
    op.create_index("ix_incidents_severity_last_seen", "incidents", ["severity", "last_seen"])
    create_accounts()
    create_reviews()
    op.create_table(
        "named_watchlists",
        sa.Column("name", sa.String(200), nullable=False),
        json("companies"),
        sa.Column("created_by", sa.String(320), nullable=False),
        when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_named_watchlists"),
    )
    op.create_table(
        "source_changes",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.Column("changed_by", sa.String(320), nullable=False),
        when("changed_at", nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_source_changes"),
    )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_app_secrets"),
    )


def create_accounts() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        when("created_at", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])


def create_reviews() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(320), nullable=False),
        when("created_at", nullable=False),
        json("labels"),
        json("companies"),
        sa.Column("note", sa.Text(), nullable=False),
        json("before_labels"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_reviews_incident_id_incidents", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_incident_id", "reviews", ["incident_id"])
    op.create_index("ix_reviews_created_at", "reviews", ["created_at"])


def downgrade() -> None:
    """Drop the workspace's tables and the incidents' review state."""
    for table in ("app_secrets", "source_changes", "named_watchlists", "reviews", "api_tokens", "users"):
        op.drop_table(table)
    for index in ("ix_incidents_severity_last_seen", "ix_incidents_review_last_seen", "ix_incidents_last_seen_id"):
        op.drop_index(index, table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("review")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("paused")
