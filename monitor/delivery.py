"""Drain the outbox to the notifiers: no alert lost, none sent twice.

Each delivery is claimed before it is sent, marked delivered right after, and on a retryable
failure put back with capped exponential backoff; a restart resumes from the store.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from monitor.errors import DeliveryError, NotConfigured
from monitor.types import Delivery, Message

log = logging.getLogger(__name__)

MAX_RETRY_DELAY_S = 3600.0
UNCONFIGURED_RETRY_S = 3600.0


@dataclass(frozen=True)
class DrainReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0  # dismissed incidents stay quiet


def retry_delay_s(attempts: int, retry_after_s: float | None = None, rand=random.random) -> float:
    """Capped exponential backoff with jitter, never shorter than the server's Retry-After."""
    base = min(MAX_RETRY_DELAY_S, 5.0 * 2 ** min(attempts, 12))
    return max(retry_after_s or 0.0, base * (0.5 + rand() / 2))


def drain_outbox(store: Any, notifiers: Mapping[str, Any], watchlist: Any, now: datetime, *,
                 include_backoff: bool = False, sender: str | None = None, limit: int = 500,
                 public_url: str | None = None) -> DrainReport:
    """Send every delivery that is due; return what happened.

    With `public_url` (the workspace's address), emails carry a signed one-click unsubscribe URL.
    """
    counts = {"delivered": 0, "retried": 0, "failed": 0, "dropped": 0}
    for delivery in store.due_deliveries(now, include_backoff=include_backoff, limit=limit):
        if not store.claim_delivery(delivery.id, now):
            continue  # another worker has it
        counts[_deliver_one(delivery, store, notifiers, watchlist, now, sender, public_url)] += 1
    return DrainReport(**counts)


def _deliver_one(delivery: Delivery, store: Any, notifiers: Mapping[str, Any], watchlist: Any,
                 now: datetime, sender: str | None, public_url: str | None = None) -> str:
    alert = store.get_alert(delivery.alert_id)
    incident = store.get_incident(alert.incident_id) if alert else None
    if alert is None or incident is None or incident.status == "dismissed":
        store.mark_failed(delivery.id, "incident dismissed before delivery")
        return "dropped"
    notifier = notifiers.get(delivery.channel_kind)
    if notifier is None:
        why = NotConfigured(f"no {delivery.channel_kind} notifier configured")
        store.mark_retry(delivery.id, str(why), now + timedelta(seconds=UNCONFIGURED_RETRY_S))
        return "retried"
    message = build_message(store, incident, alert, delivery, watchlist, sender, public_url)
    return _send(notifier, message, delivery, store, now)


def _send(notifier: Any, message: Message, delivery: Delivery, store: Any, now: datetime) -> str:
    try:
        receipt = notifier.send(message, delivery.target)
    except DeliveryError as exc:
        if not exc.retryable:
            store.mark_failed(delivery.id, str(exc))
            log.error("delivery %s failed for good: %s", delivery.id, exc)
            return "failed"
        delay = retry_delay_s(delivery.attempts, exc.retry_after_s)
        store.mark_retry(delivery.id, str(exc), now + timedelta(seconds=delay))
        log.warning("delivery %s will be retried in %.0fs: %s", delivery.id, delay, exc)
        return "retried"
    store.mark_delivered(delivery.id, now, receipt.external_ref)
    return "delivered"


def build_message(store: Any, incident, alert, delivery: Delivery, watchlist: Any,
                  sender: str | None, public_url: str | None = None) -> Message:
    """Assemble what a notifier renders: current incident state, tickers, thread and unsubscribe."""
    tickers = {name: tuple(watchlist.tickers(name)) for name in incident.companies if watchlist}
    thread = store.thread_ref(incident.id, delivery.channel_kind, delivery.target) if alert.kind == "update" else None
    link = unsubscribe_link(alert.subscription, delivery.target, sender)
    if public_url and "@" in delivery.target:
        from monitor.signing import unsubscribe_url

        link = unsubscribe_url(public_url, store.app_secret("unsubscribe"), alert.subscription, delivery.target)
    return Message(incident=incident, alert=alert, company_tickers=tickers, thread_ref=thread, unsubscribe=link)


def unsubscribe_link(subscription: str, target: str, sender: str | None) -> str | None:
    """A mailto to the monitor's sender address that asks to remove this recipient (without a workspace URL)."""
    if "@" not in target or not sender:
        return None
    subject = quote(f"unsubscribe {subscription} {target}")
    return f"mailto:{sender}?subject={subject}"
