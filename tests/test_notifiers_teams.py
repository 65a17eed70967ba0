"""Teams incoming webhooks: an Adaptive Card over a real loopback HTTP receiver, retries by status, the SSRF guard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.errors import DeliveryError
from monitor.netguard import UrlGuard
from monitor.types import Alert, Evidence, Incident, Message, Severity
from notifiers.base import Pacer
from notifiers.teams import CARD_TYPE, TeamsWebhookNotifier, teams_card
from tests.webhookserver import WebhookServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
INCIDENT = Incident(7, "Ethio Telecom cuts *mobile* internet in [Amhara]", "https://news.example.org/a",
                    ("shutdown",), ("Ethio Telecom",), (), ("ET",), NOW, NOW, source_count=2, item_count=2,
                    severity=Severity.HIGH, severity_reasons=("regional shutdown",),
                    evidence=(Evidence("shutdown", "mobile data was cut"),))
ALERT = Alert(7, "hrd", "new", Severity.HIGH, "company Ethio Telecom", NOW, id=1)


def notifier(allow=("127.0.0.1",)) -> TeamsWebhookNotifier:
    return TeamsWebhookNotifier(UrlGuard(allow=allow), Pacer(sleep=lambda s: None), timeout_s=5)


def test_an_alert_arrives_as_an_adaptive_card():
    with WebhookServer() as hooks:
        notifier().send(Message(INCIDENT, ALERT), hooks.url("/teams"))
    [got] = hooks.received
    assert got.headers["content-type"] == "application/json"
    attachment = got.json["attachments"][0]
    assert got.json["type"] == "message" and attachment["contentType"] == CARD_TYPE
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"][0]["url"] == "https://news.example.org/a"
    texts = " ".join(b.get("text", "") for b in card["body"])
    assert "HIGH: Ethio Telecom cuts \\*mobile\\* internet in \\[Amhara\\]" in texts  # Markdown escaped
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    assert facts["Companies"] == "Ethio Telecom" and facts["Countries"] == "Ethiopia"


def test_an_update_is_a_short_card():
    update = Alert(7, "hrd", "update", Severity.HIGH, "company Ethio Telecom", NOW, note="new country: Sudan")
    body = teams_card(Message(INCIDENT, update))["attachments"][0]["content"]["body"]
    assert body[0]["text"].startswith("Update:") and body[1]["text"] == "new country: Sudan"


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (400, False), (404, False)])
def test_a_refusal_is_retryable_or_not_by_its_status(status, retryable):
    with WebhookServer() as hooks:
        hooks.fail_next(1, status=status)
        with pytest.raises(DeliveryError) as caught:
            notifier().send(Message(INCIDENT, ALERT), hooks.url("/teams/secret-path"))
    assert caught.value.retryable is retryable
    assert "secret-path" not in str(caught.value)  # the URL is a credential: only its host is shown


def test_the_ssrf_guard_refuses_an_internal_url_for_good():
    with WebhookServer() as hooks, pytest.raises(DeliveryError) as caught:
        notifier(allow=()).send(Message(INCIDENT, ALERT), hooks.url("/teams"))
    assert not caught.value.retryable and hooks.received == []
