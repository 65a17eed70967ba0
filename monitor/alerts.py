"""Decide who hears of an incident, how loudly, and when: severity, matching, caps, quiet hours.

Pure: data and a clock in, data out. This module is the one routing decision: the pipeline calls,
after each incident change,

    decisions = decide_alerts(incident, prior, subscriptions, watchlist, now, sent_today, slack_webhook_mode)

and stores each `decision.alert` with exactly the outbox rows `decision.deliveries` names (one per channel
target, none for the digest); it decides nothing itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.types import Alert, DeliveryPlan, Incident, QuietHours, Severity, Subscription

UPDATE_GAP = timedelta(hours=1)  # webhook follow-ups: no threads, so at most one an hour
MANY_SOURCES = 3
LONG_HOURS = 72.0
STILL_GOING = timedelta(hours=24)  # a shutdown still reported this long after it began is news for every policy


class CompanyDirectory(Protocol):
    """What alert routing needs of `monitor.watchlist.Watchlist`."""

    def resolve(self, text: str) -> Any: ...  # a Company (with .name) or None

    def family(self, name: str) -> tuple[str, ...]: ...  # itself and its ancestors

    def named(self, list_name: str) -> tuple[str, ...]: ...  # company names of a watchlist


@dataclass(frozen=True)
class AlertDecision:
    """An alert and its route: `instant` at `release_at` (later in quiet hours) or the `digest`."""

    alert: Alert
    route: str  # instant | digest
    release_at: datetime
    deliveries: tuple[DeliveryPlan, ...] = ()  # the outbox rows to store; none for the digest

    @property
    def kind(self) -> str:
        """Return what the subscriber receives: new, update or digest."""
        return "digest" if self.route == "digest" else self.alert.kind

    @property
    def delivery_status(self) -> str:
        """Return the outbox state for this decision: pending, held or digest."""
        if self.route == "digest":
            return "digest"
        return "held" if self.release_at > self.alert.created_at else "pending"


# --------------------------------------------------------------------------- severity


class Factor(NamedTuple):
    """One explainable reason: the words, how many steps it adds, the least severity it implies."""

    reason: str
    steps: int = 0
    floor: Severity = Severity.LOW


_NATIONAL = re.compile(
    r"\b(nation-?wide|country-?wide|across the (?:whole |entire )?country|(?:entire|whole) country|"
    r"all over the country|national (?:internet )?(?:blackout|shutdown|outage))\b"
)
_REGIONAL = re.compile(r"\b(regions?|regional|provinces?|provincial|state of|districts?|county|counties|"
                       r"governorates?|prefectures?|cities|city|towns?)\b")
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "several": 3}
_UNIT_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 720.0}
_DURATION = re.compile(
    r"\b(?:for|after|lasting|over)\s+(?:more than\s+|nearly\s+|almost\s+)?(\d+|[a-z]+)[\s-]+(hour|day|week|month)s?\b"
    r"|\b(\d+)[\s-]+(hour|day|week|month)s?\b"
)
_SINCE = re.compile(r"\bsince\s+(?:early\s+|late\s+|mid-?)?([A-Za-z]+(?:\s+\d{1,2})?|\d{4})\b")
_ROLES = (
    (re.compile(r"\b(complied|complies|comply|complying|in compliance with)\b"), "company complied with order", 1),
    (re.compile(r"\b(supplied|supplies|supplier|sold|sells|selling|exported|vendor)\b"),
     "company supplied the technology", 1),
    (re.compile(r"\b(ordered|orders|instructed|directed|compelled|forced)\b"), "company ordered by authorities", 0),
    (re.compile(r"\b(blocked|banned|restricted|throttled|targeted|hacked)\b"), "company targeted", 0),
)
_ELECTION = re.compile(r"\b(elections?|electoral|vote|voters?|voting|ballots?|polling|candidates?|referendum)\b")
_SPYWARE = re.compile(r"\b(spyware|pegasus|predator|hermit|finfisher|finspy|candiru|zero-click|implant|"
                      r"hacking tools?|malware)\b")
_AT_RISK = re.compile(r"\b(journalists?|reporters?|activists?|dissidents?|human rights defenders?|lawyers?|"
                      r"opposition (?:figures?|politicians?|leaders?))\b")


def score_severity(incident: Incident) -> tuple[Severity, tuple[str, ...]]:
    """Score an incident from its scope, duration, sources, company role, context and label."""
    factors = severity_factors(incident)
    base = _label_base(incident.labels)
    level = max(base + sum(f.steps for f in factors), *(int(f.floor) for f in factors), base)
    return Severity(min(level, int(Severity.CRITICAL))), tuple(f.reason for f in factors)


def apply_severity(incident: Incident) -> Incident:
    """Return the incident with its severity and reasons scored afresh."""
    severity, reasons = score_severity(incident)
    return replace(incident, severity=severity, severity_reasons=reasons)


def severity_factors(incident: Incident) -> list[Factor]:
    """List every factor that raises or explains an incident's severity."""
    text = incident_text(incident)
    found = [
        _scope(text, incident.labels),
        _duration(text),
        _source_factor(incident.source_count),
        *_roles(text, incident),
        _election(text, incident.labels),
        _targets(text, incident.labels),
    ]
    return [f for f in found if f is not None]


