"""Generic JSON webhooks: the alert as JSON, signed with HMAC-SHA256 when the subscription names a secret.

The receiver checks `X-Rights-Monitor-Signature: sha256=HEX`, the HMAC-SHA256 of the raw body under the
shared secret, and may drop repeats by `X-Rights-Monitor-Delivery` (the same key on every retry).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from monitor.config import Settings
from monitor.errors import DeliveryError
from monitor.netguard import UrlGuard
from monitor.registry import Deps
from monitor.types import Channel, ChannelSpec, DigestEdition, Incident, Message, SendReceipt
from notifiers.base import NOTIFIERS, NotifierLimits, Pacer, post_json, redact_url

SIGNATURE_HEADER = "X-Rights-Monitor-Signature"
DELIVERY_HEADER = "X-Rights-Monitor-Delivery"


@NOTIFIERS.register("json_webhook")
class JsonWebhookNotifier:
    """POST the alert as JSON to the subscription's URL; sign it with the key in `secret_env`."""

    kind = "json_webhook"
    channel: ClassVar[ChannelSpec] = ChannelSpec(
        kind, "JSON webhook (signed)", "URL that receives each alert as JSON; with a secret's variable, signed "
        "with HMAC-SHA256.", target="url", secret=True, example="https://tools.example.org/rights-monitor")
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=1_000_000, per_second=10.0)

    def __init__(self, environ: Mapping[str, str], guard: UrlGuard | None = None, pacer: Pacer | None = None,
                 post: Callable[..., Any] = post_json, timeout_s: float = 30.0) -> None:
        self._environ = environ
        self._guard = guard or UrlGuard()
        self._pacer = pacer or Pacer(1.0 / self.limits.per_second)
        self._post = post
        self._timeout_s = timeout_s

    @classmethod
    def from_config(cls, config: Settings, deps: Deps) -> JsonWebhookNotifier:
        """Build the notifier; always configured (each subscription names its URL and its secret's variable)."""
        return cls(deps.environ, UrlGuard(config.fetch.allow_hosts),
                   Pacer(1.0 / cls.limits.per_second, sleep=deps.sleep), timeout_s=config.slack.timeout_s)

    def send(self, message: Message, target: str) -> SendReceipt:
        """POST the alert to `target`, signed when the subscription's channel names a secret."""
        secret_env = message.channel.secret_env if message.channel else None
        return self._post_json(alert_payload(message), target, message.key, secret_env)

    def send_digest(self, edition: DigestEdition, target: str, key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt:
        """POST the digest's counts and top incidents as JSON, signed like an alert."""
        return self._post_json(digest_payload(edition), target, key, channel.secret_env if channel else None)

    def _post_json(self, payload: dict[str, Any], target: str, key: str | None, secret_env: str | None) -> SendReceipt:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {DELIVERY_HEADER: key or ""}
        if secret_env:
            headers[SIGNATURE_HEADER] = signature(self._secret(secret_env), body)
        self._pacer.wait(target)
        self._post(target, body, f"json webhook {redact_url(target)}", guard=self._guard, headers=headers,
                   timeout_s=self._timeout_s)
        return SendReceipt()

    def _secret(self, name: str) -> bytes:
        value = self._environ.get(name)
        if not value:
            raise DeliveryError(f"json webhook: secret_env {name} is not set in the environment", retryable=False)
        return value.encode("utf-8")


def signature(secret: bytes, body: bytes) -> str:
    """Return the header value `sha256=HEX` for a raw body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """Tell whether a signature header matches the body (what a receiver does, in constant time)."""
    return hmac.compare_digest(signature(secret, body), header or "")


def alert_payload(message: Message) -> dict[str, Any]:
    """Return the alert as a JSON-ready mapping (the same fields the API shows of an incident)."""
    alert = message.alert
    return {
        "type": "alert", "kind": alert.kind, "subscription": alert.subscription, "key": message.key,
        "severity": str(alert.severity), "why": alert.why, "note": alert.note,
        "decided_at": alert.created_at.isoformat(), "matched_company": message.matched_company,
        "incident": _incident(message.incident),
    }


def digest_payload(edition: DigestEdition) -> dict[str, Any]:
    """Return a digest as a JSON-ready mapping: counts, top incidents, the full digest's link."""
    return {
        "type": "digest", "week": edition.week, "reader": edition.reader, "subject": edition.subject,
        "total": edition.total, "previous_total": edition.previous_total,
        "by_label": dict(edition.by_label), "link": edition.link,
        "top": [{"title": t.title, "url": t.url, "severity": t.severity, "countries": list(t.countries)}
                for t in edition.top],
    }


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id, "title": incident.title, "url": incident.url, "labels": list(incident.labels),
        "companies": list(incident.companies), "inferred_companies": list(incident.inferred_companies),
        "countries": list(incident.countries), "severity": str(incident.severity),
        "severity_reasons": list(incident.severity_reasons), "source_count": incident.source_count,
        "first_seen": incident.first_seen.isoformat(), "last_seen": incident.last_seen.isoformat(),
        "review": incident.review,
    }
