"""The schema of the store and how each type of monitor/types.py lies in its rows.

The tables are mirrored by the migrations under migrations/versions/ (0001_initial, 0002_reliability,
0003_workspace for the workspace's accounts, reviews and watchlists, 0004_subscription_seeds, 0005_scaleout
for the digest's and retention's indices, 0006_delivery for update policies, signing secrets, what each alert
knew and digests in the outbox, 0007_incident_vector for the meaning vectors incident matching compares); a
test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from monitor.types import (
    Alert,
    Channel,
    Classification,
    Delivery,
    DigestEdition,
    DigestLine,
    Evidence,
    Incident,
    Item,
    NamedWatchlist,
    QuietHours,
    Review,
    Severity,
    SourceConfig,
    SourceHealth,
    Subscription,
    User,
)

# Stable constraint names, so migrations and both backends agree on them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and hand them back aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = to_utc(value)
        # SQLite compares datetimes as text: every stored value must be naive UTC to order right.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)


def to_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _partial(condition: str) -> dict[str, Any]:
    """Return the dialect keywords of a partial index on both backends."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(50), nullable=False),
    Column("url", Text, nullable=False),
    Column("category", String(50), nullable=False),
    Column("config", JSON, nullable=False),
)

source_health = Table(
    "source_health",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("last_attempt", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_status", Integer),
    Column("next_due", UTCDateTime),
    Column("first_polled", UTCDateTime),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_warning", Text),  # a feed salvaged despite a parse error says so here
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("companies", JSON, nullable=False),
    Column("inferred_companies", JSON, nullable=False),
    Column("countries", JSON, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False, index=True),
    Column("source_count", Integer, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("severity_reasons", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("alertable", Boolean, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("urls", JSON, nullable=False),
    Column("lang", String(20)),
    Column("review", String(20), nullable=False, server_default="new"),
    Column("vector", JSON),
    Index("ix_incidents_first_seen", "first_seen"),
    # The workspace's list pages newest first by (last_seen, id), filtered by review or severity.
    Index("ix_incidents_last_seen_id", "last_seen", "id"),
    Index("ix_incidents_review_last_seen", "review", "last_seen"),
    Index("ix_incidents_severity_last_seen", "severity", "last_seen"),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(200), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False, index=True),
    Column("content_hash", String(128), nullable=False),
    Column("lang", String(20)),
    Column("alertable", Boolean, nullable=False),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="SET NULL"), index=True),
    # Set in the transaction that saves the item's classification, incident and alerts: NULL means "to do".
    Column("processed_at", UTCDateTime, index=True),
    UniqueConstraint("source", "guid"),
    # Empty URLs and hashes say nothing about identity, so they never collide.
    Index("uq_items_canonical_url", "canonical_url", unique=True, **_partial("canonical_url <> ''")),
    Index("uq_items_content_hash", "content_hash", unique=True, **_partial("content_hash <> ''")),
    # Retention finds old items without an incident without reading the ones that have one (0005).
    Index("ix_items_unlinked_fetched_at", "fetched_at", **_partial("incident_id IS NULL")),
)

classifications = Table(
    "classifications",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("classifier", String(100), nullable=False),
    Column("classified_at", UTCDateTime, nullable=False),
    Column("result", JSON, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("subscription", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("why", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("route", String(20), nullable=False, server_default="instant"),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("source_count", Integer),  # 0006_delivery: what the incident was when the alert was decided
    Column("countries", JSON),
    Column("companies", JSON),
    # One `new` alert per incident and subscription, even when two workers race.
    Index("uq_alerts_new", "incident_id", "subscription", unique=True, **_partial("kind = 'new'")),
    Index("ix_alerts_route_created_at", "route", "created_at"),  # the weekly digest's alerts (0005)
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), index=True),  # None: a digest
    Column("channel_kind", String(50), nullable=False),
    Column("target", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("external_ref", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("claimed_until", UTCDateTime),
    Column("claimed_by", String(200)),  # host:pid:start of the lease holder, so a dead holder's lease is taken over
    Column("intent_key", Text),  # chosen before the first send (email Message-ID, Slack client key)
    Column("intent_at", UTCDateTime),  # a send was attempted at; on a reclaim the notifier reconciles first
    Column("digest_id", Integer, ForeignKey("digests.id", name="fk_deliveries_digest_id", ondelete="CASCADE")),
    Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

# 0006_delivery: one reader's digest of one week, rendered once; its deliveries go through the outbox.
digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("week", String(20), nullable=False),
    Column("reader", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edition", JSON, nullable=False),
    Column("chart", LargeBinary),
    UniqueConstraint("week", "reader", name="uq_digests_week_reader"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("channel_kind", String(50), nullable=False),
    Column("targets", JSON, nullable=False),
    Column("companies", JSON, nullable=False),
    Column("watchlists", JSON, nullable=False),
    Column("tickers", JSON, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("countries", JSON, nullable=False),
    Column("min_severity", Integer, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
    Column("timezone", String(64), nullable=False),
    Column("daily_cap", Integer),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("updates", String(20)),  # 0006_delivery
    Column("secret_env", String(200)),
    Column("digest_every", String(10)),
)


# --------------------------------------------------------------------------- the workspace (0003_workspace)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("action", String(20), nullable=False),
    Column("reviewer", String(320), nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("labels", JSON, nullable=False),
    Column("companies", JSON, nullable=False),
    Column("note", Text, nullable=False),
    Column("before_labels", JSON, nullable=False),
)

named_watchlists = Table(
    "named_watchlists",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("companies", JSON, nullable=False),
    Column("created_by", String(320), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

source_changes = Table(
    "source_changes",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("paused", Boolean, nullable=False),
    Column("config", JSON),
    Column("changed_by", String(320), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Names of subscriptions removed with `unsubscribe`: a seed file never brings them back.
removed_subscriptions = Table(
    "removed_subscriptions",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("removed_at", UTCDateTime, nullable=False),
)


# --------------------------------------------------------------------------- rows <-> types

UNKNOWN_LANG = "und"  # BCP 47 "undetermined", for item_stats of items with no language


def source_row(config: SourceConfig) -> dict[str, Any]:
    """Return the sources row of a SourceConfig (all its settings go into the config column)."""
    settings = {f.name: getattr(config, f.name) for f in fields(config)}
    settings.update(countries=list(config.countries), options=dict(config.options))
    return {
        "name": config.name,
        "kind": config.kind,
        "url": config.url,
        "category": config.category,
        "config": settings,
    }


def to_source(config: Mapping[str, Any]) -> SourceConfig:
    """Return the SourceConfig kept in a sources row's config column (keys it no longer has are dropped)."""
    known = {f.name for f in fields(SourceConfig)}
    settings = {name: value for name, value in config.items() if name in known}
    return SourceConfig(**{**settings, "countries": tuple(settings.get("countries") or ())})


def health_row(health: SourceHealth) -> dict[str, Any]:
    """Return the source_health row of a SourceHealth (flat fields: no deep copy needed)."""
    return {f.name: getattr(health, f.name) for f in fields(health)}


def to_health(row: Row[Any]) -> SourceHealth:
    """Return the SourceHealth of a source_health row."""
    return SourceHealth(**row._asdict())


def to_item(row: Row[Any]) -> Item:
    """Return the Item of an items row."""
    return Item(**row._asdict())


def evidence_json(evidence: tuple[Evidence, ...]) -> list[dict[str, str]]:
    """Return evidence as JSON-ready dicts."""
    return [{"label": e.label, "text": e.text} for e in evidence]


def to_evidence(data: list[Mapping[str, str]]) -> tuple[Evidence, ...]:
    """Return evidence from its JSON form."""
    return tuple(Evidence(label=e["label"], text=e["text"]) for e in data)


def classification_json(c: Classification) -> dict[str, Any]:
    """Return a Classification as JSON, scores unrounded (to_json rounds them for output)."""
    return {
        "id": c.id,
        "labels": list(c.labels),
        "companies": list(c.companies),
        "inferred_companies": list(c.inferred_companies),
        "countries": list(c.countries),
        "lang": c.lang,
        "scores": dict(c.scores),
        "evidence": evidence_json(c.evidence),
        "error": c.error,
    }


def to_classification(data: Mapping[str, Any]) -> Classification:
    """Return the Classification of its JSON form."""
    return Classification(
        id=data["id"],
        labels=tuple(data["labels"]),
        companies=tuple(data["companies"]),
        inferred_companies=tuple(data["inferred_companies"]),
        countries=tuple(data["countries"]),
        lang=data.get("lang"),
        scores=dict(data.get("scores") or {}),
        evidence=to_evidence(data.get("evidence") or []),
        error=data.get("error"),
    )


_INCIDENT_TUPLES = (
    "labels",
    "companies",
    "inferred_companies",
    "countries",
    "severity_reasons",
    "sources",
    "urls",
)


def incident_row(incident: Incident) -> dict[str, Any]:
    """Return the incidents row of an Incident (without its id)."""
    row: dict[str, Any] = {name: list(getattr(incident, name)) for name in _INCIDENT_TUPLES}
    row.update(
        title=incident.title,
        url=incident.url,
        first_seen=incident.first_seen,
        last_seen=incident.last_seen,
        source_count=incident.source_count,
        item_count=incident.item_count,
        severity=int(incident.severity),
        evidence=evidence_json(incident.evidence),
        scores=dict(incident.scores),
        status=incident.status,
        alertable=incident.alertable,
        lang=incident.lang,
        review=incident.review,
        vector=list(incident.vector) or None,
    )
    return row


def to_incident(row: Row[Any]) -> Incident:
    """Return the Incident of an incidents row."""
    data = row._asdict()
    for name in _INCIDENT_TUPLES:
        data[name] = tuple(data[name])
    data["severity"] = Severity(data["severity"])
    data["evidence"] = to_evidence(data["evidence"])
    data["scores"] = dict(data["scores"])
    data["vector"] = tuple(data.get("vector") or ())
    return Incident(**data)


def alert_row(alert: Alert, route: str) -> dict[str, Any]:
    """Return the alerts row of an Alert (without its id)."""
    row = asdict(alert)
    del row["id"]
    row.update(severity=int(alert.severity), route=route, countries=list(alert.countries),
               companies=list(alert.companies))
    return row


def to_alert(row: Row[Any]) -> Alert:
    """Return the Alert of an alerts row (the route column has no field in Alert)."""
    data = row._asdict()
    data.pop("route", None)
    data["severity"] = Severity(data["severity"])
    data["source_count"] = data.get("source_count") or 0
    data["countries"] = tuple(data.get("countries") or ())
    data["companies"] = tuple(data.get("companies") or ())
    return Alert(**data)


def delivery_row(
    alert_id: int | None, entry: tuple[str, str, datetime, str], created_at: datetime
) -> dict[str, Any]:
    """Return the deliveries row of one (channel_kind, target, next_attempt_at, status) entry."""
    channel_kind, target, next_attempt_at, status = entry
    return {
        "alert_id": alert_id,
        "channel_kind": channel_kind,
        "target": target,
        "status": status,
        "attempts": 0,
        "next_attempt_at": next_attempt_at,
        "created_at": created_at,
    }


def digest_row(edition: DigestEdition) -> dict[str, Any]:
    """Return the digests row of a DigestEdition (the rendered parts as JSON, the chart as bytes)."""
    data = asdict(edition)
    for name in ("id", "week", "reader", "created_at", "chart"):
        del data[name]
    return {"week": edition.week, "reader": edition.reader, "created_at": edition.created_at,
            "edition": data, "chart": edition.chart}


def to_digest(row: Row[Any]) -> DigestEdition:
    """Return the DigestEdition of a digests row."""
    data = dict(row._asdict())
    edition = dict(data.pop("edition"))
    edition["by_label"] = tuple((str(k), int(n)) for k, n in edition.get("by_label", ()))
    edition["top"] = tuple(DigestLine(**{**line, "countries": tuple(line.get("countries", ()))})
                           for line in edition.get("top", ()))
    return DigestEdition(**data, **edition)


def to_delivery(row: Row[Any]) -> Delivery:
    """Return the Delivery of a deliveries row (the lease column has no field in Delivery)."""
    data = row._asdict()
    data.pop("claimed_until", None)
    return Delivery(**data)


_SUBSCRIPTION_TUPLES = ("companies", "watchlists", "tickers", "labels", "countries")


def subscription_row(sub: Subscription) -> dict[str, Any]:
    """Return the subscriptions row of a Subscription."""
    row: dict[str, Any] = {name: list(getattr(sub, name)) for name in _SUBSCRIPTION_TUPLES}
    quiet = sub.quiet_hours
    row.update(
        name=sub.name,
        channel_kind=sub.channel.kind,
        targets=list(sub.channel.targets),
        min_severity=int(sub.min_severity),
        mode=sub.mode,
        quiet_start=quiet.start if quiet else None,
        quiet_end=quiet.end if quiet else None,
        timezone=sub.timezone,
        daily_cap=sub.daily_cap,
        paused=sub.paused,
        updates=sub.updates,
        secret_env=sub.channel.secret_env,
        digest_every=sub.digest_every,
    )
    return row


def to_subscription(row: Row[Any]) -> Subscription:
    """Return the Subscription of a subscriptions row."""
    data = row._asdict()
    quiet = None
    if data["quiet_start"] is not None:
        quiet = QuietHours(start=data["quiet_start"], end=data["quiet_end"])
    return Subscription(
        name=data["name"],
        channel=Channel(kind=data["channel_kind"], targets=tuple(data["targets"]), secret_env=data.get("secret_env")),
        **{name: tuple(data[name]) for name in _SUBSCRIPTION_TUPLES},
        min_severity=Severity(data["min_severity"]),
        mode=data["mode"],
        quiet_hours=quiet,
        timezone=data["timezone"],
        daily_cap=data["daily_cap"],
        paused=bool(data["paused"]),
        updates=data.get("updates"),
        digest_every=data.get("digest_every") or "week",
    )


def review_row(review: Review) -> dict[str, Any]:
    """Return the reviews row of a Review (without its id)."""
    row = asdict(review)
    del row["id"]
    for name in ("labels", "companies", "before_labels"):
        row[name] = list(row[name])
    return row


def to_review(row: Row[Any]) -> Review:
    """Return the Review of a reviews row."""
    data = row._asdict()
    for name in ("labels", "companies", "before_labels"):
        data[name] = tuple(data[name])
    return Review(**data)


def to_user(row: Row[Any]) -> User:
    """Return the User of a users row."""
    return User(**row._asdict())


def to_watchlist(row: Row[Any]) -> NamedWatchlist:
    """Return the NamedWatchlist of a named_watchlists row."""
    data = row._asdict()
    return NamedWatchlist(**{**data, "companies": tuple(data["companies"])})
