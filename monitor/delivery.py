"""Drain the outbox to the notifiers: no alert lost, none sent twice.

Each delivery is claimed before it is sent (a lease naming its holder), its intent recorded with a key
chosen once (the email Message-ID, the Slack message key), marked delivered right after, and on a
retryable failure put back with capped exponential backoff. After a crash the next drain takes over the
leases of dead holders on this host at once, and a delivery whose send was in flight is first looked up
where the channel can say whether it arrived (Slack bot: by its key), so it is not sent twice.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from monitor import failpoints, lease
from monitor.errors import DeliveryError, NotConfigured
from monitor.hygiene import mask_target, register_secrets
from monitor.references import unconfigured_reason
from monitor.store.repo import DROPPED_PREFIX
from monitor.types import Delivery, Message, SendReceipt

log = logging.getLogger(__name__)

MAX_RETRY_DELAY_S = 3600.0
UNCONFIGURED_RETRY_S = 3600.0


@dataclass(frozen=True)
class DrainReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0  # dismissed incidents stay quiet
    reconciled: int = 0  # found already sent after a crash, recorded without sending again
    postponed: int = 0  # not tried: their channel did not answer earlier in this drain
    problems: tuple[str, ...] = ()  # one line per failing subscription and channel: why it did not go out


def retry_delay_s(attempts: int, retry_after_s: float | None = None, rand=random.random) -> float:
    """Capped exponential backoff with jitter, never shorter than the server's Retry-After."""
    base = min(MAX_RETRY_DELAY_S, 5.0 * 2 ** min(attempts, 12))
    return max(retry_after_s or 0.0, base * (0.5 + rand() / 2))


def drain_outbox(store: Any, notifiers: Mapping[str, Any], watchlist: Any, now: datetime, *,
                 include_backoff: bool = False, sender: str | None = None, limit: int = 500,
                 holder: str | None = None, public_url: str | None = None) -> DrainReport:
    """Send every delivery that is due; return what happened.

    With `public_url` (the workspace's address), emails carry a signed one-click unsubscribe URL.
    """
    holder = holder or lease.holder_id()
    taken = store.release_orphaned_claims(now, lease.holder_gone)
    if taken:
        log.warning("outbox: took over %d deliveries whose lease holder is gone", taken)
    counts = {"delivered": 0, "retried": 0, "failed": 0, "dropped": 0, "reconciled": 0, "postponed": 0}
    problems: dict[tuple[str, str], list[int]] = {}
    unreachable: dict[str, str] = {}  # channel kind -> why: not tried again in this drain
    for delivery in store.due_deliveries(now, include_backoff=include_backoff, limit=limit):
        if delivery.channel_kind in unreachable:
            counts["postponed"] += 1
            key = (delivery.channel_kind, f"not tried: {unreachable[delivery.channel_kind]}; tried at the next drain")
            problems.setdefault(key, []).append(delivery.id)
            continue
        if not store.claim_delivery(delivery.id, now, holder=holder):
            continue  # another worker has it
        failpoints.reached("claimed")
        outcome, reason, error = _deliver_one(delivery, store, notifiers, watchlist, now, sender, public_url)
        counts[outcome] += 1
        if outcome in ("retried", "failed"):
            problems.setdefault((_recipient(delivery, store), f"{outcome}: {reason}"), []).append(delivery.id)
        if error is not None and error.unreachable:
            unreachable[delivery.channel_kind] = f"{delivery.channel_kind} did not answer ({error})"
    counts["delivered"] += counts["reconciled"]
    return DrainReport(**counts, problems=tuple(problem_lines(problems)))


def _recipient(delivery: Delivery, store: Any) -> str:
    if delivery.digest_id is not None:
        digest = store.get_digest(delivery.digest_id)
        subscription = f"digest {digest.week} for {digest.reader}, " if digest else ""
        return f"{subscription}{delivery.channel_kind} {mask_target(delivery.target)}"
    alert = store.get_alert(delivery.alert_id) if delivery.alert_id is not None else None
    subscription = f"subscription {alert.subscription}, " if alert else ""
    return f"{subscription}{delivery.channel_kind} {mask_target(delivery.target)}"