def incident_text(incident: Incident) -> str:
    """Return the lower-cased words severity cues are read from: title and evidence."""
    return " ".join([incident.title, *(e.text for e in incident.evidence)]).casefold()


def _label_base(labels: Iterable[str]) -> int:
    # A deliberate shutdown, spying or election meddling starts at medium; a block starts low.
    grave = {"shutdown", "surveillance", "election_interference"}
    return int(Severity.MEDIUM if grave & set(labels) else Severity.LOW)


def _scope(text: str, labels: Sequence[str]) -> Factor | None:
    kind = _primary_label(labels)
    if _NATIONAL.search(text):
        floor = Severity.HIGH if "shutdown" in labels else Severity.LOW
        return Factor(f"nationwide {kind}", 1, floor)
    if _REGIONAL.search(text):
        return Factor(f"regional {kind}")
    return None


def _primary_label(labels: Sequence[str]) -> str:
    for label in ("shutdown", "censorship", "surveillance", "election_interference"):
        if label in labels:
            return label.replace("_", " ")
    return "incident"


def _duration(text: str) -> Factor | None:
    hours = max((_hours(m) for m in _DURATION.finditer(text)), default=0.0)
    if hours > 0:
        return Factor(f"lasting {_say_hours(hours)}", 1 if hours >= LONG_HOURS else 0)
    since = _SINCE.search(text)
    if since:
        return Factor(f"ongoing since {since.group(1)}", 1)
    return None


def _hours(match: re.Match[str]) -> float:
    amount, unit = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    count = int(amount) if amount.isdigit() else _NUMBER_WORDS.get(amount, 0)
    return count * _UNIT_HOURS[unit]


def _say_hours(hours: float) -> str:
    if hours >= 48 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{int(hours)} hour{'s' if hours != 1 else ''}"


def _source_factor(count: int) -> Factor | None:
    if count >= MANY_SOURCES:
        return Factor(f"{count} independent sources", 1)
    return None


def _roles(text: str, incident: Incident) -> list[Factor]:
    if not (incident.companies or incident.inferred_companies):
        return []  # a role needs a company to play it
    return [Factor(reason, steps) for pattern, reason, steps in _ROLES if pattern.search(text)][:2]


def _election(text: str, labels: Sequence[str]) -> Factor | None:
    if "election_interference" in labels or _ELECTION.search(text):
        return Factor("election context", 1)
    return None


def _targets(text: str, labels: Sequence[str]) -> Factor | None:
    at_risk = _AT_RISK.search(text)
    if not at_risk:
        return None
    who = _plural(at_risk.group(1))
    if "surveillance" in labels and _SPYWARE.search(text):
        return Factor(f"spyware against {who}", 1, Severity.HIGH)
    return Factor(f"{who} targeted", 1) if "surveillance" in labels else None


def _plural(word: str) -> str:
    return word if word.endswith("s") else f"{word}s"


# --------------------------------------------------------------------------- matching


