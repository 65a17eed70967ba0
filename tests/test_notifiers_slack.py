"""Slack delivery through real slack-sdk clients against the loopback Slack server."""

from __future__ import annotations

import dataclasses

import pytest

from monitor.config import Settings, SlackSettings
from monitor.errors import DeliveryError, NotConfigured
from monitor.netguard import UrlGuard
from monitor.registry import Deps
from notifiers.base import Pacer
from notifiers.slack import SlackBotNotifier, SlackWebhookNotifier, api_base_url, web_client
from tests.slackserver import SlackServer
from tests.smtpserver import closed_port
from tests.test_notifiers_render import hostile_message, make_message

TOKEN = "xoxb-test-token"


class FakeTime:
    """A monotonic clock that moves only when the pacer sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def slack():
    with SlackServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def fake_time():
    return FakeTime()


def bot(server: SlackServer, fake_time: FakeTime, api_url: str | None = None) -> SlackBotNotifier:
    slack_settings = SlackSettings(bot_token=TOKEN, api_url=api_url or server.api_url)
    return SlackBotNotifier(
        web_client(slack_settings), Pacer(sleep=fake_time.sleep, monotonic=fake_time.monotonic)
    )


# --------------------------------------------------------------------------- bot


@pytest.mark.parametrize("trailing", ["/", ""])
def test_bot_posts_valid_blocks_and_returns_ts(slack, fake_time, trailing):
    notifier = bot(slack, fake_time, api_url=slack.api_url.rstrip("/") + trailing)
    receipt = notifier.send(make_message(), "C0INVEST")
    [post] = slack.posted
    assert post.token == TOKEN and post.problems == []
    assert post.body["channel"] == "C0INVEST" and post.body["text"]
    assert receipt.external_ref == "1700000000.000001" == post.reply_ts
    assert post.status == 200 and post.ok
    assert "thread_ts" not in post.body


def test_bot_escapes_hostile_feed_text_on_the_wire(slack, fake_time):
    bot(slack, fake_time).send(hostile_message(), "C0INVEST")
    raw = str(slack.posted[0].body)
    for injected in ("<!channel>", "<!here>", "<@U123>", "<http://evil", "<script>", "javascript:"):
        assert injected not in raw


def test_bot_update_replies_in_the_thread_of_the_first_message(slack, fake_time):
    notifier = bot(slack, fake_time)
    first = notifier.send(make_message(), "C0INVEST")
    update = make_message("update")
    receipt = notifier.send(dataclasses.replace(update, thread_ref=first.external_ref), "C0INVEST")
    reply = slack.posted[1]
    assert reply.body["thread_ts"] == first.external_ref
    assert "3 more sources" in str(reply.body["blocks"])
    assert receipt.external_ref == first.external_ref  # later updates keep threading on the parent


def test_new_alert_never_threads_even_with_a_thread_ref(slack, fake_time):
    message = make_message()
    bot(slack, fake_time).send(dataclasses.replace(message, thread_ref="1.2"), "C1")
    assert "thread_ts" not in slack.posted[0].body


def test_server_error_is_retryable(slack, fake_time):
    slack.fail_next(1, status=500)
    with pytest.raises(DeliveryError) as caught:
        bot(slack, fake_time).send(make_message(), "C1")
    assert caught.value.retryable and len(slack.requests) == 1  # slack-sdk did not retry by itself
    assert slack.requests[0].status == 500 and not slack.requests[0].ok


def test_rate_limit_is_retryable_after_the_servers_delay(slack, fake_time):
    slack.throttle_next(retry_after=17)
    with pytest.raises(DeliveryError) as caught:
        bot(slack, fake_time).send(make_message(), "C1")
    assert caught.value.retryable and caught.value.retry_after_s == 17


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_channel_errors_are_not_retryable(slack, fake_time, error):
    slack.reject_next(error)
    with pytest.raises(DeliveryError, match=error) as caught:
        bot(slack, fake_time).send(make_message(), "C404")
    assert not caught.value.retryable and slack.posted[0].ok is False


def test_wrong_token_is_not_retryable(slack, fake_time):
    settings = Settings(slack=SlackSettings(bot_token="xoxb-wrong", api_url=slack.api_url))
    with pytest.raises(DeliveryError, match="invalid_auth") as caught:
        SlackBotNotifier.from_config(settings, Deps(sleep=fake_time.sleep)).send(make_message(), "C1")
    assert not caught.value.retryable


def test_unreachable_slack_is_retryable(fake_time):
    settings = Settings(slack=SlackSettings(bot_token=TOKEN, api_url=f"http://127.0.0.1:{closed_port()}/api"))
    with pytest.raises(DeliveryError) as caught:
        SlackBotNotifier.from_config(settings, Deps(sleep=fake_time.sleep)).send(make_message(), "C1")
    assert caught.value.retryable


def test_pacing_waits_about_a_second_per_channel_through_injected_sleep(slack, fake_time):
    notifier = bot(slack, fake_time)
    notifier.send(make_message(), "C1")
    notifier.send(make_message(), "C2")  # another channel: no wait
    fake_time.now += 0.25
    notifier.send(make_message(), "C1")
    assert fake_time.slept == [pytest.approx(0.75)]
    assert [p.body["channel"] for p in slack.posted] == ["C1", "C2", "C1"]


def test_bot_needs_a_token():
    with pytest.raises(NotConfigured):
        SlackBotNotifier.from_config(Settings(), Deps())


def test_api_base_url_gets_exactly_one_trailing_slash():
    assert api_base_url("http://h:1/api") == api_base_url("http://h:1/api/") == "http://h:1/api/"
    assert api_base_url(None) == "https://slack.com/api/"


# --------------------------------------------------------------------------- webhook


def webhook(fake_time: FakeTime, default_url: str | None = None) -> SlackWebhookNotifier:
    return SlackWebhookNotifier(default_url, Pacer(sleep=fake_time.sleep, monotonic=fake_time.monotonic),
                                guard=UrlGuard(allow=("127.0.0.1",)))  # the loopback Slack, by consent


def test_webhook_posts_valid_blocks_to_the_target_url(slack, fake_time):
    receipt = webhook(fake_time).send(make_message(), slack.webhook_url)
    [post] = slack.webhook_posts
    assert post.problems == [] and post.body["text"] and post.body["blocks"]
    assert receipt.external_ref is None


def test_webhook_update_is_a_short_message(slack, fake_time):
    webhook(fake_time).send(make_message("update"), slack.webhook_url)
    body = slack.webhook_posts[0].body
    assert len(body["blocks"]) == 2 and "3 more sources" in str(body["blocks"])
    assert "thread_ts" not in body


def test_webhook_falls_back_to_the_configured_url(slack, fake_time):
    webhook(fake_time, default_url=slack.webhook_url).send(make_message(), "#investors")
    assert len(slack.webhook_posts) == 1


def test_webhook_errors_are_classified_and_the_url_stays_secret(slack, fake_time):
    notifier = webhook(fake_time)
    slack.throttle_next(retry_after=9)
    with pytest.raises(DeliveryError) as throttled:
        notifier.send(make_message(), slack.webhook_url)
    slack.fail_next(1, status=404)
    with pytest.raises(DeliveryError) as gone:
        notifier.send(make_message(), slack.webhook_url)
    assert throttled.value.retryable and throttled.value.retry_after_s == 9
    assert not gone.value.retryable and "XXXX" not in str(gone.value)


def test_webhook_without_any_url_is_not_retryable(fake_time):
    with pytest.raises(DeliveryError) as caught:
        webhook(fake_time).send(make_message(), "javascript:alert(1)")
    assert not caught.value.retryable
