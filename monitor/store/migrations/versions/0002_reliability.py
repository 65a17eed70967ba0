"""Placeholder for the reliability migration landing on another branch; replaced at merge.

Revision ID: 0002_reliability
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "0002_reliability"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing here yet: the reliability branch brings the real schema change."""


def downgrade() -> None:
    """Nothing to undo."""