def match_subscription(sub: Subscription, incident: Incident, watchlist: CompanyDirectory) -> str | None:
    """Return why a subscription hears of an incident (the rule that matched), or None."""
    if incident.status == "dismissed" or not incident.alertable or sub.paused:
        return None
    if incident.severity < sub.min_severity:
        return None
    rules = [
        _company_rule(sub, incident, watchlist),
        _label_rule(sub, incident),
        _country_rule(sub, incident),
    ]
    if any(rule is None for rule in rules):
        return None
    rules.append(f"severity {incident.severity} >= {sub.min_severity}" if sub.min_severity > Severity.LOW else "")
    return "; ".join(rule for rule in rules if rule)


# The architecture's name for the same decision.
matches = match_subscription


def _label_rule(sub: Subscription, incident: Incident) -> str | None:
    if not sub.labels:
        return ""
    shared = [label for label in incident.labels if label in sub.labels]
    return f"label {', '.join(shared)}" if shared else None


def _country_rule(sub: Subscription, incident: Incident) -> str | None:
    if not sub.countries:
        return ""
    wanted = {c.upper() for c in sub.countries}
    shared = [c for c in incident.countries if c.upper() in wanted]
    return f"country {', '.join(shared)}" if shared else None


def _company_rule(sub: Subscription, incident: Incident, watchlist: CompanyDirectory) -> str | None:
    tracked = [(c, False) for c in incident.companies] + [(c, True) for c in incident.inferred_companies]
    if not tracked:
        return None  # even "ALL" needs a tracked company: alerts are about companies
    wanted = wanted_companies(sub, watchlist)
    if wanted is None:
        return f"any company: {', '.join(c for c, _ in tracked)}"
    for company, inferred in tracked:
        for member in company_family(watchlist, company):
            rule = wanted.get(member.casefold())
            if rule:
                return _company_why(rule, company, member, inferred)
    return None


def matched_company(sub: Subscription, incident: Incident, watchlist: CompanyDirectory) -> str | None:
    """Return the incident's company that a subscription follows (itself or through a group), else None."""
    wanted = wanted_companies(sub, watchlist)
    if wanted is None:
        return None  # every company: none is more the reader's than another
    tracked = incident.companies + incident.inferred_companies
    return next((c for c in tracked if any(m.casefold() in wanted for m in company_family(watchlist, c))), None)


def _company_why(rule: str, company: str, member: str, inferred: bool) -> str:
    how = [] if member.casefold() == company.casefold() else [f"via {company}"]
    how += ["inferred operator"] if inferred else []
    return f"{rule} ({', '.join(how)})" if how else rule


def wanted_companies(sub: Subscription, watchlist: CompanyDirectory) -> dict[str, str] | None:
    """Map the casefolded company names a subscription selects to the rule naming them; None = any."""
    if _any_company(sub):
        return None
    wanted: dict[str, str] = {}
    for ticker in sub.tickers:
        _add(wanted, _canonical(watchlist, ticker, strict=True), f"ticker {ticker}")
    for list_name in sub.watchlists:
        for name in _named(watchlist, list_name):
            _add(wanted, name, f"watchlist {list_name}: {name}")
    for name in sub.companies:
        _add(wanted, _canonical(watchlist, name, strict=False), f"company {name}")
    return wanted


def _any_company(sub: Subscription) -> bool:
    if any(c.strip().upper() == "ALL" for c in sub.companies):
        return True
    return not (sub.companies or sub.watchlists or sub.tickers)


def _add(wanted: dict[str, str], name: str | None, rule: str) -> None:
    if name:
        wanted[name.casefold()] = rule  # later (more specific) selectors name the rule


def _canonical(watchlist: CompanyDirectory, text: str, strict: bool) -> str | None:
    company = watchlist.resolve(text)
    name = getattr(company, "name", None)
    return name or (None if strict else text)


def _named(watchlist: CompanyDirectory, list_name: str) -> tuple[str, ...]:
    try:
        return tuple(watchlist.named(list_name))
    except LookupError:  # an unknown list selects nothing; check-config reports it
        return ()


def company_family(watchlist: CompanyDirectory, name: str) -> tuple[str, ...]:
    """Return a company and its tracked parents, or just the name when the watchlist lacks it."""
    try:
        family = tuple(watchlist.family(name))
    except LookupError:
        family = ()
    return family or (name,)


