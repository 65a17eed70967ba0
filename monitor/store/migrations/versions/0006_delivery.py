"""Delivery v2: update policies, signing secrets, what each alert knew, and digests through the outbox.

Revision ID: 0006_delivery
Revises: 0005_scaleout
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_delivery"
down_revision = "0005_scaleout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add subscriptions.updates and .secret_env, and the source count, countries and companies of each alert."""
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("updates", sa.String(20)))  # none | material | all; NULL: the channel's default
        batch.add_column(sa.Column("secret_env", sa.String(200)))  # json_webhook: env var holding the HMAC key
        batch.add_column(sa.Column("digest_every", sa.String(10)))  # week | day; NULL: week
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("source_count", sa.Integer))
        batch.add_column(sa.Column("countries", sa.JSON))
        batch.add_column(sa.Column("companies", sa.JSON))
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("week", sa.String(20), nullable=False),
        sa.Column("reader", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edition", sa.JSON, nullable=False),
        sa.Column("chart", sa.LargeBinary),
        sa.UniqueConstraint("week", "reader", name="uq_digests_week_reader"),
    )
    with op.batch_alter_table("deliveries") as batch:  # a digest delivery has no alert
        batch.alter_column("alert_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", name="fk_deliveries_digest_id",
                                                                          ondelete="CASCADE")))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("digest_id")
    op.execute("DELETE FROM deliveries WHERE alert_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("alert_id", existing_type=sa.Integer, nullable=False)
    op.drop_table("digests")
    with op.batch_alter_table("alerts") as batch:
        for name in ("companies", "countries", "source_count"):
            batch.drop_column(name)
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("digest_every")
        batch.drop_column("secret_env")
        batch.drop_column("updates")
