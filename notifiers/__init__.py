"""Notifiers: deliver alerts to Slack (bot or webhook), email and the console.

Each kind registers in NOTIFIERS the way a plugin would; `build_notifiers` keeps the configured ones.
"""

from __future__ import annotations

import logging
from typing import TextIO

from monitor.config import Settings
from monitor.errors import NotConfigured
from notifiers.base import NOTIFIERS, Notifier, NotifierLimits, Pacer
from notifiers.console import ConsoleNotifier
from notifiers.mail import EmailNotifier, resolve_tls, send_digest
from notifiers.slack import SlackBotNotifier, SlackWebhookNotifier
from notifiers.teams import TeamsWebhookNotifier
from notifiers.webhook import JsonWebhookNotifier

log = logging.getLogger(__name__)

__all__ = [
    "NOTIFIERS",
    "ConsoleNotifier",
    "EmailNotifier",
    "JsonWebhookNotifier",
    "Notifier",
    "NotifierLimits",
    "Pacer",
    "SlackBotNotifier",
    "SlackWebhookNotifier",
    "TeamsWebhookNotifier",
    "build_notifiers",
    "resolve_tls",
    "send_digest",
]


def build_notifiers(settings: Settings, stream: TextIO | None = None) -> dict[str, Notifier]:
    """Build every registered notifier that its settings switch on, keyed by kind."""
    built: dict[str, Notifier] = {}
    for kind in NOTIFIERS:
        try:
            built[kind] = NOTIFIERS.get(kind).from_settings(settings)
        except NotConfigured as exc:
            log.info("notifier %s switched off: %s", kind, exc)
            continue
    if stream is not None:
        built["console"] = ConsoleNotifier(stream)
    if "slack_channel" not in built and settings.slack.webhook_url and "slack_webhook" in built:
        built["slack_channel"] = built["slack_webhook"]  # webhook mode: no bot token, no threads
    return built