# --------------------------------------------------------------------------- deciding


def decide_alerts(
    incident: Incident,
    prior: Sequence[Alert],
    subscriptions: Sequence[Subscription],
    watchlist: CompanyDirectory,
    now: datetime,
    sent_today: Mapping[str, int],
    slack_webhook_mode: bool = False,
) -> list[AlertDecision]:
    """Decide the new or update alerts an incident raises now, each routed (instant, held or digest).

    `slack_webhook_mode`: no bot token but a webhook, so Slack channel subscriptions go through the webhook.
    """
    decisions = []
    for sub in slack_route(subscriptions, slack_webhook_mode):
        alert = _alert_for(sub, incident, prior, watchlist, now)
        if alert is not None:
            decisions.append(route_alert(alert, sub, now, sent_today))
    return decisions


def _alert_for(
    sub: Subscription, incident: Incident, prior: Sequence[Alert], watchlist: CompanyDirectory, now: datetime
) -> Alert | None:
    if sub.mode != "instant":
        return None  # digest subscribers read it in the weekly digest
    why = match_subscription(sub, incident, watchlist)
    if why is None:
        return None
    mine = [a for a in prior if a.subscription == sub.name and a.incident_id == incident.id]
    if not mine:
        alert = Alert(incident.id, sub.name, "new", incident.severity, why, now, note=_count_note(incident.source_count))
        return with_snapshot(alert, incident)
    if sub.update_policy == "none":
        return None
    if sub.channel.kind == "slack_webhook" and throttle_update(mine, now):
        return None  # the next change after the hour carries the cumulative update
    return _update_alert(incident, mine, why, now, sub.update_policy)


def with_snapshot(alert: Alert, incident: Incident) -> Alert:
    """Record on an alert what the incident was when it was decided, for measuring the next update."""
    return replace(alert, source_count=incident.source_count, countries=incident.countries,
                   companies=incident.companies)


def _update_alert(incident: Incident, mine: Sequence[Alert], why: str, now: datetime, policy: str) -> Alert | None:
    changes = update_changes(incident, mine, now, policy)
    if not changes:
        return None
    note = f"{'; '.join(changes)} ({incident.source_count} sources in all)"
    alert = Alert(incident.id, mine[0].subscription, "update", incident.severity, why, now, note=note)
    return with_snapshot(alert, incident)


def update_changes(incident: Incident, mine: Sequence[Alert], now: datetime, policy: str = "all") -> list[str]:
    """List what changed since a subscriber's earlier alerts, as the policy counts it.

    `material`: a new country, a new tracked company, severity up, or a shutdown still reported after
    STILL_GOING; `all` also counts each new source. Alerts stored before the snapshot columns existed
    record nothing: the incident as it is now is their baseline.
    """
    recorded = [a for a in mine if a.source_count]
    known_sources = max((a.source_count for a in recorded), default=incident.source_count)
    known_countries = {c for a in recorded for c in a.countries} if recorded else set(incident.countries)
    known_companies = {c for a in recorded for c in a.companies} if recorded else set(incident.companies)
    changes = []
    if policy == "all" and incident.source_count > known_sources:
        more = incident.source_count - known_sources
        changes.append(f"{more} more source{'s' if more != 1 else ''}")
    countries = [c for c in incident.countries if c not in known_countries]
    if countries:
        changes.append(f"new countr{'ies' if len(countries) > 1 else 'y'}: {', '.join(countries)}")
    companies = [c for c in incident.companies if c not in known_companies]
    if companies:
        changes.append(f"new compan{'ies' if len(companies) > 1 else 'y'}: {', '.join(companies)}")
    if incident.severity > max(a.severity for a in mine):
        changes.append(f"severity raised to {incident.severity}")
    if _still_going(incident, mine):
        changes.append(f"shutdown still reported after {int(STILL_GOING.total_seconds() // 3600)} h")
    return changes


def _still_going(incident: Incident, mine: Sequence[Alert]) -> bool:
    # Once per incident: the first report past STILL_GOING after every earlier alert was decided.
    mark = incident.first_seen + STILL_GOING
    return "shutdown" in incident.labels and incident.last_seen >= mark and all(a.created_at < mark for a in mine)


