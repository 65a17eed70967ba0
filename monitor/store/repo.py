"""The repository: every query of rights-monitor, each method one short transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, func, or_, select, true, update
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import StoreError
from monitor.store import tables as t
from monitor.store.migrate import open_engine
from monitor.store.workspace import WorkspaceQueries
from monitor.types import (
    Alert,
    Classification,
    ClassifyInput,
    Delivery,
    DeliveryPlan,
    DigestEdition,
    Incident,
    Item,
    NewItem,
    SourceConfig,
    SourceHealth,
    Subscription,
)

NewEntry = NewItem  # raw, canonical_url, content_hash, alertable, lang
DeliveryEntry = DeliveryPlan  # channel_kind, target, next_attempt_at (release_at), status
ITEMS_LOCK_KEY = 0x726D6974  # advisory lock shared by every rights-monitor process ("rmit")
FOLD_LOCK_KEY = 0x726D666C  # held while a batch of items is folded into incidents ("rmfl")
DELIVERY_STATUSES = ("pending", "held", "retrying", "failed", "sent")
INSERT_CHUNK = 200  # rows per INSERT: 16 columns each stays under SQLite's 32,766 bound parameters
DROPPED_PREFIX = "dropped:"  # last_error of a delivery that must never be requeued (its incident was dismissed)


class Store(WorkspaceQueries):
    """The database of rights-monitor; SQLite by default, PostgreSQL by URL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()  # the connection of this thread's open `transaction()`, if any

    @classmethod
    def open(cls, url: str) -> Store:
        """Open the store at `url`, migrating it to the newest schema; StoreError when unreachable."""
        return cls(open_engine(url))

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    @property
    def dialect(self) -> str:
        """Return the backend's name: sqlite or postgresql."""
        return self._engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every repository call of this thread inside the block one transaction: all or nothing.

            with store.transaction():
                store.save_classification(...); store.save_incident(...); store.mark_processed(...)

        A nested `transaction()` joins the outer one. On SQLite the block holds the write lock.
        """
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self._tx() as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """Run one transaction (or join this thread's open one), wrapping driver errors in StoreError."""
        joined = getattr(self._local, "conn", None)
        if joined is not None:
            yield joined
            return
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store: {exc.__class__.__name__}: {_first_line(exc)}") from exc

    def _insert(self, table: Table) -> Any:
        """Return the backend's INSERT, which knows ON CONFLICT."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    def _upsert(self, conn: Connection, table: Table, row: dict[str, Any], key: str) -> None:
        """Insert `row`, or update the row that has the same `key`."""
        conn.execute(self._upsert_statement(table, tuple(row), key), row)

    def _upsert_statement(self, table: Table, names: tuple[str, ...], key: str) -> Any:
        """Return (once per table and columns) the INSERT ... ON CONFLICT DO UPDATE taking its values as parameters."""
        cache = self.__dict__.setdefault("_upserts", {})
        if (table.name, names, key) not in cache:
            stmt = self._insert(table)
            changes = {name: stmt.excluded[name] for name in names if name != key}
            cache[table.name, names, key] = stmt.on_conflict_do_update(index_elements=[key], set_=changes)
        return cache[table.name, names, key]

    # ------------------------------------------------------------------ sources and health

    def sync_sources(self, configs: Sequence[SourceConfig]) -> None:
        """Insert or update one row per configured source, by name."""
        with self._tx() as conn:
            for config in configs:
                self._upsert(conn, t.sources, t.source_row(config), "name")

    def list_sources(self) -> list[SourceConfig]:
        """Return the stored source configurations, by name."""
        with self._tx() as conn:
            rows = conn.execute(select(t.sources.c.config).order_by(t.sources.c.name))
            return [t.to_source(config) for (config,) in rows]

    def get_health(self, source: str) -> SourceHealth:
        """Return a source's health record, or a fresh one when it was never polled."""
        with self._tx() as conn:
            row = conn.execute(select(t.source_health).where(t.source_health.c.source == source)).first()
        return t.to_health(row) if row else SourceHealth(source)

    def save_health(self, health: SourceHealth) -> None:
        """Store a source's health record, replacing the previous one."""
        with self._tx() as conn:
            self._upsert(conn, t.source_health, t.health_row(health), "source")

    def list_health(self) -> list[SourceHealth]:
        """Return every health record, by source name."""
        with self._tx() as conn:
            rows = conn.execute(select(t.source_health).order_by(t.source_health.c.source))
            return [t.to_health(row) for row in rows]

    # ------------------------------------------------------------------ items

    def add_items(self, source: str, entries: Sequence[NewEntry], fetched_at: datetime) -> list[Item]:
        """Store the entries never seen before (by guid, canonical URL or content hash); return them.

        Each entry is `(raw, canonical_url, content_hash, alertable, lang)`. An empty guid falls back
        to the canonical URL, then the hash. Unique indexes decide, so racing processes agree.
        """
        items = [_new_item(source, entry, t.to_utc(fetched_at)) for entry in entries]
        if not items:
            return []
        with self._tx() as conn:
            self._lock_items(conn)
            return [item for chunk in _chunks(items, INSERT_CHUNK) for item in self._insert_unseen(conn, chunk)]

    def _insert_unseen(self, conn: Connection, items: Sequence[Item]) -> list[Item]:
        """Insert items in one statement; return those no unique index had seen, with their ids, in order."""
        if self.dialect == "sqlite" and self.fast_sqlite_inserts:
            returned = self._insert_items_sqlite(conn, items)
        else:
            rows = [{name: value for name, value in vars(item).items() if name != "id"} for item in items]
            # One cached statement, executed for many rows: SQLAlchemy batches them into multi-row INSERTs.
            stmt = self._insert(t.items).on_conflict_do_nothing().returning(t.items.c.id, t.items.c.guid)
            returned = list(conn.execute(stmt, rows))
        # Two entries of one batch can share a guid, URL or hash: the first one listed wins, as one by one.
        ids = {guid: item_id for item_id, guid in returned}
        added, seen = [], set()
        for item in items:
            if item.guid in ids and item.guid not in seen:
                seen.add(item.guid)
                added.append(Item(**{**vars(item), "id": ids[item.guid]}))
        return added

    # Class-wide switch of the SQLite path below; tests turn it off to compare it with SQLAlchemy's own.
    fast_sqlite_inserts = True

    def _insert_items_sqlite(self, conn: Connection, items: Sequence[Item]) -> list[tuple[int, str]]:
        """SQLite: the same multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id, guid as SQLAlchemy's
        executemany builds, with each value converted by the column type's own bind processor, but built once
        per batch instead of row by row (SQLAlchemy's per-row work was two thirds of a stored item's CPU)."""
        sql, columns = self._items_insert_sql(conn, len(items))
        params: list[Any] = []
        for item in items:
            values = vars(item)
            params += [value if process is None or value is None else process(value)
                       for name, process in columns for value in (values[name],)]
        return [(item_id, guid) for item_id, guid in conn.exec_driver_sql(sql, tuple(params))]

    def _items_insert_sql(self, conn: Connection, rows: int) -> tuple[str, list[tuple[str, Any]]]:
        """The SQL of an INSERT of `rows` items (cached by row count) and each column with its bind processor."""
        cache = self.__dict__.setdefault("_items_sql", {})
        if "columns" not in cache:
            dialect = conn.dialect
            cache["columns"] = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect))
                                for c in t.items.columns if c.name != "id"]
        columns = cache["columns"]
        if rows not in cache:
            names = ", ".join(name for name, _ in columns)
            row = "(" + ", ".join("?" for _ in columns) + ")"
            cache[rows] = (f"INSERT INTO items ({names}) VALUES {', '.join([row] * rows)} "
                           "ON CONFLICT DO NOTHING RETURNING id, guid")
        return cache[rows], columns

    def _lock_items(self, conn: Connection) -> None:
        """Make concurrent add_items queue on PostgreSQL (SQLite's BEGIN IMMEDIATE already does)."""
        # Two batches sharing URLs in opposite orders would wait on each other's rows: a deadlock.
        if self.dialect == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ITEMS_LOCK_KEY})")

    def get_item(self, item_id: int) -> Item | None:
        """Return one item, or None."""
        with self._tx() as conn:
            row = conn.execute(select(t.items).where(t.items.c.id == item_id)).first()
        return t.to_item(row) if row else None

    def unprocessed_items(self, limit: int = 500, after_id: int = 0) -> list[Item]:
        """Return stored items (id above `after_id`) whose classification, incident and alerts never committed."""
        query = select(t.items).where(t.items.c.processed_at.is_(None), t.items.c.id > after_id)
        with self._tx() as conn:
            return [t.to_item(row) for row in conn.execute(query.order_by(t.items.c.id).limit(limit))]

    def unprocessed_inputs(self, limit: int = 500, after_id: int = 0) -> list[ClassifyInput]:
        """`unprocessed_items` as the classifier reads them (id, title, summary, URL, language): a lighter read."""
        i = t.items.c
        query = select(i.id, i.title, i.summary, i.url, i.lang).where(i.processed_at.is_(None), i.id > after_id)
        with self._tx() as conn:
            rows = conn.execute(query.order_by(i.id).limit(limit))
            return [ClassifyInput(id=str(item_id), title=title, summary=summary, url=url, lang=lang)
                    for item_id, title, summary, url, lang in rows]

    def claim_items(self, item_ids: Sequence[int]) -> list[int]:
        """Inside a `transaction()`: lock the still-unprocessed items among `item_ids` and return their ids.

        Folding is serialised across processes (an advisory lock on PostgreSQL, the write lock on SQLite),
        and rows another process holds are skipped (SKIP LOCKED), so each item is processed once.
        """
        if not item_ids:
            return []
        i = t.items.c
        query = select(i.id).where(i.id.in_(list(item_ids)), i.processed_at.is_(None)).order_by(i.id)
        with self._tx() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({FOLD_LOCK_KEY})")
                query = query.with_for_update(skip_locked=True)
            return [item_id for (item_id,) in conn.execute(query)]

    def mark_processed(self, item_ids: Sequence[int], at: datetime) -> None:
        """Record that the items' classification, incident and alerts are stored."""
        if item_ids:
            stmt = update(t.items).where(t.items.c.id.in_(list(item_ids))).values(processed_at=at)
            with self._tx() as conn:
                conn.execute(stmt)

    def save_classification(self, item_id: int, c: Classification, classifier: str, at: datetime) -> None:
        """Store (or replace) an item's classification."""
        row = {
            "item_id": item_id,
            "classifier": classifier,
            "classified_at": at,
            "result": t.classification_json(c),
        }
        with self._tx() as conn:
            self._upsert(conn, t.classifications, row, "item_id")

    def save_classifications(self, results: Sequence[tuple[int, Classification]], classifier: str,
                             at: datetime) -> None:
        """Store (or replace) many items' classifications in one statement."""
        if not results:
            return
        rows = [{"item_id": item_id, "classifier": classifier, "classified_at": at,
                 "result": t.classification_json(c)} for item_id, c in results]
        if self.dialect == "sqlite" and self.fast_sqlite_inserts:
            with self._tx() as conn:
                self._save_classifications_sqlite(conn, rows)
            return
        stmt = self._insert(t.classifications)
        stmt = stmt.on_conflict_do_update(index_elements=["item_id"], set_={
            "classifier": stmt.excluded.classifier, "classified_at": stmt.excluded.classified_at,
            "result": stmt.excluded.result})
        with self._tx() as conn:
            conn.execute(stmt, rows)

    def _save_classifications_sqlite(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """SQLite: `save_classifications`'s upsert as one DBAPI executemany, each value converted by its column
        type's own bind processor (the JSON text and the date exactly as SQLAlchemy writes them)."""
        dialect = conn.dialect
        columns = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in t.classifications.columns]
        names = [name for name, _ in columns]
        sql = (f"INSERT INTO classifications ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
               "ON CONFLICT (item_id) DO UPDATE SET "
               + ", ".join(f"{name} = excluded.{name}" for name in names if name != "item_id"))
        params = [tuple(row[name] if process is None or row[name] is None else process(row[name])
                        for name, process in columns) for row in rows]
        conn.exec_driver_sql(sql, params)

    def get_classification(self, item_id: int) -> Classification | None:
        """Return an item's classification, or None."""
        query = select(t.classifications.c.result).where(t.classifications.c.item_id == item_id)
        with self._tx() as conn:
            result = conn.execute(query).scalar_one_or_none()
        return t.to_classification(result) if result is not None else None

    def prune_items(self, before: datetime, chunk: int = 5000) -> int:
        """Delete items fetched before `before` that report no incident (their classifications go with them).

        Only processed items go: one waiting for classification is kept whatever its age. Deleted in chunks,
        each its own short transaction, so polls and folds are never held up for long. Returns how many.
        """
        i = t.items.c
        old = select(i.id).where(i.fetched_at < before, i.incident_id.is_(None), i.processed_at.is_not(None))
        removed = 0
        while True:
            with self._tx() as conn:
                ids = [item_id for (item_id,) in conn.execute(old.limit(chunk))]
                if not ids:
                    return removed
                conn.execute(t.classifications.delete().where(t.classifications.c.item_id.in_(ids)))
                removed += conn.execute(t.items.delete().where(i.id.in_(ids))).rowcount

    def count_items(self, since: datetime | None = None) -> int:
        """Count the items fetched since `since` (all when None)."""
        query = select(func.count()).select_from(t.items)
        if since is not None:
            query = query.where(t.items.c.fetched_at >= since)
        with self._tx() as conn:
            return int(conn.execute(query).scalar_one())

    def item_stats(self, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
        """Count items fetched in [start, end) by language ("und" when unknown) and by source."""
        window = and_(t.items.c.fetched_at >= start, t.items.c.fetched_at < end)
        with self._tx() as conn:
            by_lang = _counts(conn, t.items.c.lang, window)
            by_source = _counts(conn, t.items.c.source, window)
        return {"by_lang": {lang or t.UNKNOWN_LANG: n for lang, n in by_lang.items()}, "by_source": by_source}

    # ------------------------------------------------------------------ incidents

    def save_incident(self, incident: Incident) -> Incident:
        """Insert an incident whose id is 0 (returning it with its new id), else update it."""
        row = t.incident_row(incident)
        with self._tx() as conn:
            if incident.id == 0:
                new_id = conn.execute(
                    t.incidents.insert().values(**row).returning(t.incidents.c.id)
                ).scalar_one()
                return _with_id(incident, new_id)
            result = conn.execute(update(t.incidents).where(t.incidents.c.id == incident.id).values(**row))
        if result.rowcount == 0:
            raise StoreError(f"no incident {incident.id} to update")
        return incident

    def get_incident(self, incident_id: int) -> Incident | None:
        """Return one incident, or None."""
        with self._tx() as conn:
            row = conn.execute(select(t.incidents).where(t.incidents.c.id == incident_id)).first()
        return t.to_incident(row) if row else None

    def recent_incidents(self, since: datetime, status: str | None = "open") -> list[Incident]:
        """Return incidents with `status` (any status for None) last seen at or after `since`, oldest first."""
        query = select(t.incidents).where(t.incidents.c.last_seen >= since)
        if status is not None:
            query = query.where(t.incidents.c.status == status)
        return self._incidents(query.order_by(t.incidents.c.id))

    def list_incidents(
        self, status: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[Incident]:
        """Return the latest incidents, most recently seen first."""
        query = select(t.incidents)
        if status is not None:
            query = query.where(t.incidents.c.status == status)
        if since is not None:
            query = query.where(t.incidents.c.last_seen >= since)
        return self._incidents(
            query.order_by(t.incidents.c.last_seen.desc(), t.incidents.c.id.desc()).limit(limit)
        )

    def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        """Return incidents first seen in [start, end), oldest first."""
        window = and_(t.incidents.c.first_seen >= start, t.incidents.c.first_seen < end)
        return self._incidents(
            select(t.incidents).where(window).order_by(t.incidents.c.first_seen, t.incidents.c.id)
        )

    def _incidents(self, query: Any) -> list[Incident]:
        with self._tx() as conn:
            return [t.to_incident(row) for row in conn.execute(query)]

    def link_item(self, item_id: int, incident_id: int) -> None:
        """Record that an item reports an incident."""
        with self._tx() as conn:
            conn.execute(update(t.items).where(t.items.c.id == item_id).values(incident_id=incident_id))

    def incident_items(self, incident_id: int) -> list[Item]:
        """Return the items that report an incident, oldest first."""
        query = select(t.items).where(t.items.c.incident_id == incident_id).order_by(t.items.c.id)
        with self._tx() as conn:
            return [t.to_item(row) for row in conn.execute(query)]

    def set_incident_status(self, incident_id: int, status: str) -> bool:
        """Set an incident's status (open | dismissed); False when there is no such incident."""
        if status not in ("open", "dismissed"):
            raise ValueError(f"unknown incident status {status!r} (open, dismissed)")
        review = "dismissed" if status == "dismissed" else "new"
        stmt = update(t.incidents).where(t.incidents.c.id == incident_id).values(status=status, review=review)
        with self._tx() as conn:
            return conn.execute(stmt).rowcount > 0

    # ------------------------------------------------------------------ alerts and the outbox

    def add_alert(self, alert: Alert, deliveries: Sequence[DeliveryEntry], route: str = "instant") -> Alert:
        """Store an alert and its deliveries in one transaction; a repeated `new` alert returns the first."""
        stmt = self._insert(t.alerts).values(**t.alert_row(alert, route)).on_conflict_do_nothing()
        with self._tx() as conn:
            alert_id = conn.execute(stmt.returning(t.alerts.c.id)).scalar_one_or_none()
            if alert_id is None:  # the unique index on new alerts said: already there
                return t.to_alert(conn.execute(_first_new_alert(alert)).one())
            rows = [t.delivery_row(alert_id, entry, alert.created_at) for entry in deliveries]
            if rows:
                conn.execute(t.deliveries.insert(), rows)
        return _with_id(alert, alert_id)

    def add_digest(self, edition: DigestEdition, deliveries: Sequence[DeliveryPlan]) -> tuple[DigestEdition, bool]:
        """Store a reader's digest of a week with its deliveries in one transaction; (edition, created).

        A digest already queued for that week and reader is returned as it is, with no new deliveries.
        """
        stmt = self._insert(t.digests).values(**t.digest_row(edition)).on_conflict_do_nothing()
        with self._tx() as conn:
            digest_id = conn.execute(stmt.returning(t.digests.c.id)).scalar_one_or_none()
            if digest_id is None:
                query = select(t.digests).where(t.digests.c.week == edition.week, t.digests.c.reader == edition.reader)
                return t.to_digest(conn.execute(query).one()), False
            rows = [{**t.delivery_row(None, entry, edition.created_at), "digest_id": digest_id} for entry in deliveries]
            if rows:
                conn.execute(t.deliveries.insert(), rows)
        return replace(edition, id=digest_id), True

    def get_digest(self, digest_id: int) -> DigestEdition | None:
        """Return one queued digest, or None."""
        with self._tx() as conn:
            row = conn.execute(select(t.digests).where(t.digests.c.id == digest_id)).first()
        return t.to_digest(row) if row else None

    def alerts_for_incident(self, incident_id: int) -> list[Alert]:
        """Return every alert of an incident, oldest first."""
        return self._alerts(select(t.alerts).where(t.alerts.c.incident_id == incident_id))

    def get_alert(self, alert_id: int) -> Alert | None:
        """Return one alert, or None."""
        found = self._alerts(select(t.alerts).where(t.alerts.c.id == alert_id))
        return found[0] if found else None

    def digest_alerts(self, start: datetime, end: datetime) -> list[Alert]:
        """Return alerts routed to the digest and created in [start, end), oldest first."""
        window = and_(t.alerts.c.created_at >= start, t.alerts.c.created_at < end)
        return self._alerts(select(t.alerts).where(t.alerts.c.route == "digest", window))

    def _alerts(self, query: Any) -> list[Alert]:
        with self._tx() as conn:
            return [t.to_alert(row) for row in conn.execute(query.order_by(t.alerts.c.id))]

    def count_alerts_since(self, subscription: str, since: datetime, route: str = "instant") -> int:
        """Count a subscription's alerts on `route` created at or after `since` (for daily caps)."""
        query = select(func.count()).select_from(t.alerts)
        query = query.where(t.alerts.c.subscription == subscription, t.alerts.c.created_at >= since)
        with self._tx() as conn:
            return int(conn.execute(query.where(t.alerts.c.route == route)).scalar_one())

    def due_deliveries(
        self, now: datetime, include_backoff: bool = False, limit: int = 100
    ) -> list[Delivery]:
        """Return deliveries due at `now` and not claimed by a worker.

        `include_backoff` also returns pending ones waiting on a retry backoff; deliveries held for quiet
        hours wait for their release time in any case.
        """
        d = t.deliveries.c
        due = or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now)
        pending = and_(d.status == "pending", true() if include_backoff else due)
        query = select(t.deliveries).where(or_(pending, and_(d.status == "held", due)), _unclaimed(now))
        return self._deliveries(query.limit(limit))

    def deliveries_for_alert(self, alert_id: int) -> list[Delivery]:
        """Return the deliveries of an alert."""
        return self._deliveries(select(t.deliveries).where(t.deliveries.c.alert_id == alert_id))

    def _deliveries(self, query: Any) -> list[Delivery]:
        with self._tx() as conn:
            return [t.to_delivery(row) for row in conn.execute(query.order_by(t.deliveries.c.id))]

    def claim_delivery(
        self, delivery_id: int, now: datetime, lease_s: float = 300, holder: str | None = None
    ) -> bool:
        """Lease a pending delivery to this worker for `lease_s`; False when another holds it or it is done."""
        d = t.deliveries.c
        stmt = update(t.deliveries).where(d.id == delivery_id, d.status.in_(("pending", "held")), _unclaimed(now))
        lease = {"claimed_until": now + timedelta(seconds=lease_s), "claimed_by": holder}
        with self._tx() as conn:
            return conn.execute(stmt.values(**lease)).rowcount == 1

    def release_orphaned_claims(self, now: datetime, holder_gone: Callable[[str], bool]) -> int:
        """Free the leases of holders that `holder_gone` says are dead (a crashed process); return how many."""
        d = t.deliveries.c
        held = select(d.claimed_by).where(d.claimed_until > now, d.claimed_by.is_not(None)).distinct()
        with self._tx() as conn:
            gone = [holder for (holder,) in conn.execute(held) if holder_gone(holder)]
            if not gone:
                return 0
            stmt = update(t.deliveries).where(d.claimed_by.in_(gone), d.claimed_until > now)
            return conn.execute(stmt.values(claimed_until=None, claimed_by=None)).rowcount

    def record_intent(self, delivery_id: int, key: str, at: datetime) -> str:
        """Note that a send is about to happen, keeping the first key ever chosen; return the key in force."""
        d = t.deliveries.c
        with self._tx() as conn:
            kept = conn.execute(select(d.intent_key).where(d.id == delivery_id)).scalar_one_or_none()
            conn.execute(update(t.deliveries).where(d.id == delivery_id).values(intent_key=kept or key, intent_at=at))
        return kept or key

    def requeue_failed(self, since: datetime | None = None) -> int:
        """Put permanently failed deliveries (created at or after `since`) back in the queue; return how many."""
        d = t.deliveries.c
        kept = or_(d.last_error.is_(None), ~d.last_error.startswith(DROPPED_PREFIX))
        stmt = update(t.deliveries).where(d.status == "failed", kept)
        if since is not None:
            stmt = stmt.where(d.created_at >= since)
        with self._tx() as conn:
            return conn.execute(stmt.values(status="pending", next_attempt_at=None, claimed_until=None)).rowcount

    def list_deliveries(self, status: str | None = None, limit: int = 200) -> list[Delivery]:
        """Return deliveries, newest first; `status` is pending, held, retrying (pending after a failed try),
        failed or sent."""
        d = t.deliveries.c
        query = select(t.deliveries)
        if status == "retrying":
            query = query.where(d.status == "pending", d.attempts > 0)
        elif status == "pending":
            query = query.where(d.status == "pending", d.attempts == 0)
        elif status is not None:
            query = query.where(d.status == status)
        with self._tx() as conn:
            return [t.to_delivery(row) for row in conn.execute(query.order_by(d.id.desc()).limit(limit))]

    def mark_delivered(self, delivery_id: int, at: datetime, external_ref: str | None) -> None:
        """Record a successful send (counted as an attempt)."""
        self._finish(delivery_id, status="sent", sent_at=at, external_ref=external_ref)

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt that is tried again at `next_attempt_at`."""
        self._finish(delivery_id, status="pending", last_error=error, next_attempt_at=next_attempt_at)

    def mark_failed(self, delivery_id: int, error: str) -> None:
        """Record a failed attempt that is never tried again."""
        self._finish(delivery_id, status="failed", last_error=error)

    def _finish(self, delivery_id: int, **values: Any) -> None:
        """Count an attempt, release the lease and set `values`."""
        d = t.deliveries.c
        stmt = update(t.deliveries).where(d.id == delivery_id)
        with self._tx() as conn:
            conn.execute(stmt.values(attempts=d.attempts + 1, claimed_until=None, claimed_by=None, **values))

    def thread_ref(self, incident_id: int, channel_kind: str, target: str) -> str | None:
        """Return the external ref (Slack ts) of the first sent `new` alert of an incident to a target."""
        d, a = t.deliveries.c, t.alerts.c
        query = (
            select(d.external_ref)
            .select_from(t.deliveries.join(t.alerts, a.id == d.alert_id))
            .where(
                a.incident_id == incident_id,
                a.kind == "new",
                d.channel_kind == channel_kind,
                d.target == target,
            )
            .where(d.status == "sent", d.external_ref.is_not(None))
            .order_by(d.sent_at, d.id)
            .limit(1)
        )
        with self._tx() as conn:
            return conn.execute(query).scalar_one_or_none()

    # ------------------------------------------------------------------ subscriptions

    def upsert_subscription(self, sub: Subscription) -> None:
        """Insert a subscription or replace the one of the same name (a person's choice: it revives a removed name)."""
        with self._tx() as conn:
            self._upsert(conn, t.subscriptions, t.subscription_row(sub), "name")
            conn.execute(t.removed_subscriptions.delete().where(t.removed_subscriptions.c.name == sub.name))

    def seed_subscription(self, sub: Subscription) -> str:
        """Create a subscription from a seed file only when it is new: "created", "exists" or "removed"."""
        with self._tx() as conn:
            if conn.execute(select(t.subscriptions.c.name).where(t.subscriptions.c.name == sub.name)).first():
                return "exists"
            removed = select(t.removed_subscriptions.c.name).where(t.removed_subscriptions.c.name == sub.name)
            if conn.execute(removed).first():
                return "removed"
            conn.execute(self._insert(t.subscriptions).values(**t.subscription_row(sub)).on_conflict_do_nothing())
            return "created"

    def removed_subscription_names(self) -> list[str]:
        """Return the names removed with `unsubscribe` (a seed file does not bring them back)."""
        with self._tx() as conn:
            return list(conn.execute(select(t.removed_subscriptions.c.name).order_by(t.removed_subscriptions.c.name)).scalars())

    def list_subscriptions(self) -> list[Subscription]:
        """Return every subscription, by name."""
        with self._tx() as conn:
            rows = conn.execute(select(t.subscriptions).order_by(t.subscriptions.c.name))
            return [t.to_subscription(row) for row in rows]

    def get_subscription(self, name: str) -> Subscription | None:
        """Return one subscription, or None."""
        with self._tx() as conn:
            row = conn.execute(select(t.subscriptions).where(t.subscriptions.c.name == name)).first()
        return t.to_subscription(row) if row else None

    def delete_subscription(self, name: str, at: datetime | None = None) -> bool:
        """Delete a subscription and remember its name, so a seed file never brings it back; False when none."""
        with self._tx() as conn:
            deleted = conn.execute(t.subscriptions.delete().where(t.subscriptions.c.name == name)).rowcount > 0
            if deleted:
                at = at or datetime.now(UTC)
                stmt = self._insert(t.removed_subscriptions).values(name=name, removed_at=at)
                conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"removed_at": at}))
            return deleted