def problem_lines(problems: Mapping[tuple[str, str], list[int]]) -> list[str]:
    """Say once per recipient and reason which deliveries did not go out, and why."""
    lines = []
    for (recipient, reason), ids in problems.items():
        which = f"delivery {ids[0]}" if len(ids) == 1 else f"{len(ids)} deliveries ({', '.join(map(str, ids[:5]))}" \
            + (", ...)" if len(ids) > 5 else ")")
        lines.append(f"{which} to {recipient}: {reason}")
    return lines


def _deliver_one(delivery: Delivery, store: Any, notifiers: Mapping[str, Any], watchlist: Any,
                 now: datetime, sender: str | None,
                 public_url: str | None = None) -> tuple[str, str, DeliveryError | None]:
    notifier = notifiers.get(delivery.channel_kind)
    if notifier is None:
        why = NotConfigured(unconfigured_reason(delivery.channel_kind, notifiers))
        retry_at = now + timedelta(seconds=UNCONFIGURED_RETRY_S)
        store.mark_retry(delivery.id, str(why), retry_at)
        log.warning("delivery %s: %s", delivery.id, why)
        return "retried", f"{why}; tried again at {_at(retry_at)} or with `deliver --all`", None
    if delivery.digest_id is not None:
        return _deliver_digest(delivery, store, notifier, now, sender)
    alert = store.get_alert(delivery.alert_id) if delivery.alert_id is not None else None
    incident = store.get_incident(alert.incident_id) if alert else None
    if alert is None or incident is None or incident.status == "dismissed":
        store.mark_failed(delivery.id, f"{DROPPED_PREFIX} incident dismissed before delivery")
        return "dropped", "", None
    if "://" in delivery.target:  # a webhook URL is a credential: no log line (slack_sdk's included) shows it
        register_secrets([delivery.target])
    message = build_message(store, incident, alert, delivery, watchlist, sender, public_url)
    key = store.record_intent(delivery.id, intent_key(delivery, sender), now)
    message = replace(message, key=key)
    failpoints.reached("intent-recorded")
    if delivery.intent_at is not None:  # a send was tried before: did it arrive after all?
        found = _look_up(notifier, message, delivery)
        if found is not None:
            store.mark_delivered(delivery.id, now, found.external_ref)
            log.warning("delivery %s was sent before a crash; recorded, not sent again", delivery.id)
            return "reconciled", "", None
    return _send(lambda: notifier.send(message, delivery.target), delivery, store, now)


def _deliver_digest(delivery: Delivery, store: Any, notifier: Any, now: datetime,
                    sender: str | None) -> tuple[str, str, DeliveryError | None]:
    """Send a queued digest with the same intent, retry and record as an alert."""
    edition = store.get_digest(delivery.digest_id)
    if edition is None:
        store.mark_failed(delivery.id, f"{DROPPED_PREFIX} digest removed before delivery")
        return "dropped", "", None
    key = store.record_intent(delivery.id, intent_key(delivery, sender), now)
    failpoints.reached("intent-recorded")
    find_key = getattr(notifier, "find_key", None)
    if delivery.intent_at is not None and find_key is not None:  # sent before a crash? (Slack bot can tell)
        try:
            found = find_key(key, delivery.target)
        except DeliveryError as exc:
            log.warning("delivery %s: cannot check whether it was sent (%s); sending", delivery.id, exc)
            found = None
        if found is not None:
            store.mark_delivered(delivery.id, now, found.external_ref)
            log.warning("digest delivery %s was sent before a crash; recorded, not sent again", delivery.id)
            return "reconciled", "", None
    reader = store.get_subscription(edition.reader)
    channel = reader.channel if reader else None
    return _send(lambda: notifier.send_digest(edition, delivery.target, key, channel), delivery, store, now)


def intent_key(delivery: Delivery, sender: str | None) -> str:
    """Return a key unique to this delivery, usable as an email Message-ID and as a Slack message key."""
    domain = (sender or "").rpartition("@")[2] or "rights-monitor.invalid"
    origin = f"d{delivery.digest_id}" if delivery.digest_id is not None else str(delivery.alert_id)
    return f"<rm.{origin}.{delivery.id}.{secrets.token_hex(6)}@{domain}>"


