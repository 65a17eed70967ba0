"""Bounded storage: indices for the weekly digest's alerts and for retention (items without an incident).

The incident list's (last_seen, id) index came with 0003_workspace.

Revision ID: 0005_scaleout
Revises: 0004_subscription_seeds (re-chain after 0004_incident_vector when the classifier branch merges)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_scaleout"
down_revision = "0004_subscription_seeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two indices."""
    op.create_index("ix_alerts_route_created_at", "alerts", ["route", "created_at"])
    unlinked = sa.text("incident_id IS NULL")
    op.create_index("ix_items_unlinked_fetched_at", "items", ["fetched_at"],
                    sqlite_where=unlinked, postgresql_where=unlinked)


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_items_unlinked_fetched_at", table_name="items")
    op.drop_index("ix_alerts_route_created_at", table_name="alerts")
