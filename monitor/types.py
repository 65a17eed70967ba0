"""Public data types of rights-monitor, in one place.

What a source yields (`RawItem`) is not what the store returns (`Item`). Every type is a
frozen dataclass: decisions take them in and hand new ones back, they never mutate.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

LABELS: tuple[str, ...] = ("surveillance", "censorship", "shutdown", "election_interference")
REVIEW_STATES: tuple[str, ...] = ("new", "confirmed", "dismissed")
REVIEW_ACTIONS: tuple[str, ...] = ("confirm", "dismiss", "relabel", "reopen")
ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")  # each may do what the one before may


class Severity(enum.IntEnum):
    """Ordered alert severity: low < medium < high < critical."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (low, medium, high, critical)") from None

    def __str__(self) -> str:
        return self.name.lower()


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceConfig:
    """One entry of sources.yaml."""

    name: str
    kind: str  # registry key: rss | html | json
    url: str
    interval_s: int = 1800
    enabled: bool = True
    category: str = "news"  # ngo | un | measurement | news | press
    lang: str | None = None
    countries: tuple[str, ...] = ()
    verified: bool = True
    fetch_article: bool = False  # fetch the linked page when the feed carries only a title
    trusted: bool = True  # False for a source added through the workspace: its URL passes the SSRF guard
    options: Mapping[str, Any] = field(default_factory=dict)  # kind-specific (selectors, field map)


@dataclass(frozen=True)
class FetchResult:
    """What one conditional GET returned."""

    url: str
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    retry_after_s: float | None = None
    max_age_s: float | None = None


@dataclass(frozen=True)
class RawItem:
    """One entry as a source parsed it, before the store saw it. Text is plain, never HTML."""

    source: str
    title: str
    url: str = ""
    guid: str = ""
    summary: str = ""
    published: datetime | None = None
    lang: str | None = None
    author: str = ""


@dataclass(frozen=True)
class SourceHealth:
    """A source's record of how its polls went."""

    source: str
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_status: int | None = None
    next_due: datetime | None = None
    first_polled: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_warning: str | None = None  # e.g. a malformed feed salvaged: the parser's complaint


@dataclass(frozen=True)
class PollResult:
    """The outcome of polling one source; failures are values, never silent."""

    source: str
    status: str  # ok | not_modified | failed | skipped
    new_items: int = 0
    seen_items: int = 0
    error: str | None = None
    took_s: float = 0.0
    http_status: int | None = None
    new_item_ids: tuple[int, ...] = ()  # what a scale-out worker hands on to classification


# --------------------------------------------------------------------------- items


class ParsedItems(list):
    """The RawItems a source parsed, with the parser's complaint when a malformed document was salvaged."""

    warning: str | None = None


@dataclass(frozen=True)
class Item:
    """A stored item."""

    id: int
    source: str
    guid: str
    url: str
    canonical_url: str
    title: str
    summary: str
    published: datetime | None
    fetched_at: datetime
    content_hash: str
    lang: str | None = None
    alertable: bool = True  # False for backfill: stored but never alerted
    incident_id: int | None = None
    processed_at: datetime | None = None  # None until classification, incident and alerts committed together


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class Evidence:
    label: str
    text: str


@dataclass(frozen=True)
class ClassifyInput:
    """One item to classify (the `classify` JSONL input)."""

    id: str
    title: str
    summary: str = ""
    url: str = ""
    published: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Classification:
    """The `classify` output for one item; `to_json()` is the contract of interfaces.md."""

    id: str
    labels: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    inferred_companies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    lang: str | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    error: str | None = None
    # The multilingual sentence vector the model read (rounded; empty when stage 1 settled the item).
    # It lets incident matching join reports of one event across outlets and languages; not in to_json.
    vector: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id if self.id or not self.error else None,  # null when the line had no readable id
            "labels": list(self.labels),
            "companies": list(self.companies),
            "inferred_companies": list(self.inferred_companies),
            "countries": list(self.countries),
            "lang": self.lang,
            "scores": {label: round(float(self.scores.get(label, 0.0)), 4) for label in LABELS},
            "evidence": [{"label": e.label, "text": e.text} for e in self.evidence],
        }
        if self.error:
            out["error"] = self.error
        return out


