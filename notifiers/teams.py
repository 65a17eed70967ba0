"""Microsoft Teams incoming webhooks: one Adaptive Card per alert, posted to the subscription's webhook URL.

The whole channel is this module: it registers kind `teams_webhook` like a plugin would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from monitor.config import Settings
from monitor.netguard import UrlGuard
from monitor.registry import Deps
from monitor.types import Channel, ChannelSpec, DigestEdition, Message, SendReceipt
from notifiers.base import NOTIFIERS, NotifierLimits, Pacer, post_json, redact_url
from notifiers.render import AlertFacts, alert_facts, clip, digest_plain, safe_url

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
TEXT_MAX = 2000  # per TextBlock; a card as a whole must stay under about 28 KB


@NOTIFIERS.register("teams_webhook")
class TeamsWebhookNotifier:
    """Post an Adaptive Card to a Teams incoming webhook (no threads: an update is its own short card)."""

    kind = "teams_webhook"
    channel: ClassVar[ChannelSpec] = ChannelSpec(
        kind, "Microsoft Teams webhook", "Microsoft Teams incoming-webhook URL (Adaptive Card).", target="url",
        example="https://example.webhook.office.com/webhookb2/...")
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=28_000, per_second=4.0)

    def __init__(self, guard: UrlGuard | None = None, pacer: Pacer | None = None,
                 post: Callable[..., Any] = post_json, timeout_s: float = 30.0) -> None:
        self._guard = guard or UrlGuard()
        self._pacer = pacer or Pacer(1.0 / self.limits.per_second)
        self._post = post
        self._timeout_s = timeout_s

    @classmethod
    def from_config(cls, config: Settings, deps: Deps) -> TeamsWebhookNotifier:
        """Build the notifier; always configured, since each subscription names its webhook URL."""
        return cls(UrlGuard(config.fetch.allow_hosts), Pacer(1.0 / cls.limits.per_second, sleep=deps.sleep),
                   timeout_s=config.slack.timeout_s)

    def send(self, message: Message, target: str) -> SendReceipt:
        """Post the alert's card to webhook URL `target`."""
        body = json.dumps(teams_card(message), ensure_ascii=False).encode("utf-8")
        self._pacer.wait(target)
        self._post(target, body, f"teams webhook {redact_url(target)}", guard=self._guard, timeout_s=self._timeout_s)
        return SendReceipt()

    def send_digest(self, edition: DigestEdition, target: str, key: str | None = None,
                    channel: Channel | None = None) -> SendReceipt:
        """Post the compact digest as a card."""
        body = json.dumps(digest_card(edition), ensure_ascii=False).encode("utf-8")
        self._pacer.wait(target)
        self._post(target, body, f"teams webhook {redact_url(target)}", guard=self._guard, timeout_s=self._timeout_s)
        return SendReceipt()


def digest_card(edition: DigestEdition) -> dict[str, Any]:
    """Return the compact digest as an incoming-webhook Adaptive Card."""
    title, summary, *rest = digest_plain(edition).splitlines()
    card: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4",
                            "body": [_text(title, weight="Bolder", size="Medium"), _text(summary),
                                     *(_text(line) for line in rest if not line.startswith("Full digest:"))]}
    link = safe_url(edition.link or "")
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Full digest", "url": link}]
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}]}


def teams_card(message: Message) -> dict[str, Any]:
    """Return the incoming-webhook payload: a message with one Adaptive Card attachment."""
    facts = alert_facts(message)
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4",
        "body": _update_body(facts) if facts.kind == "update" else _alert_body(facts),
    }
    if facts.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Read the report", "url": facts.url}]
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}]}


def _alert_body(facts: AlertFacts) -> list[dict[str, Any]]:
    facts_set = [(name, value) for name, value in (
        ("Severity", facts.severity), ("Labels", facts.labels), ("Companies", facts.companies),
        ("Inferred operators", facts.inferred), ("Countries", facts.countries), ("Sources", facts.sources),
    ) if value]
    body = [
        _text(f"{facts.severity.upper()}: {facts.title}", weight="Bolder", size="Medium"),
        {"type": "FactSet", "facts": [{"title": name, "value": clip(value, TEXT_MAX)} for name, value in facts_set]},
    ]
    if facts.evidence:
        body.append(_text(f"\u201c{facts.evidence}\u201d", isSubtle=True))
    body.append(_text(f"Why you get this: {facts.why}", isSubtle=True, size="Small"))
    if facts.reasons:
        body.append(_text(f"Severity reasons: {facts.reasons}", isSubtle=True, size="Small"))
    return body


def _update_body(facts: AlertFacts) -> list[dict[str, Any]]:
    return [_text(f"Update: {facts.title}", weight="Bolder"), _text(facts.note),
            _text(f"Severity {facts.severity}; {facts.sources}", isSubtle=True, size="Small")]


def _text(text: str, **style: Any) -> dict[str, Any]:
    # Teams renders a subset of Markdown in TextBlocks; the facts are plain text, so they are escaped.
    return {"type": "TextBlock", "text": clip(_escape(text), TEXT_MAX), "wrap": True, **style}


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "\\*_[]()#>`~" else c for c in text)
