"""Reliability: items stay unprocessed until their incident and alerts commit; delivery intents and lease holders;
a source's parse warning.

Revision ID: 0002_reliability
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_reliability"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the processing mark, the delivery intent and lease holder, and the parse warning."""
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("processed_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_items_processed_at", ["processed_at"])
    # Items classified before this revision were processed the old way: do not raise their alerts again.
    op.execute(
        "UPDATE items SET processed_at = (SELECT c.classified_at FROM classifications c WHERE c.item_id = items.id) "
        "WHERE EXISTS (SELECT 1 FROM classifications c WHERE c.item_id = items.id)"
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(200)))
        batch.add_column(sa.Column("intent_key", sa.Text()))
        batch.add_column(sa.Column("intent_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("source_health") as batch:
        batch.add_column(sa.Column("last_warning", sa.Text()))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("source_health") as batch:
        batch.drop_column("last_warning")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("intent_at")
        batch.drop_column("intent_key")
        batch.drop_column("claimed_by")
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_processed_at")
        batch.drop_column("processed_at")
