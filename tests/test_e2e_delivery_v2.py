"""Issue 10's done-when through the real pipeline: loopback feeds, SMTP server and webhook receivers.

A Teams webhook and a signed JSON webhook receive the same alert; an email subscriber gets a threaded
update (In-Reply-To the first alert) when the shutdown they were alerted to spreads to another country.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
import yaml

from monitor.clock import FrozenClock
from monitor.config import load_settings
from monitor.pipeline import run_cycle
from monitor.wiring import build_runtime
from notifiers.webhook import SIGNATURE_HEADER, verify
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer
from tests.smtpserver import SmtpServer
from tests.webhookserver import WebhookServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHUTDOWN = {"title": "Ethiopia orders Ethio Telecom to shut down mobile internet across Amhara region",
            "summary": "Authorities ordered state operator Ethio Telecom to cut mobile data and SMS services across "
                       "the Amhara region amid fighting, residents and rights groups said.",
            "url": "https://addis.example.org/amhara-shutdown", "hours_ago": 2}
SPREADS = {"title": "Ethio Telecom internet shutdown spreads from Amhara into Tigray and across the border to Sudan",
           "summary": "The mobile internet shutdown ordered in Ethiopia spread to Tigray and to Sudan's border "
                      "towns served by Ethio Telecom, rights groups said; Sudan's Gedaref is also cut off.",
           "url": "https://horn.example.net/shutdown-spreads", "hours_ago": 1}


@pytest.fixture
def world(tmp_path):
    with FeedServer() as feeds, SmtpServer() as smtp, WebhookServer() as hooks:
        feeds.route("/a.xml", rss([SHUTDOWN], NOW), etag='"a1"')
        feeds.route("/b.xml", rss([], NOW), etag='"b0"')
        sources = write_sources(tmp_path / "sources.yaml", {"outlet-a": feeds.url("/a.xml"),
                                                            "outlet-b": feeds.url("/b.xml")})
        subs = tmp_path / "subscriptions.yaml"
        subs.write_text(yaml.safe_dump({"subscriptions": [
            {"name": "ngo", "email": ["desk@ngo.test"], "labels": ["shutdown"]},
            {"name": "teams", "teams_webhook": hooks.url("/teams"), "labels": ["shutdown"]},
            {"name": "tool", "json_webhook": hooks.url("/json"), "secret_env": "HOOK_KEY", "labels": ["shutdown"],
             "updates": "none"},
        ]}), encoding="utf-8")
        settings = load_settings(env={
            "RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'monitor.db'}", "RIGHTS_MONITOR_SOURCES": str(sources),
            "RIGHTS_MONITOR_SUBSCRIPTIONS": str(subs), "RIGHTS_MONITOR_ALLOW_HOSTS": "127.0.0.1",
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none", "SMTP_FROM": "monitor@x.test",
        })
        yield feeds, smtp, hooks, settings


def test_webhooks_get_the_same_alert_and_email_threads_the_spread(world, classifier_factory, monkeypatch):
    feeds, smtp, hooks, settings = world
    monkeypatch.setenv("HOOK_KEY", "s3cret")
    clock = FrozenClock(NOW)

    async def scenario():
        rt = build_runtime(settings, clock=clock, stream=io.StringIO())
        rt.classifier_factory = classifier_factory
        try:
            await run_cycle(rt)
            [teams] = hooks.delivered("/teams")
            [signed] = hooks.delivered("/json")
            [first_mail] = smtp.received
            feeds.route("/b.xml", rss([SPREADS], NOW), etag='"b1"')
            clock.advance(minutes=30)
            await run_cycle(rt)
            return teams, signed, first_mail, rt.store.list_incidents()
        finally:
            await rt.aclose()

    teams, signed, first_mail, incidents = asyncio.run(scenario())
    payload = signed.json
    card = teams.json["attachments"][0]["content"]
    assert payload["incident"]["title"] in " ".join(b.get("text", "") for b in card["body"]).replace("\\", "")
    assert verify(b"s3cret", signed.body, signed.headers[SIGNATURE_HEADER.lower()])
    assert len(incidents) == 1 and "SD" in incidents[0].countries

    first = first_mail.message
    [update] = [m.message for m in smtp.received[1:]]
    assert update["In-Reply-To"] == first["Message-ID"] and update["References"] == first["Message-ID"]
    assert len(hooks.delivered("/json")) == 1  # updates: none
    assert len(hooks.delivered("/teams")) == 2  # material by default: the new country
