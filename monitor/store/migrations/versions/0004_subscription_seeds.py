"""Subscriptions have one owner: a seed file creates only what does not exist, and a removed one stays removed.

Revision ID: 0004_subscription_seeds
Revises: 0003_workspace
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_subscription_seeds"
down_revision = "0003_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the names of removed subscriptions, which a seed file never brings back."""
    op.create_table(
        "removed_subscriptions",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("removed_subscriptions")
