"""Signed JSON webhooks: the alert as JSON, X-Rights-Monitor-Signature = HMAC-SHA256 of the raw body."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from monitor.errors import DeliveryError
from monitor.netguard import UrlGuard
from monitor.types import Alert, Channel, Incident, Message, Severity
from notifiers.base import Pacer
from notifiers.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, JsonWebhookNotifier, verify
from tests.webhookserver import WebhookServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
INCIDENT = Incident(7, "Ethio Telecom cuts mobile internet in Amhara", "https://news.example.org/a",
                    ("shutdown",), ("Ethio Telecom",), (), ("ET",), NOW, NOW, severity=Severity.HIGH)
ALERT = Alert(7, "tool", "new", Severity.HIGH, "company Ethio Telecom", NOW, id=1)


def notifier(environ) -> JsonWebhookNotifier:
    return JsonWebhookNotifier(environ, UrlGuard(allow=("127.0.0.1",)), Pacer(sleep=lambda s: None), timeout_s=5)


def message(secret_env=None) -> Message:
    return Message(INCIDENT, ALERT, key="<rm.1.1.abc@x.test>",
                   channel=Channel("json_webhook", ("http://127.0.0.1/",), secret_env))


def test_a_signed_alert_verifies_against_the_raw_body():
    with WebhookServer() as hooks:
        notifier({"HOOK_KEY": "s3cret"}).send(message("HOOK_KEY"), hooks.url("/hook"))
    [got] = hooks.received
    expected = "sha256=" + hmac.new(b"s3cret", got.body, hashlib.sha256).hexdigest()
    assert got.headers[SIGNATURE_HEADER.lower()] == expected
    assert verify(b"s3cret", got.body, got.headers[SIGNATURE_HEADER.lower()])
    assert not verify(b"other", got.body, got.headers[SIGNATURE_HEADER.lower()])
    assert got.headers[DELIVERY_HEADER.lower()] == "<rm.1.1.abc@x.test>"
    payload = got.json
    assert payload["type"] == "alert" and payload["kind"] == "new" and payload["severity"] == "high"
    assert payload["incident"]["companies"] == ["Ethio Telecom"] and payload["incident"]["countries"] == ["ET"]


def test_without_a_secret_the_alert_goes_unsigned():
    with WebhookServer() as hooks:
        notifier({}).send(message(), hooks.url("/hook"))
    assert SIGNATURE_HEADER.lower() not in hooks.received[0].headers


def test_a_missing_secret_fails_for_good_and_sends_nothing():
    with WebhookServer() as hooks, pytest.raises(DeliveryError, match="HOOK_KEY is not set") as caught:
        notifier({}).send(message("HOOK_KEY"), hooks.url("/hook"))
    assert not caught.value.retryable and hooks.received == []
