"""Digests through the outbox, to every channel: `digest --week W --send` as a user runs it.

A Slack subscription in digest mode gets a compact Block Kit digest in its channel, a Teams one a card,
the analysts an email with the chart inline; a Slack outage leaves the digest retrying, visible in
`deliveries`, and sent once on the next drain; a second `--send` of the same week queues nothing.
"""

from __future__ import annotations

import json

import pytest

from monitor.store import Store
from tests.slackserver import SlackServer
from tests.smtpserver import SmtpServer
from tests.test_cli import ROOT, invoke, stored_incident
from tests.webhookserver import WebhookServer


@pytest.fixture
def env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'cli.db'}", "RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml"),
            "COLUMNS": "220"}


def subscribe(env, *args):
    result = invoke(["subscribe", *args, "--mode", "digest"], env)
    assert result.exit_code == 0, result.output


def test_digest_mode_on_every_channel_through_the_outbox(tmp_path, env):
    stored_incident(env)
    with SlackServer() as slack, SmtpServer() as smtp, WebhookServer() as hooks:
        run_env = {**env, "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url,
                   "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none",
                   "RIGHTS_MONITOR_DIGEST_TO": "analysts@example.org", "RIGHTS_MONITOR_ALLOW_HOSTS": "127.0.0.1",
                   "RIGHTS_MONITOR_PUBLIC_URL": "https://monitor.example.org"}
        subscribe(run_env, "weekly-slack", "--slack-channel", "C0DIGEST")
        subscribe(run_env, "weekly-teams", "--teams-webhook", hooks.url("/teams"))
        slack.fail_next(count=1, status=503)
        args = ["digest", "--week", "2026-W47", "--out", str(tmp_path / "d"), "--send"]
        first = invoke(args, run_env)
        assert first.exit_code == 0, first.output
        assert "queued 3 digest deliveries; delivered 2, 1 to retry" in first.output
        listing = json.loads(invoke(["deliveries", "--status", "retrying", "--json"], run_env).output)
        assert [d["channel"] for d in listing] == ["slack_channel"]

        assert invoke(["deliver", "--all"], run_env).exit_code == 0
        again = invoke(args, run_env)
        assert "no digest recipients queued" in again.output

    [post] = [p for p in slack.posted if p.ok]
    assert post.body["channel"] == "C0DIGEST" and not post.problems
    blocks = post.body["blocks"] if isinstance(post.body["blocks"], list) else json.loads(post.body["blocks"])
    text = json.dumps(blocks)
    assert "2026-W47" in text and "1 incident" in text and "Amhara" in text
    assert "https://monitor.example.org/incidents?since=2026-11-16" in text
    [card] = hooks.delivered("/teams")
    assert "2026-W47" in json.dumps(card.json)
    [mail] = smtp.received
    assert mail.rcpt_tos == ("analysts@example.org",)
    assert any(part.get_content_type() == "image/png" for part in mail.message.walk())
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        sent = store.list_deliveries(status="sent")
    finally:
        store.close()
    assert len(sent) == 3 and all(d.digest_id is not None and d.alert_id is None for d in sent)


def test_a_daily_digest_subscription_gets_the_day_and_weekly_readers_do_not(tmp_path, env):
    from datetime import UTC, date, datetime

    from monitor.config import load_settings
    from monitor.delivery import drain_outbox
    from monitor.watchlist import load_watchlist
    from monitor.weekly import queue_daily_digest
    from notifiers.base import Pacer
    from notifiers.slack import SlackBotNotifier, web_client

    stored_incident(env)
    with SlackServer() as slack:
        run_env = {**env, "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url}
        subscribe(run_env, "daily", "--slack-channel", "C0DAILY", "--digest-every", "day")
        subscribe(run_env, "weekly", "--slack-channel", "C0WEEKLY")
        settings = load_settings(env=run_env)
        now = datetime(2026, 11, 19, 7, tzinfo=UTC)
        store = Store.open(env["RIGHTS_MONITOR_DB"])
        try:
            watchlist = load_watchlist()
            assert queue_daily_digest(store, settings, [], date(2026, 11, 18), now, watchlist) == [
                "slack_channel C0DAILY"]
            assert queue_daily_digest(store, settings, [], date(2026, 11, 18), now, watchlist) == []  # once
            notifier = SlackBotNotifier(web_client(settings.slack), pacer=Pacer(sleep=lambda s: None))
            report = drain_outbox(store, {"slack_channel": notifier}, watchlist, now)
        finally:
            store.close()
    assert report.delivered == 1
    [post] = slack.posted
    assert post.body["channel"] == "C0DAILY" and "daily digest 2026-11-18" in json.dumps(post.body)


def test_a_digest_sent_before_a_crash_is_found_in_slack_and_not_posted_again(env):
    from datetime import UTC, date, datetime

    from monitor.config import load_settings
    from monitor.delivery import drain_outbox
    from monitor.watchlist import load_watchlist
    from monitor.weekly import queue_daily_digest
    from notifiers.base import Pacer
    from notifiers.slack import SlackBotNotifier, web_client

    stored_incident(env)
    with SlackServer() as slack:
        run_env = {**env, "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.api_url}
        subscribe(run_env, "daily", "--slack-channel", "C0DAILY", "--digest-every", "day")
        settings = load_settings(env=run_env)
        now = datetime(2026, 11, 19, 7, tzinfo=UTC)
        store = Store.open(env["RIGHTS_MONITOR_DB"])
        try:
            watchlist = load_watchlist()
            queue_daily_digest(store, settings, [], date(2026, 11, 18), now, watchlist)
            [pending] = store.list_deliveries(status="pending")
            notifier = SlackBotNotifier(web_client(settings.slack), pacer=Pacer(sleep=lambda s: None))
            # the crash: the intent was recorded and the digest posted, then the process died before the record
            key = store.record_intent(pending.id, "<rm.d1.1.crash@x.test>", now)
            notifier.send_digest(store.get_digest(pending.digest_id), "C0DAILY", key)
            report = drain_outbox(store, {"slack_channel": notifier}, watchlist, now)
            [sent] = store.list_deliveries(status="sent")
        finally:
            store.close()
    assert report.reconciled == 1 and len(slack.posted) == 1 and sent.id == pending.id
