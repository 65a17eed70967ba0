"""Issue 13, item 2: a crash between a send and its record does not send twice; a dead holder's lease is
taken over at once; permanent failures can be requeued once fixed; `deliveries` says why each waits."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from monitor import lease
from monitor.cli import cli
from monitor.delivery import delivery_reason, drain_outbox, shown_status
from monitor.errors import DeliveryError
from monitor.store import Store
from monitor.types import Alert, Incident, SendReceipt, Severity
from notifiers.base import Pacer
from notifiers.slack import SlackBotNotifier, web_client
from tests.slackserver import SlackServer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def queue_alert(store: Store, targets=(("slack_channel", "C1"),), at: datetime = T0) -> int:
    incident = store.save_incident(Incident(0, "Internet cut in Tigray", "https://example.org/t", ("shutdown",),
                                            ("Ethio Telecom",), (), ("ET",), at, at))
    alert = store.add_alert(Alert(incident.id, "investors", "new", Severity.HIGH, "why", at),
                            [(kind, target, at, "pending") for kind, target in targets])
    return alert.id


class Recorder:
    """A notifier that records sends, and can fail (permanently) or be told a message was already sent."""

    kind = "slack_channel"

    def __init__(self, fail: DeliveryError | None = None) -> None:
        self.sent, self.fail, self.known = [], fail, set()

    def send(self, message, target):
        if self.fail:
            raise self.fail
        self.sent.append((message.key, target))
        return SendReceipt(external_ref=f"ts-{len(self.sent)}")

    def find_sent(self, message, target):
        return SendReceipt(external_ref="found") if message.key in self.known else None


def drain(store, notifier, now=T0, **kw):
    return drain_outbox(store, {"slack_channel": notifier, "email": notifier}, None, now, **kw)


def dead_holder() -> str:
    child = subprocess.run([sys.executable, "-c", "from monitor.lease import holder_id; print(holder_id())"],
                           capture_output=True, text=True, check=True)
    return child.stdout.strip()  # the child has exited: its pid is gone


def test_a_dead_holders_lease_is_taken_over_at_once_and_a_live_ones_is_not(store):
    alert_id = queue_alert(store, targets=(("slack_channel", "C1"), ("slack_channel", "C2")))
    first, second = store.deliveries_for_alert(alert_id)
    assert store.claim_delivery(first.id, T0, holder=dead_holder())
    assert store.claim_delivery(second.id, T0, holder=lease.holder_id())  # this very process: alive
    notifier = Recorder()
    report = drain(store, notifier, now=T0 + timedelta(seconds=5))
    assert report.delivered == 1 and [t for _, t in notifier.sent] == ["C1"]
    assert store.deliveries_for_alert(alert_id)[1].status == "pending"


def test_holders_on_other_hosts_or_with_a_reused_pid_are_judged_right():
    assert lease.holder_gone("elsewhere:1:1", host="here") is False
    assert lease.holder_gone("here:123:999", host="here", alive=lambda pid, start: False) is True
    assert lease.holder_gone("here:123:999", host="here", alive=lambda pid, start: True) is False
    assert lease.holder_gone("garbage", host="here") is False


def test_a_send_in_flight_at_a_crash_is_looked_up_not_sent_again(store):
    alert_id = queue_alert(store)
    (delivery,) = store.deliveries_for_alert(alert_id)
    # The crashed process had claimed it and recorded its intent, then died before recording the send.
    store.claim_delivery(delivery.id, T0, holder=dead_holder())
    key = store.record_intent(delivery.id, "<rm.crashed@x>", T0)
    notifier = Recorder()
    notifier.known.add(key)
    report = drain(store, notifier, now=T0 + timedelta(seconds=1))
    assert report.reconciled == 1 and report.delivered == 1 and notifier.sent == []
    (done,) = store.deliveries_for_alert(alert_id)
    assert (done.status, done.external_ref, done.intent_key) == ("sent", "found", key)


def test_the_intent_key_is_chosen_once_and_kept_across_attempts(store):
    alert_id = queue_alert(store, targets=(("email", "ngo@example.org"),))
    (delivery,) = store.deliveries_for_alert(alert_id)
    first = store.record_intent(delivery.id, "<a@x>", T0)
    assert store.record_intent(delivery.id, "<b@x>", T0) == first == "<a@x>"


def test_slack_lookup_by_message_metadata_against_the_loopback_api():
    from monitor.types import Evidence

    incident = Incident(1, "Shutdown in Amhara", "https://e.org/a", ("shutdown",), ("Ethio Telecom",), (), ("ET",),
                        T0, T0, evidence=(Evidence("shutdown", "cut"),))
    from monitor.types import Message
    message = Message(incident=incident, alert=Alert(1, "s", "new", Severity.HIGH, "why", T0, id=1), key="<rm.1.1@x>")
    with SlackServer() as slack:
        from monitor.config import SlackSettings

        bot = SlackBotNotifier(web_client(SlackSettings(bot_token=slack.token, api_url=slack.api_url)),
                               Pacer(sleep=lambda s: None))
        assert bot.find_sent(message, "C1") is None
        receipt = bot.send(message, "C1")
        found = bot.find_sent(message, "C1")
        other = bot.find_sent(Message(incident=incident, alert=message.alert, key="<rm.other@x>"), "C1")
    assert found == receipt and other is None


def test_permanent_failures_are_requeued_with_retry_failed_and_then_delivered(store):
    alert_id = queue_alert(store, targets=(("email", "ngo@example.org"),))
    broken = Recorder(fail=DeliveryError("email smtp:587: login refused (535)", retryable=False))
    assert drain(store, broken).failed == 1
    (failed,) = store.deliveries_for_alert(alert_id)
    assert shown_status(failed) == "failed" and "535" in delivery_reason(failed, T0)
    assert store.requeue_failed(since=T0 + timedelta(days=1)) == 0  # --since excludes older ones
    assert store.requeue_failed() == 1
    fixed = Recorder()
    assert drain(store, fixed, include_backoff=True).delivered == 1
    assert store.deliveries_for_alert(alert_id)[0].status == "sent"


def test_dropped_deliveries_of_dismissed_incidents_are_never_requeued(store):
    alert_id = queue_alert(store)
    store.set_incident_status(store.get_alert(alert_id).incident_id, "dismissed")
    assert drain(store, Recorder()).dropped == 1
    assert store.requeue_failed() == 0


@pytest.fixture
def cli_env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'cli.db'}", "COLUMNS": "200"}


def test_deliveries_and_deliver_retry_failed_on_the_command_line(cli_env, tmp_path):
    store = Store.open(cli_env["RIGHTS_MONITOR_DB"])
    try:
        hook = "https://hooks.slack.com/services/T0SECRET/B0SECRET/abcdefSECRET"
        alert_id = queue_alert(store, targets=(("email", "ngo@example.org"), ("slack_webhook", hook)))
        mail, webhook = store.deliveries_for_alert(alert_id)
        store.claim_delivery(mail.id, T0)
        store.mark_failed(mail.id, "email smtp:25: login refused (535)")
        store.claim_delivery(webhook.id, T0)
        store.mark_retry(webhook.id, f"slack webhook {hook}: HTTP 500", T0 + timedelta(days=3650))
    finally:
        store.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["deliveries", "--json"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    rows = {r["channel"]: r for r in json.loads(listed.output)}
    assert rows["email"]["status"] == "failed" and "535" in rows["email"]["reason"]
    assert rows["slack_webhook"]["status"] == "retrying" and "HTTP 500" in rows["slack_webhook"]["reason"]
    table = runner.invoke(cli, ["deliveries", "--status", "failed"], env=cli_env)
    assert "535" in table.output and "slack_webhook" not in table.output
    assert "SECRET" not in listed.output + runner.invoke(cli, ["deliveries"], env=cli_env).output
    requeued = runner.invoke(cli, ["deliver", "--retry-failed", "--since", "2026-03-01"], env=cli_env)
    assert requeued.exit_code == 0, requeued.output
    assert "requeued 1 failed deliveries" in requeued.output
    assert runner.invoke(cli, ["deliver", "--since", "2026-03-01"], env=cli_env).exit_code == 2


class PagedHistory:
    """A Web API client stand-in whose history comes in pages (the real API's cursor shape)."""

    def __init__(self, pages):
        self.pages, self.cursors = pages, []

    def conversations_history(self, channel, include_all_metadata, limit, cursor=None):
        self.cursors.append(cursor)
        index = int(cursor or 0)
        nxt = str(index + 1) if index + 1 < len(self.pages) else ""
        return {"ok": True, "messages": self.pages[index], "response_metadata": {"next_cursor": nxt}}


def test_the_slack_lookup_follows_history_pages_and_stops_at_its_bound():
    from monitor.types import Message

    incident = Incident(1, "Shutdown", "https://e.org/a", ("shutdown",), (), (), ("ET",), T0, T0)
    message = Message(incident=incident, alert=Alert(1, "s", "new", Severity.HIGH, "why", T0, id=1), key="<k@x>")
    tagged = {"ts": "9.1", "metadata": {"event_type": "rights_monitor_alert", "event_payload": {"key": "<k@x>"}}}
    client = PagedHistory([[{"ts": "1.1"}], [{"ts": "2.1"}], [tagged]])
    assert SlackBotNotifier(client).find_sent(message, "C1") == SendReceipt(external_ref="9.1")
    assert client.cursors == [None, "1", "2"]
    far = PagedHistory([[{"ts": f"{n}.1"}] for n in range(10)] + [[tagged]])
    assert SlackBotNotifier(far).find_sent(message, "C1") is None and len(far.cursors) == 5