# --------------------------------------------------------------------------- incidents


@dataclass(frozen=True)
class Incident:
    """One real-world event, merged from every report of it."""

    id: int
    title: str
    url: str
    labels: tuple[str, ...]
    companies: tuple[str, ...]
    inferred_companies: tuple[str, ...]
    countries: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    source_count: int = 1  # independent outlets (distinct hosts) reporting it
    item_count: int = 1
    severity: Severity = Severity.LOW
    severity_reasons: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    status: str = "open"  # open | dismissed
    alertable: bool = True
    sources: tuple[str, ...] = ()  # outlet hosts / source names
    urls: tuple[str, ...] = ()
    lang: str | None = None
    vector: tuple[float, ...] = field(default=(), repr=False, compare=False)  # mean of its reports' vectors
    review: str = "new"  # new | confirmed | dismissed: what an analyst said of it


@dataclass(frozen=True)
class Review:
    """An analyst's word on an incident: confirm, dismiss, relabel (labels and companies), or reopen."""

    incident_id: int
    action: str
    reviewer: str
    created_at: datetime
    labels: tuple[str, ...] = ()  # the labels after the review
    companies: tuple[str, ...] = ()  # the companies after the review
    note: str = ""
    before_labels: tuple[str, ...] = ()  # what the classifier had said, for its agreement figure
    id: int | None = None


@dataclass(frozen=True)
class IncidentQuery:
    """Filters of the incident list; `companies` already resolved (a watchlist becomes its members)."""

    labels: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()  # any of them, named or inferred
    countries: tuple[str, ...] = ()
    min_severity: Severity | None = None
    review: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""  # words searched in the title and evidence
    after: tuple[datetime, int] | None = None  # keyset cursor: (last_seen, id) of the previous page's last row
    limit: int = 50


# --------------------------------------------------------------------------- workspace accounts


@dataclass(frozen=True)
class User:
    """A workspace account; the password is only ever held as its argon2 hash."""

    id: int
    email: str
    role: str  # viewer | analyst | admin
    password_hash: str
    created_at: datetime


@dataclass(frozen=True)
class ApiToken:
    """An API or feed token; only its SHA-256 is stored."""

    id: int
    name: str
    role: str
    created_at: datetime
    user_id: int | None = None


@dataclass(frozen=True)
class SourceChange:
    """An admin's change to the sources made in the workspace: a source added, or one paused or resumed."""

    name: str
    paused: bool = False
    config: SourceConfig | None = None  # set for a source added in the workspace
    changed_by: str = ""
    changed_at: datetime | None = None


@dataclass(frozen=True)
class NamedWatchlist:
    """A watchlist made in the workspace: a name and the tracked companies it holds."""

    name: str
    companies: tuple[str, ...]
    created_by: str = ""
    created_at: datetime | None = None


# --------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class QuietHours:
    start: str  # "22:00"
    end: str  # "07:00"


@dataclass(frozen=True)
class ChannelSpec:
    """What a channel module says of its subscriptions: the key they use, their targets, its option and form choice.

    `kind` is the registry kind and the key in subscriptions.yaml, the API and the form; `subscribe` gets the
    option `--kind-with-dashes`. `target` says how each target is checked: `url` (http(s), and the SSRF guard
    when subscribing), `email`, or `text`. `updates` is the update policy a subscription gets by default.
    """

    kind: str
    title: str  # the workspace form's choice, e.g. "Microsoft Teams webhook"
    help: str  # the option's help and the form's hint
    target: str = "text"  # url | email | text
    many: bool = False  # several targets (email addresses); otherwise one
    secret: bool = False  # may name `secret_env`, the environment variable holding its signing key
    updates: str = "material"  # none | material | all, when the subscription does not say
    example: str = ""  # a placeholder for the form

    @property
    def option(self) -> str:
        """The `subscribe` option: `--teams-webhook` for kind `teams_webhook`."""
        return "--" + self.kind.replace("_", "-")