def _new_item(source: str, entry: NewEntry, fetched_at: datetime) -> Item:
    """Return the Item an entry becomes, before it has an id."""
    raw, canonical_url, content_hash, alertable, lang = entry
    return Item(
        id=0,
        source=source,
        guid=raw.guid or canonical_url or content_hash,
        url=raw.url,
        canonical_url=canonical_url,
        title=raw.title,
        summary=raw.summary,
        published=t.to_utc(raw.published) if raw.published else None,
        fetched_at=fetched_at,
        content_hash=content_hash,
        lang=lang if lang is not None else raw.lang,
        alertable=alertable,
    )


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Yield `values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _first_line(exc: BaseException) -> str:
    """Return the first line of a driver error (the rest is SQL and parameters, which may be long)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _with_id(value: Any, new_id: int) -> Any:
    """Return a copy of a frozen dataclass with its database id."""
    return replace(value, id=new_id)


def _counts(conn: Connection, column: Any, where: Any) -> dict[Any, int]:
    """Return {value: rows} of one column under a condition."""
    query = select(column, func.count()).where(where).group_by(column)
    return {value: int(n) for value, n in conn.execute(query)}


def _unclaimed(now: datetime) -> Any:
    """Return the condition that no worker holds a delivery's lease at `now`."""
    claimed = t.deliveries.c.claimed_until
    return or_(claimed.is_(None), claimed <= now)


def _first_new_alert(alert: Alert) -> Any:
    """Return the query of the `new` alert already stored for the alert's incident and subscription."""
    a = t.alerts.c
    return select(t.alerts).where(
        a.incident_id == alert.incident_id, a.subscription == alert.subscription, a.kind == "new"
    )
