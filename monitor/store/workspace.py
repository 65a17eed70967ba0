"""The workspace's queries: the filtered incident list, reviews, accounts, tokens, watchlists, secrets.

A mixin of `Store` (monitor/store/repo.py), kept apart so each file stays small; the only SQL of the web app.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, cast, func, or_, select, update

from monitor.store import tables as t
from monitor.types import (
    ApiToken,
    Incident,
    IncidentQuery,
    Item,
    NamedWatchlist,
    Review,
    SourceChange,
    User,
)


def _json_contains(column: Any, value: str) -> Any:
    """Return the condition that a JSON list column holds `value` (portable: a match on its JSON text)."""
    needle = json.dumps(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, Text).like(f"%{needle}%", escape="\\")


def _like_any(columns: Sequence[Any], word: str) -> Any:
    """Return the condition that one of the columns holds `word`, ignoring case."""
    pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(func.lower(cast(c, Text)).like(pattern, escape="\\") for c in columns))


def incident_conditions(query: IncidentQuery) -> list[Any]:
    """Return the WHERE conditions of an incident query."""
    c = t.incidents.c
    where: list[Any] = []
    if query.labels:
        where.append(or_(*(_json_contains(c.labels, label) for label in query.labels)))
    if query.companies:
        where.append(or_(*(cond for name in query.companies
                           for cond in (_json_contains(c.companies, name), _json_contains(c.inferred_companies, name)))))
    if query.countries:
        where.append(or_(*(_json_contains(c.countries, cc.upper()) for cc in query.countries)))
    if query.min_severity is not None:
        where.append(c.severity >= int(query.min_severity))
    if query.review:
        where.append(c.review == query.review)
    if query.since is not None:
        where.append(c.last_seen >= query.since)
    if query.until is not None:
        where.append(c.first_seen < query.until)
    for word in query.text.split()[:8]:
        where.append(_like_any((c.title, c.evidence, c.companies), word))
    if query.after is not None:
        last_seen, last_id = query.after
        where.append(or_(c.last_seen < last_seen, and_(c.last_seen == last_seen, c.id < last_id)))
    return where


class WorkspaceQueries:
    """Repository methods of the workspace; mixed into Store, which provides `_tx` and `_insert`."""

    _tx: Any
    _insert: Any
    _incidents: Any

    # ------------------------------------------------------------------ incidents

    def query_incidents(self, query: IncidentQuery) -> list[Incident]:
        """Return one page of incidents matching the query, most recently seen first."""
        c = t.incidents.c
        stmt = select(t.incidents).where(*incident_conditions(query))
        return self._incidents(stmt.order_by(c.last_seen.desc(), c.id.desc()).limit(query.limit))

    def add_incidents(self, incidents: Sequence[Incident]) -> None:
        """Insert many new incidents in one transaction (imports and benchmarks)."""
        rows = [t.incident_row(i) for i in incidents]
        with self._tx() as conn:
            if rows:
                conn.execute(t.incidents.insert(), rows)

    def count_incidents_by(self, company_or_country: str, kind: str, since: datetime) -> list[tuple[datetime, tuple[str, ...]]]:
        """Return (first_seen, labels) of the incidents of a company or country since `since`."""
        c = t.incidents.c
        if kind == "company":
            cond = or_(_json_contains(c.companies, company_or_country),
                       _json_contains(c.inferred_companies, company_or_country))
        else:
            cond = _json_contains(c.countries, company_or_country.upper())
        stmt = select(c.first_seen, c.labels).where(cond, c.first_seen >= since).order_by(c.first_seen)
        with self._tx() as conn:
            return [(first, tuple(labels)) for first, labels in conn.execute(stmt)]

    def apply_review(self, incident: Incident, review: Review) -> Review:
        """Store a review and the incident as it now stands, in one transaction."""
        with self._tx() as conn:
            conn.execute(update(t.incidents).where(t.incidents.c.id == incident.id).values(**t.incident_row(incident)))
            new_id = conn.execute(t.reviews.insert().values(**t.review_row(review)).returning(t.reviews.c.id)).scalar_one()
        return Review(**{**review.__dict__, "id": new_id})

    def reviews_for_incident(self, incident_id: int) -> list[Review]:
        """Return an incident's reviews, oldest first."""
        stmt = select(t.reviews).where(t.reviews.c.incident_id == incident_id).order_by(t.reviews.c.id)
        with self._tx() as conn:
            return [t.to_review(row) for row in conn.execute(stmt)]

    def reviews_since(self, since: datetime) -> list[Review]:
        """Return every review made at or after `since`, oldest first."""
        stmt = select(t.reviews).where(t.reviews.c.created_at >= since).order_by(t.reviews.c.id)
        with self._tx() as conn:
            return [t.to_review(row) for row in conn.execute(stmt)]

    def reviewed_items(self) -> list[tuple[Incident, Item]]:
        """Return every item of a reviewed incident with its incident, by item id."""
        reviewed = {i.id: i for i in self._incidents(select(t.incidents).where(t.incidents.c.review != "new"))}
        if not reviewed:
            return []
        stmt = select(t.items).where(t.items.c.incident_id.in_(list(reviewed))).order_by(t.items.c.id)
        with self._tx() as conn:
            items = [t.to_item(row) for row in conn.execute(stmt)]
        return [(reviewed[item.incident_id], item) for item in items if item.incident_id is not None]

    def items_for_incidents(self, incident_ids: Sequence[int]) -> dict[int, list[Item]]:
        """Return the items reporting each incident, oldest first, in one query."""
        if not incident_ids:
            return {}
        stmt = select(t.items).where(t.items.c.incident_id.in_(list(incident_ids))).order_by(t.items.c.id)
        out: dict[int, list[Item]] = {i: [] for i in incident_ids}
        with self._tx() as conn:
            for row in conn.execute(stmt):
                item = t.to_item(row)
                out[item.incident_id].append(item)  # type: ignore[index]
        return out

    def alerts_with_deliveries(self, incident_id: int) -> list[tuple[Any, list[Any]]]:
        """Return an incident's alerts, each with its deliveries (where, when, sent or failed)."""
        alerts = self.alerts_for_incident(incident_id)  # type: ignore[attr-defined]
        return [(a, self.deliveries_for_alert(a.id)) for a in alerts]  # type: ignore[attr-defined]

    def items_per_day(self, since: datetime) -> dict[str, dict[str, int]]:
        """Return {source: {YYYY-MM-DD: items fetched}} since `since`."""
        day = func.date(t.items.c.fetched_at)
        stmt = (select(t.items.c.source, day, func.count()).where(t.items.c.fetched_at >= since)
                .group_by(t.items.c.source, day))
        out: dict[str, dict[str, int]] = {}
        with self._tx() as conn:
            for source, when, n in conn.execute(stmt):
                out.setdefault(source, {})[str(when)[:10]] = int(n)
        return out

    def sources_mentioning(self, company: str, limit: int = 20) -> list[tuple[str, int]]:
        """Return the sources whose items report incidents of a company, most items first."""
        i = t.incidents.c
        cond = or_(_json_contains(i.companies, company), _json_contains(i.inferred_companies, company))
        stmt = (select(t.items.c.source, func.count()).select_from(t.items.join(t.incidents, t.items.c.incident_id == i.id))
                .where(cond).group_by(t.items.c.source).order_by(func.count().desc()).limit(limit))
        with self._tx() as conn:
            return [(source, int(n)) for source, n in conn.execute(stmt)]

    # ------------------------------------------------------------------ accounts and tokens

    def add_user(self, email: str, role: str, password_hash: str, at: datetime) -> User:
        """Create an account, or replace the role and password of the one with this email."""
        row = {"email": email.strip().lower(), "role": role, "password_hash": password_hash, "created_at": at}
        stmt = self._insert(t.users).values(**row)
        stmt = stmt.on_conflict_do_update(index_elements=["email"], set_={"role": role, "password_hash": password_hash})
        with self._tx() as conn:
            conn.execute(stmt)
        user = self.get_user(email)
        assert user is not None
        return user

    def get_user(self, email: str) -> User | None:
        """Return the account of an email address, or None."""
        stmt = select(t.users).where(t.users.c.email == email.strip().lower())
        with self._tx() as conn:
            row = conn.execute(stmt).first()
        return t.to_user(row) if row else None

    def get_user_by_id(self, user_id: int) -> User | None:
        """Return one account, or None."""
        with self._tx() as conn:
            row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return t.to_user(row) if row else None

    def list_users(self) -> list[User]:
        """Return every account, by email."""
        with self._tx() as conn:
            return [t.to_user(row) for row in conn.execute(select(t.users).order_by(t.users.c.email))]

    def add_token(self, name: str, role: str, token_hash: str, at: datetime, user_id: int | None = None) -> ApiToken:
        """Store a token's hash; the token itself is never stored."""
        row = {"name": name, "role": role, "token_hash": token_hash, "created_at": at, "user_id": user_id}
        with self._tx() as conn:
            new_id = conn.execute(t.api_tokens.insert().values(**row).returning(t.api_tokens.c.id)).scalar_one()
        return ApiToken(new_id, name, role, at, user_id)

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        """Return the token with this hash, or None."""
        c = t.api_tokens.c
        stmt = select(c.id, c.name, c.role, c.created_at, c.user_id).where(c.token_hash == token_hash)
        with self._tx() as conn:
            row = conn.execute(stmt).first()
        return ApiToken(*row) if row else None

    def user_feed_token(self, user_id: int) -> ApiToken | None:
        """Return a user's feed token record (the newest), or None."""
        c = t.api_tokens.c
        stmt = (select(c.id, c.name, c.role, c.created_at, c.user_id)
                .where(c.user_id == user_id, c.name == "feed").order_by(c.id.desc()).limit(1))
        with self._tx() as conn:
            row = conn.execute(stmt).first()
        return ApiToken(*row) if row else None

    def delete_tokens(self, user_id: int, name: str) -> None:
        """Delete a user's tokens of one name (a new feed token replaces the old)."""
        c = t.api_tokens.c
        with self._tx() as conn:
            conn.execute(t.api_tokens.delete().where(c.user_id == user_id, c.name == name))

    def export_accounts(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Return every account and API token as rows (hashes only), for `import_accounts` into another store."""
        with self._tx() as conn:
            users = [dict(row._mapping) for row in conn.execute(select(t.users).order_by(t.users.c.id))]
            tokens = [dict(row._mapping) for row in conn.execute(select(t.api_tokens).order_by(t.api_tokens.c.id))]
        return users, tokens

    def import_accounts(self, users: Sequence[dict[str, Any]], tokens: Sequence[dict[str, Any]]) -> None:
        """Add accounts and tokens exported from another store, in one transaction: each token stays tied to its
        user (by a new id here); an email already here keeps its account here, and gains the exported tokens."""
        with self._tx() as conn:
            new_ids: dict[int, int] = {}
            for user in users:
                row = {k: v for k, v in user.items() if k != "id"}
                conn.execute(self._insert(t.users).values(**row).on_conflict_do_nothing(index_elements=["email"]))
                new_ids[user["id"]] = conn.execute(
                    select(t.users.c.id).where(t.users.c.email == row["email"])).scalar_one()
            for token in tokens:
                if token["user_id"] is not None and token["user_id"] not in new_ids:
                    continue  # its user was not exported with it
                row = {**{k: v for k, v in token.items() if k != "id"},
                       "user_id": None if token["user_id"] is None else new_ids[token["user_id"]]}
                conn.execute(self._insert(t.api_tokens).values(**row).on_conflict_do_nothing(index_elements=["token_hash"]))

    # ------------------------------------------------------------------ watchlists and secrets

    def save_watchlist(self, watchlist: NamedWatchlist) -> None:
        """Create or replace a named watchlist."""
        row = {"name": watchlist.name, "companies": list(watchlist.companies),
               "created_by": watchlist.created_by, "created_at": watchlist.created_at}
        stmt = self._insert(t.named_watchlists).values(**row)
        with self._tx() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"companies": row["companies"]}))

    def list_watchlists(self) -> list[NamedWatchlist]:
        """Return the watchlists made in the workspace, by name."""
        with self._tx() as conn:
            rows = conn.execute(select(t.named_watchlists).order_by(t.named_watchlists.c.name))
            return [t.to_watchlist(row) for row in rows]

    def delete_watchlist(self, name: str) -> bool:
        """Delete a named watchlist; False when there was none."""
        with self._tx() as conn:
            return conn.execute(t.named_watchlists.delete().where(t.named_watchlists.c.name == name)).rowcount > 0

    def save_source_change(self, change: SourceChange) -> None:
        """Record a source added, paused or resumed in the workspace (replacing the previous change)."""
        row = {"name": change.name, "paused": change.paused, "changed_by": change.changed_by,
               "changed_at": change.changed_at,
               "config": t.source_row(change.config)["config"] if change.config is not None else None}
        stmt = self._insert(t.source_changes).values(**row)
        changes = {k: v for k, v in row.items() if k != "name"}
        with self._tx() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=changes))

    def list_source_changes(self) -> list[SourceChange]:
        """Return the workspace's source changes, by name."""
        with self._tx() as conn:
            rows = conn.execute(select(t.source_changes).order_by(t.source_changes.c.name)).all()
        return [SourceChange(name=r.name, paused=bool(r.paused), config=t.to_source(r.config) if r.config else None,
                             changed_by=r.changed_by, changed_at=r.changed_at) for r in rows]

    def app_secret(self, name: str) -> str:
        """Return a named random secret shared by every process on this store, made on first use."""
        stmt = self._insert(t.app_secrets).values(name=name, value=secrets.token_urlsafe(32)).on_conflict_do_nothing()
        with self._tx() as conn:
            conn.execute(stmt)
            return conn.execute(select(t.app_secrets.c.value).where(t.app_secrets.c.name == name)).scalar_one()