@dataclass(frozen=True)
class Channel:
    """Where a subscription delivers: `kind` is a registered notifier's (see each `ChannelSpec`)."""

    kind: str
    targets: tuple[str, ...]
    secret_env: str | None = None  # a channel that signs (json_webhook): the variable holding its key


@dataclass(frozen=True)
class Subscription:
    name: str
    channel: Channel
    companies: tuple[str, ...] = ()  # empty or ("ALL",) matches every company
    watchlists: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()  # tickers or ISINs
    labels: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    min_severity: Severity = Severity.LOW
    mode: str = "instant"  # instant | digest
    quiet_hours: QuietHours | None = None
    timezone: str = "UTC"
    daily_cap: int | None = None
    paused: bool = False  # a paused subscription hears of nothing until resumed
    updates: str | None = None  # none | material | all; None: the channel's default (`ChannelSpec.updates`)
    digest_every: str = "week"  # week | day: how often a digest-mode subscription gets its digest

    @property
    def update_policy(self) -> str:
        """Return which updates this subscription hears (`subscriptions.with_channel_defaults` fills the default)."""
        return self.updates or "material"


@dataclass(frozen=True)
class Alert:
    """The decision that a subscription hears of an incident (once) or of an update to it."""

    incident_id: int
    subscription: str
    kind: str  # new | update
    severity: Severity
    why: str  # rule and evidence, human readable
    created_at: datetime
    id: int | None = None
    note: str = ""  # for updates, what changed in words: "new country: Sudan; 3 more sources"
    # What the incident was when this alert was decided: the next update is measured against these.
    source_count: int = 0
    countries: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """What a notifier renders: an incident seen through one alert."""

    incident: Incident
    alert: Alert
    company_tickers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    thread_ref: str | None = None  # e.g. Slack ts of the first message, for replies
    unsubscribe: str | None = None  # mailto: or URL
    key: str | None = None  # chosen before the first send and kept across retries: email Message-ID, Slack key
    matched_company: str | None = None  # the company the subscriber follows, for the email subject
    channel: Channel | None = None  # the subscription's channel: per-target options such as a signing secret


class NewItem(NamedTuple):
    """One fetched item as the pipeline hands it to the store: the raw item and what was worked out of it."""

    raw: RawItem
    canonical_url: str
    content_hash: str
    alertable: bool  # False for backfill: stored, never alerted
    lang: str | None


class DeliveryPlan(NamedTuple):
    """One outbox row the routing decision asks for: where, from when, and in which state."""

    channel_kind: str
    target: str
    release_at: datetime  # the row's next_attempt_at: now, or the end of quiet hours
    status: str  # pending | held (held rows wait for release_at even under `deliver --all`)


@dataclass(frozen=True)
class Delivery:
    """An outbox entry: one message to one target."""

    id: int
    alert_id: int | None  # None for a digest delivery
    channel_kind: str
    target: str
    status: str  # pending | sent | failed | held | digest
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    external_ref: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    claimed_by: str | None = None  # the lease holder (host:pid:start), while claimed
    intent_key: str | None = None  # chosen before the first send: email Message-ID, Slack client key
    intent_at: datetime | None = None  # when a send was last attempted; reconciled after a crash
    digest_id: int | None = None  # a digest delivery: the DigestEdition it sends