def _count_note(count: int) -> str:
    return f"{count} source{'s' if count != 1 else ''}"


def recorded_sources(alert: Alert) -> int | None:
    """Return the source count an alert recorded when it was decided, if it recorded one."""
    return alert.source_count or None


def throttle_update(prior: Sequence[Alert], now: datetime) -> bool:
    """Return True while an update must wait: an alert of this incident went out in the last hour."""
    return any(now - alert.created_at < UPDATE_GAP for alert in prior)


# --------------------------------------------------------------------------- routing


def route_alert(alert: Alert, sub: Subscription, now: datetime, sent_today: Mapping[str, int]) -> AlertDecision:
    """Route an alert: to the digest past the daily cap, else instant at the end of quiet hours."""
    if sub.daily_cap is not None and sent_today.get(sub.name, 0) >= sub.daily_cap:
        return AlertDecision(alert, "digest", now)
    release = release_time(sub, now)
    status = "held" if release > alert.created_at else "pending"
    plans = tuple(DeliveryPlan(sub.channel.kind, target, release, status) for target in sub.channel.targets)
    return AlertDecision(alert, "instant", release, plans)


def slack_route(subscriptions: Sequence[Subscription], webhook_mode: bool) -> list[Subscription]:
    """In webhook mode (no bot token), Slack channel subscriptions go through the webhook: no threads."""
    if not webhook_mode:
        return list(subscriptions)
    return [replace(s, channel=replace(s.channel, kind="slack_webhook")) if s.channel.kind == "slack_channel" else s
            for s in subscriptions]


def count_instant(decisions: Iterable[AlertDecision], sent_today: Mapping[str, int]) -> dict[str, int]:
    """Return `sent_today` plus this batch's instant alerts, for the next incident of a cycle."""
    counts = dict(sent_today)
    for decision in decisions:
        if decision.route == "instant":
            counts[decision.alert.subscription] = counts.get(decision.alert.subscription, 0) + 1
    return counts


def day_start(sub: Subscription, now: datetime) -> datetime:
    """Return the subscriber's local midnight of `now` (where its daily cap count begins)."""
    local = now.astimezone(parse_timezone(sub.timezone))
    midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return midnight.astimezone(now.tzinfo)


def release_time(sub: Subscription, now: datetime) -> datetime:
    """Return when an alert decided at `now` may go: now, or the end of the quiet hours."""
    if sub.quiet_hours is None:
        return now
    zone = parse_timezone(sub.timezone)
    start, end = _clock(sub.quiet_hours.start), _clock(sub.quiet_hours.end)
    local = now.astimezone(zone)
    if not in_quiet_hours(local.time(), start, end):
        return now
    end_day = local.date() + timedelta(days=1 if start > end and local.time() >= start else 0)
    return _first_after(end_day, end, zone, now)


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Tell whether a local wall time falls in [start, end), which may cross midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _first_after(day: date, end: time, zone: ZoneInfo, now: datetime) -> datetime:
    # On the night clocks fall back the end's wall time happens twice: take the first after now.
    for fold in (0, 1):
        candidate = datetime.combine(day, end, tzinfo=zone).replace(fold=fold).astimezone(now.tzinfo)
        if candidate > now:
            return candidate
    return now


def parse_quiet_hours(text: str) -> QuietHours:
    """Parse "22:00-07:00" into QuietHours; raise ValueError saying what is wrong."""
    match = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", text or "")
    if not match:
        raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM, e.g. 22:00-07:00")
    start, end = (_clock(part, text).strftime("%H:%M") for part in match.groups())
    if start == end:
        raise ValueError(f"quiet hours {text!r}: start and end are the same time")
    return QuietHours(start=start, end=end)


def _clock(value: str, whole: str | None = None) -> time:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise ValueError(f"quiet hours {whole or value!r}: {value!r} is not a time of day (00:00-23:59)") from None


def parse_timezone(name: str) -> ZoneInfo:
    """Return the zone of an IANA name like Africa/Lagos; raise ValueError for an unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (an IANA name such as Africa/Lagos)") from None
