"""The store: SQLAlchemy tables, the repository and Alembic migrations; the only place SQL lives.

    store = Store.open("sqlite:///var/monitor.db")  # or postgresql+psycopg://user@host/db
    new_items = store.add_items("amnesty", entries, fetched_at=clock.now())

`Store.open` migrates the database to the newest schema before it returns.
"""

from __future__ import annotations

from monitor.store.repo import DeliveryEntry, NewEntry, Store

__all__ = ["DeliveryEntry", "NewEntry", "Store"]
