"""Alembic environment: migrate the connection that `monitor.store.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from monitor.store.tables import metadata

target_metadata = metadata


def run_with(connection) -> None:
    """Run the pending migrations on one open connection."""
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    batch = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=batch)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Use the caller's connection, or open one from `sqlalchemy.url` for the alembic CLI."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as own:
        run_with(own)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_online()
