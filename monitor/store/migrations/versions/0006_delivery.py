"""Delivery v2: per-subscription update policy and signing secret; what each alert knew, as typed columns.

Revision ID: 0006_delivery
Revises: 0004_subscription_seeds
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_delivery"
down_revision = "0004_subscription_seeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add subscriptions.updates and .secret_env, and the source count, countries and companies of each alert."""
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("updates", sa.String(20)))  # none | material | all; NULL: the channel's default
        batch.add_column(sa.Column("secret_env", sa.String(200)))  # json_webhook: env var holding the HMAC key
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("source_count", sa.Integer))
        batch.add_column(sa.Column("countries", sa.JSON))
        batch.add_column(sa.Column("companies", sa.JSON))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("alerts") as batch:
        for name in ("companies", "countries", "source_count"):
            batch.drop_column(name)
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("secret_env")
        batch.drop_column("updates")
