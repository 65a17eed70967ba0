"""What the workspace does for its pages and API alike: review, watchlists, subscriptions, test alerts.

Thin: each joins a pure decision (monitor/review.py, monitor/subscriptions.py, monitor/alerts.py)
to the store or a notifier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.errors import DeliveryError, NotConfigured
from monitor.review import apply_review
from monitor.types import (
    Alert,
    ChannelSpec,
    Evidence,
    Incident,
    Message,
    NamedWatchlist,
    Severity,
    Subscription,
)

TEST_ALERT_ID = 0


def review_incident(ws: Any, incident_id: int, action: str, reviewer: str, *, labels: Sequence[str] | None = None,
                    companies: Sequence[str] | None = None, note: str = "") -> Incident | None:
    """Apply an analyst's review and store it with who and when; None when there is no such incident."""
    incident = ws.store.get_incident(incident_id)
    if incident is None:
        return None
    if companies is not None:
        companies = [canonical_company(ws, c) for c in companies]
    updated, review = apply_review(incident, action, reviewer, ws.clock.now(), labels=labels,
                                   companies=companies, note=note)
    ws.store.apply_review(updated, review)
    return updated


def canonical_company(ws: Any, text: str) -> str:
    """Return the watchlist's display name of a company, or the text as given when it is not tracked."""
    company = ws.watchlist.resolve(text.strip()) if ws.watchlist else None
    return company.name if company else text.strip()


def company_family(ws: Any, text: str) -> tuple[str, ...]:
    """Return a company and its tracked subsidiaries, by display name ((): not tracked)."""
    company = ws.watchlist.resolve(text.strip()) if ws.watchlist else None
    if company is None:
        return ()
    return (company.name,) + tuple(c.name for c in ws.watchlist if company.name in ws.watchlist.ancestors(c.name)
                                   and c.name != company.name)


def watchlist_members(ws: Any, name: str) -> tuple[str, ...]:
    """Return the companies of a named watchlist, made in the workspace or in a watchlist file."""
    for stored in ws.store.list_watchlists():
        if stored.name == name:
            return stored.companies
    try:
        return tuple(ws.watchlist.named(name)) if ws.watchlist else ()
    except (KeyError, ValueError):
        return ()


def all_watchlists(ws: Any) -> dict[str, tuple[str, ...]]:
    """Return every named watchlist with its companies: the files' and the workspace's."""
    named = {name: tuple(ws.watchlist.named(name)) for name in ws.watchlist.named_lists()} if ws.watchlist else {}
    named.update({w.name: w.companies for w in ws.store.list_watchlists()})
    return named


def resolve_pasted(ws: Any, text: str) -> tuple[list[str], list[str]]:
    """Resolve pasted company names, tickers or ISINs (one a line, or comma-separated): (found, unknown)."""
    found: dict[str, None] = {}
    unknown: list[str] = []
    for line in text.replace(",", "\n").replace(";", "\n").splitlines():
        entry = line.strip()
        if not entry:
            continue
        company = ws.watchlist.resolve(entry) if ws.watchlist else None
        if company is None:
            unknown.append(entry)
        else:
            found[company.name] = None
    return list(found), unknown


def save_watchlist(ws: Any, name: str, pasted: str, who: str) -> tuple[NamedWatchlist, list[str]]:
    """Create or replace a named watchlist from pasted names; return it and the entries not understood."""
    found, unknown = resolve_pasted(ws, pasted)
    watchlist = NamedWatchlist(name=name.strip(), companies=tuple(found), created_by=who, created_at=ws.clock.now())
    if watchlist.name and found:
        ws.store.save_watchlist(watchlist)
    return watchlist, unknown


def test_incident(now: datetime) -> Incident:
    """Return the made-up incident a test alert shows."""
    return Incident(
        id=TEST_ALERT_ID, title="Test alert from rights-monitor", url="https://example.org/rights-monitor-test",
        labels=("censorship",), companies=(), inferred_companies=(), countries=(), first_seen=now, last_seen=now,
        severity=Severity.LOW, severity_reasons=("test alert",),
        evidence=(Evidence("censorship", "This is a test: your subscription is set up."),),
    )


def channel_refusals(ws: Any, sub: Subscription, channels: Mapping[str, ChannelSpec]) -> list[str]:
    """What would keep a new subscription from ever delivering, said when it is made (as `subscribe` does):
    a channel switched off for lack of settings, or a webhook URL that points inside."""
    from monitor.hygiene import mask_target
    from monitor.netguard import UrlGuard
    from monitor.references import channel_problem

    kind = sub.channel.kind
    problems = [f"{kind}: {problem}"] if (problem := channel_problem(kind, ws.notifiers)) else []
    if channels[kind].target == "url":
        guard = UrlGuard(ws.settings.fetch.allow_hosts)
        problems += [f"{kind} {mask_target(url)}: {reason}" for url in sub.channel.targets
                     if (reason := guard.refusal(url))]
    return problems


def send_test_alert(ws: Any, sub: Subscription) -> list[tuple[str, str | None]]:
    """Send a test alert to every target of a subscription now; return (target, error or None) each."""
    from monitor.pipeline import in_slack_mode
    from monitor.references import unconfigured_reason

    sub = in_slack_mode([sub], ws.settings.slack)[0]
    now = ws.clock.now()
    alert = Alert(incident_id=TEST_ALERT_ID, subscription=sub.name, kind="new", severity=Severity.LOW,
                  why="test alert requested in the workspace", created_at=now)
    message = Message(incident=test_incident(now), alert=alert, channel=sub.channel)  # signed as real alerts are
    notifier = ws.notifiers.get(sub.channel.kind)
    outcomes: list[tuple[str, str | None]] = []
    for target in sub.channel.targets:
        if notifier is None:
            outcomes.append((target, str(NotConfigured(unconfigured_reason(sub.channel.kind, ws.notifiers)))))
            continue
        try:
            notifier.send(message, target)
            outcomes.append((target, None))
        except DeliveryError as exc:
            outcomes.append((target, str(exc)))
    return outcomes


def unsubscribe_recipient(ws: Any, name: str, target: str) -> bool:
    """Remove one recipient from a subscription (the whole subscription when it was the last)."""
    sub = ws.store.get_subscription(name)
    if sub is None or target not in sub.channel.targets:
        return False
    left = tuple(t for t in sub.channel.targets if t != target)
    if left:
        ws.store.upsert_subscription(replace(sub, channel=replace(sub.channel, targets=left)))
    else:
        ws.store.delete_subscription(name)
    return True


def record_source_change(ws: Any, name: str, who: str, *, config: Any = None, paused: bool | None = None) -> bool:
    """Add a source or pause/resume one; stored for `run` and shown at once. False when there is no such source."""
    from monitor.types import SourceChange

    stored = {s.name: s for s in ws.store.list_sources()}
    previous = {c.name: c for c in ws.store.list_source_changes()}.get(name)
    if config is None and name not in stored:
        return False
    config = config or (previous.config if previous else None)
    is_paused = bool(paused) if paused is not None else (previous.paused if previous else False)
    ws.store.save_source_change(SourceChange(name, is_paused, config, who, ws.clock.now()))
    shown = config or stored[name]
    ws.store.sync_sources([replace(shown, enabled=not is_paused)])
    return True