@dataclass(frozen=True)
class DigestLine:
    """One top incident as a compact digest shows it."""

    title: str
    url: str
    severity: str
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestEdition:
    """One reader's digest of one period, rendered once and queued in the outbox for every channel.

    Email sends `html` (chart inline as cid:chart) and `text`; Slack, Teams and webhooks the compact
    fields (counts, top incidents, a link to the full digest).
    """

    week: str  # 2026-W47, or a day (2026-11-23) for a daily digest
    reader: str  # the subscription's name, or "recipients" for the configured digest recipients
    created_at: datetime
    subject: str
    html: str
    text: str
    chart: bytes | None = None
    total: int = 0
    previous_total: int = 0
    by_label: tuple[tuple[str, int], ...] = ()
    top: tuple[DigestLine, ...] = ()
    link: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class SendReceipt:
    """What a notifier returns on success (e.g. Slack `ts` for threading)."""

    external_ref: str | None = None


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class CycleReport:
    """The result of one poll cycle (`poll --once --json`)."""

    results: tuple[PollResult, ...]
    took_s: float
    incidents: int = 0
    alerts: int = 0
    delivered: int = 0
    retrying: int = 0  # deliveries that failed this time and wait for another try
    delivery_failed: int = 0  # deliveries that failed for good
    held: int = 0  # alerts held for quiet hours
    to_digest: int = 0  # alerts routed to the digest (digest mode or over a daily cap)
    delivery_problems: tuple[str, ...] = ()  # why deliveries did not go out, one line per recipient and reason

    def to_json(self) -> dict[str, Any]:
        count = lambda status: sum(1 for r in self.results if r.status == status)
        return {
            "sources": len(self.results),
            "ok": count("ok"),
            "not_modified": count("not_modified"),
            "failed": count("failed"),
            "skipped": count("skipped"),
            "new_items": sum(r.new_items for r in self.results),
            "incidents": self.incidents,
            "alerts": self.alerts,
            "delivered": self.delivered,
            "retrying": self.retrying,
            "delivery_failed": self.delivery_failed,
            "held": self.held,
            "to_digest": self.to_digest,
            "delivery_problems": list(self.delivery_problems),
            "failed_sources": [{"source": r.source, "error": r.error, "http_status": r.http_status}
                               for r in self.results if r.status == "failed"],
            "took_s": round(self.took_s, 3),
        }

    @property
    def unreachable(self) -> bool:
        """Whether no source could be fetched at all: some were polled and every one of them failed."""
        polled = [r for r in self.results if r.status != "skipped"]
        return bool(polled) and all(r.status == "failed" for r in polled)


# --------------------------------------------------------------------------- digest
# (section owned by the decisions/digest engineer; built by monitor/digest.py)


@dataclass(frozen=True)
class ItemStats:
    """Items stored this week, counted by language, by classified country (when known) and by source."""

    by_lang: Mapping[str, int] = field(default_factory=dict)
    by_country: Mapping[str, int] = field(default_factory=dict)
    by_source: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CountChange:
    """How often one label, company or country occurred this week and the week before."""

    key: str
    count: int
    previous: int = 0

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class SourceStatus:
    """A source's health as the digest reports it: ok | failing | stale | unpolled."""

    source: str
    state: str
    consecutive_failures: int = 0
    last_success: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class CompanySection:
    """The incidents of one company this week (named or inferred)."""

    company: str
    incidents: tuple[Incident, ...]


@dataclass(frozen=True)
class Digest:
    """The weekly digest for analysts: counts, top incidents, companies, source health, gaps."""

    week: str  # "2026-W47"
    start: datetime
    end: datetime
    generated_at: datetime
    incidents: tuple[Incident, ...]  # active this week, most severe first
    previous_total: int = 0
    top: tuple[Incident, ...] = ()
    by_label: tuple[CountChange, ...] = ()
    by_company: tuple[CountChange, ...] = ()
    by_country: tuple[CountChange, ...] = ()
    companies: tuple[CompanySection, ...] = ()
    health: tuple[SourceStatus, ...] = ()
    missing_countries: tuple[str, ...] = ()  # covered by sources, no items this week
    missing_langs: tuple[str, ...] = ()
    items_total: int = 0
    reader_companies: tuple[str, ...] = ()  # the companies the reader follows: their sections come first
    to_date: bool = False  # the current week, up to generated_at
