"""The initial schema: sources, health, items, classifications, incidents, alerts, deliveries, subscriptions.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def when(name: str, nullable: bool = True) -> sa.Column:
    """Return a timezone-aware datetime column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def json(name: str) -> sa.Column:
    """Return a required JSON column."""
    return sa.Column(name, sa.JSON(), nullable=False)


def partial(condition: str) -> dict:
    """Return the dialect keywords of a partial index on both backends."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    """Create every table of the store."""
    create_sources()
    create_incidents()
    create_items()
    create_alerts()
    create_subscriptions()


def create_sources() -> None:
    """Create the sources and their health records."""
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        json("config"),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("name", name="uq_sources_name"),
    )
    op.create_table(
        "source_health",
        sa.Column("source", sa.String(200), nullable=False),
        when("last_attempt"),
        when("last_success"),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_status", sa.Integer()),
        when("next_due"),
        when("first_polled"),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.PrimaryKeyConstraint("source", name="pk_source_health"),
    )


def create_incidents() -> None:
    """Create the incidents."""
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        json("labels"),
        json("companies"),
        json("inferred_companies"),
        json("countries"),
        when("first_seen", nullable=False),
        when("last_seen", nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        json("severity_reasons"),
        json("evidence"),
        json("scores"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("alertable", sa.Boolean(), nullable=False),
        json("sources"),
        json("urls"),
        sa.Column("lang", sa.String(20)),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_first_seen", "incidents", ["first_seen"])
    op.create_index("ix_incidents_last_seen", "incidents", ["last_seen"])


def create_items() -> None:
    """Create the items and their classifications."""
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        when("published"),
        when("fetched_at", nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("lang", sa.String(20)),
        sa.Column("alertable", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_items_incident_id_incidents", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("source", "guid", name="uq_items_source_guid"),
    )
    op.create_index("ix_items_fetched_at", "items", ["fetched_at"])
    op.create_index("ix_items_incident_id", "items", ["incident_id"])
    op.create_index(
        "uq_items_canonical_url", "items", ["canonical_url"], unique=True, **partial("canonical_url <> ''")
    )
    op.create_index(
        "uq_items_content_hash", "items", ["content_hash"], unique=True, **partial("content_hash <> ''")
    )
    op.create_table(
        "classifications",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("classifier", sa.String(100), nullable=False),
        when("classified_at", nullable=False),
        json("result"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_classifications_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name="pk_classifications"),
    )


def create_alerts() -> None:
    """Create the alerts and their outbox of deliveries."""
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("subscription", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("route", sa.String(20), server_default="instant", nullable=False),
        when("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_alerts_incident_id_incidents", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_incident_id", "alerts", ["incident_id"])
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_index(
        "uq_alerts_new", "alerts", ["incident_id", "subscription"], unique=True, **partial("kind = 'new'")
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel_kind", sa.String(50), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        when("next_attempt_at"),
        sa.Column("last_error", sa.Text()),
        sa.Column("external_ref", sa.Text()),
        when("created_at", nullable=False),
        when("sent_at"),
        when("claimed_until"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_deliveries_alert_id_alerts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_alert_id", "deliveries", ["alert_id"])
    op.create_index("ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"])


def create_subscriptions() -> None:
    """Create the subscriptions."""
    op.create_table(
        "subscriptions",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel_kind", sa.String(50), nullable=False),
        json("targets"),
        json("companies"),
        json("watchlists"),
        json("tickers"),
        json("labels"),
        json("countries"),
        sa.Column("min_severity", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("quiet_start", sa.String(5)),
        sa.Column("quiet_end", sa.String(5)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("daily_cap", sa.Integer()),
        sa.PrimaryKeyConstraint("name", name="pk_subscriptions"),
    )


def downgrade() -> None:
    """Drop every table of the store."""
    for table in ("subscriptions", "deliveries", "alerts", "classifications", "items", "incidents"):
        op.drop_table(table)
    op.drop_table("source_health")
    op.drop_table("sources")
