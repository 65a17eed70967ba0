"""Incidents keep the mean multilingual vector of their reports, so a later report of the same event
in other words or another language joins them.

Revision ID: 0007_incident_vector
Revises: 0006_delivery
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_incident_vector"
down_revision = "0006_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable `vector` column (a JSON list of floats) to incidents."""
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("vector", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the `vector` column."""
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("vector")
