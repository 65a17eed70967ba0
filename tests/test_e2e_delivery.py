"""Issue 4's done-when, through the real pipeline: loopback feeds, a Slack-compatible API, a real SMTP server.

One Block Kit message per incident and one email per recipient; polling again posts nothing; a second
outlet adds a thread reply; with Slack answering 500 for a while every alert still arrives, none twice.
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
from notifiers.base import Pacer
from notifiers.slack import SlackBotNotifier, web_client
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer
from tests.slackserver import SlackServer
from tests.smtpserver import SmtpServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

SHUTDOWN = {"title": "Ethiopia orders Ethio Telecom to shut down mobile internet across Amhara region",
            "summary": "Authorities ordered state operator Ethio Telecom to cut mobile data and SMS services across "
                       "the Amhara region amid fighting, residents and rights groups said; the shutdown has "
                       "lasted three days.", "url": "https://addis.example.org/amhara-shutdown", "hours_ago": 2}
SPYWARE = {"title": "Pegasus spyware from NSO Group found on phones of Serbian journalists, Amnesty says",
           "summary": "Forensic analysis by Amnesty International found NSO Group's Pegasus spyware on the phones "
                      "of two investigative journalists in Serbia, the latest abuse of the surveillance tool.",
           "url": "https://rights.example.org/serbia-pegasus", "hours_ago": 3}
EARNINGS = {"title": "Vodafone reports higher quarterly service revenue in Germany",
            "summary": "Vodafone said service revenue grew 2% in the quarter, helped by price rises and "
                       "broadband demand; the shares rose in early trading.",
            "url": "https://markets.example.org/vodafone-q3", "hours_ago": 4}
FOLLOW_UP = {"title": "Ethio Telecom cuts mobile internet in Amhara after government order",
             "summary": "Mobile internet and SMS were cut across Ethiopia's Amhara region after a government order "
                        "to Ethio Telecom, rights groups said, as clashes continued.",
             "url": "https://horn.example.net/ethio-telecom-amhara", "hours_ago": 1}


@pytest.fixture
def world(tmp_path):
    with FeedServer() as feeds, SlackServer() as slack, SmtpServer() as smtp:
        feeds.route("/a.xml", rss([SHUTDOWN, SPYWARE, EARNINGS], NOW), etag='"a1"')
        feeds.route("/b.xml", rss([], NOW), etag='"b0"')
        sources = write_sources(tmp_path / "sources.yaml", {"outlet-a": feeds.url("/a.xml"),
                                                            "outlet-b": feeds.url("/b.xml")})
        subs = tmp_path / "subscriptions.yaml"
        subs.write_text(yaml.safe_dump({"subscriptions": [
            {"name": "stewardship", "slack_channel": "C0STEWARD"},
            {"name": "ngo", "email": ["one@ngo.test", "two@ngo.test"]},
        ]}), encoding="utf-8")
        settings = load_settings(env={
            "RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'monitor.db'}", "RIGHTS_MONITOR_SOURCES": str(sources),
            "RIGHTS_MONITOR_SUBSCRIPTIONS": str(subs), "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url,
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none", "SMTP_FROM": "monitor@x.test",
        })
        yield feeds, slack, smtp, settings


def make_runtime(settings, clock, classifier_factory):
    rt = build_runtime(settings, clock=clock, stream=io.StringIO())
    rt.notifiers["slack_channel"] = SlackBotNotifier(web_client(settings.slack), pacer=Pacer(sleep=lambda s: None))
    rt.classifier_factory = classifier_factory
    return rt


async def cycle(rt):
    return (await run_cycle(rt)).to_json()


def test_one_alert_per_incident_then_thread_reply(world, classifier_factory):
    feeds, slack, smtp, settings = world
    clock = FrozenClock(NOW)

    async def scenario():
        rt = make_runtime(settings, clock, classifier_factory)
        try:
            report = await cycle(rt)
            assert report["new_items"] == 3 and report["incidents"] == 2
            first_posts = list(slack.posted)
            assert len(first_posts) == 2
            assert all(not p.problems and p.body.get("blocks") for p in first_posts)
            recipients = sorted(r for m in smtp.received for r in m.rcpt_tos)
            assert recipients == ["one@ngo.test", "one@ngo.test", "two@ngo.test", "two@ngo.test"]
            clock.advance(minutes=20)
            again = await cycle(rt)
            assert again["new_items"] == 0 and len(slack.posted) == 2 and len(smtp.received) == 4

            feeds.route("/b.xml", rss([FOLLOW_UP], NOW), etag='"b1"')
            clock.advance(minutes=20)
            await cycle(rt)
            replies = slack.posted[2:]
            assert len(replies) == 1, [p.body.get("text") for p in replies]
            shutdown_ts = next(p.reply_ts for p in first_posts if "Amhara" in p.body.get("text", ""))
            assert replies[0].body.get("thread_ts") == shutdown_ts
            assert len(smtp.received) == 4  # inboxes get one mail per incident
        finally:
            await rt.aclose()

    asyncio.run(scenario())


def test_slack_outage_delays_but_never_loses_or_doubles(world, classifier_factory):
    _feeds, slack, _smtp, settings = world
    clock = FrozenClock(NOW)

    async def scenario():
        rt = make_runtime(settings, clock, classifier_factory)
        try:
            slack.fail_next(count=6, status=500)
            await cycle(rt)
            assert not [p for p in slack.posted if p.ok]
            for _ in range(12):  # Slack recovers; the outbox drains as its backoff comes due
                clock.advance(minutes=10)
                await cycle(rt)
        finally:
            await rt.aclose()

    asyncio.run(scenario())
    delivered = [p for p in slack.posted if p.ok]
    assert len(delivered) == 2
    assert len({p.body.get("text") for p in delivered}) == 2


def test_a_dismissed_incident_stays_quiet_when_more_outlets_report_it(world, classifier_factory):
    feeds, slack, _smtp, settings = world
    clock = FrozenClock(NOW)

    async def scenario():
        rt = make_runtime(settings, clock, classifier_factory)
        try:
            await cycle(rt)
            amhara = next(i for i in rt.store.list_incidents() if "Amhara" in i.title)
            assert rt.store.set_incident_status(amhara.id, "dismissed")
            feeds.route("/b.xml", rss([FOLLOW_UP], NOW), etag='"b1"')
            clock.advance(minutes=20)
            report = await cycle(rt)
            return report, rt.store.get_incident(amhara.id), len(rt.store.list_incidents())
        finally:
            await rt.aclose()

    report, amhara, count = asyncio.run(scenario())
    assert report["new_items"] == 1 and report["alerts"] == 0
    assert amhara.status == "dismissed" and amhara.source_count == 2
    assert count == 2 and len(slack.posted) == 2