def _look_up(notifier: Any, message: Message, delivery: Delivery) -> Any:
    """Ask a notifier that can tell (Slack bot) whether the message with this key arrived; None otherwise."""
    find_sent = getattr(notifier, "find_sent", None)
    if find_sent is None:
        return None  # email keeps its Message-ID, so a repeat is recognisable as the same message
    try:
        return find_sent(message, delivery.target)
    except DeliveryError as exc:
        log.warning("delivery %s: cannot check whether it was sent (%s); sending", delivery.id, exc)
        return None


def _send(send: Callable[[], SendReceipt], delivery: Delivery, store: Any,
          now: datetime) -> tuple[str, str, DeliveryError | None]:
    try:
        receipt = send()
    except DeliveryError as exc:
        if not exc.retryable:
            store.mark_failed(delivery.id, str(exc))
            log.error("delivery %s failed for good: %s", delivery.id, exc)
            return "failed", f"{exc} (requeue with `deliver --retry-failed` once fixed)", exc
        delay = retry_delay_s(delivery.attempts, exc.retry_after_s)
        store.mark_retry(delivery.id, str(exc), now + timedelta(seconds=delay))
        log.warning("delivery %s will be retried in %.0fs: %s", delivery.id, delay, exc)
        return "retried", f"{exc}; tried again at {_at(now + timedelta(seconds=delay))}", exc
    failpoints.reached("sent-not-recorded")
    store.mark_delivered(delivery.id, now, receipt.external_ref)
    failpoints.reached("recorded")
    return "delivered", "", None


def build_message(store: Any, incident, alert, delivery: Delivery, watchlist: Any,
                  sender: str | None, public_url: str | None = None) -> Message:
    """Assemble what a notifier renders: current incident state (canonical links), tickers, thread, unsubscribe
    (signed one-click with a workspace URL), and the company the subscriber follows."""
    from monitor.alerts import matched_company
    from monitor.readable import shown_incident

    tickers = {name: tuple(watchlist.tickers(name)) for name in incident.companies if watchlist}
    thread = store.thread_ref(incident.id, delivery.channel_kind, delivery.target) if alert.kind == "update" else None
    link = unsubscribe_link(alert.subscription, delivery.target, sender)
    if public_url and "@" in delivery.target:
        from monitor.signing import unsubscribe_url

        link = unsubscribe_url(public_url, store.app_secret("unsubscribe"), alert.subscription, delivery.target)
    subscription = store.get_subscription(alert.subscription)
    matched = matched_company(subscription, incident, watchlist) if subscription and watchlist else None
    return Message(incident=shown_incident(incident), alert=alert, company_tickers=tickers, thread_ref=thread,
                   unsubscribe=link, matched_company=matched, channel=subscription.channel if subscription else None)


def unsubscribe_link(subscription: str, target: str, sender: str | None) -> str | None:
    """A mailto to the monitor's sender address that asks to remove this recipient (without a workspace URL)."""
    if "@" not in target or not sender:
        return None
    subject = quote(f"unsubscribe {subscription} {target}")
    return f"mailto:{sender}?subject={subject}"


def shown_status(delivery: Delivery) -> str:
    """Return the status a person sees: pending, retrying (pending after a failed try), held, failed or sent."""
    if delivery.status == "pending" and delivery.attempts > 0:
        return "retrying"
    return delivery.status


def delivery_reason(delivery: Delivery, now: datetime) -> str:
    """Say in one line why a delivery is where it is."""
    status, when = shown_status(delivery), delivery.next_attempt_at
    if status == "sent":
        return f"sent {_at(delivery.sent_at)}" + (f" ({delivery.external_ref})" if delivery.external_ref else "")
    if status == "failed":
        return f"failed after {delivery.attempts} attempt(s): {delivery.last_error or 'unknown error'}"
    if status == "held":
        return f"held for quiet hours until {_at(when)}"
    if status == "retrying":
        due = f"due again {_at(when)}" if when and when > now else "due now"
        return f"{due} after {delivery.attempts} attempt(s): {delivery.last_error or ''}".rstrip(": ")
    if delivery.intent_at is not None:
        return f"a send was in flight at {_at(delivery.intent_at)}; checked and finished on the next drain"
    return "due now" if when is None or when <= now else f"due {_at(when)}"


def _at(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "-"
