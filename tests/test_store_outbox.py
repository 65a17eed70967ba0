"""Alerts and the outbox: no alert lost, none sent twice, threads found again."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from monitor.store import Store
from monitor.types import Alert, Incident, Severity

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def incident_id(store):
    incident = Incident(
        0,
        "Internet cut in Tigray",
        "https://example.org/t",
        ("shutdown",),
        ("Ethio Telecom",),
        (),
        ("ET",),
        T0,
        T0,
    )
    return store.save_incident(incident).id


def alert(incident_id: int, subscription: str = "investors", kind: str = "new", at: datetime = T0) -> Alert:
    return Alert(incident_id, subscription, kind, Severity.HIGH, "company Ethio Telecom; label shutdown", at)


def slack(target: str = "C123", when: datetime = T0, status: str = "pending"):
    return ("slack_channel", target, when, status)


def test_an_alert_and_its_deliveries_are_stored_together(store, incident_id):
    stored = store.add_alert(alert(incident_id), [slack(), ("email", "ngo@example.org", T0, "pending")])
    assert stored.id is not None
    assert store.get_alert(stored.id) == stored
    deliveries = store.deliveries_for_alert(stored.id)
    assert [(d.channel_kind, d.target, d.status, d.attempts) for d in deliveries] == [
        ("slack_channel", "C123", "pending", 0),
        ("email", "ngo@example.org", "pending", 0),
    ]
    assert deliveries[0].created_at == T0 and deliveries[0].next_attempt_at.tzinfo is UTC


def test_a_second_new_alert_for_the_same_pair_returns_the_first(store, incident_id):
    first = store.add_alert(alert(incident_id), [slack()])
    second = store.add_alert(alert(incident_id, at=T0 + timedelta(hours=1)), [slack("C999")])
    assert second == first
    assert len(store.alerts_for_incident(incident_id)) == 1
    assert [d.target for d in store.deliveries_for_alert(first.id)] == ["C123"]


def test_updates_and_other_subscriptions_are_separate_alerts(store, incident_id):
    store.add_alert(alert(incident_id), [slack()])
    store.add_alert(alert(incident_id, kind="update"), [slack()])
    store.add_alert(alert(incident_id, kind="update"), [slack()])
    store.add_alert(alert(incident_id, subscription="ngo"), [])
    kinds = [(a.subscription, a.kind) for a in store.alerts_for_incident(incident_id)]
    assert kinds == [("investors", "new"), ("investors", "update"), ("investors", "update"), ("ngo", "new")]


def test_racing_workers_raise_one_new_alert(store, store_url, incident_id):
    barrier = threading.Barrier(2, timeout=60)  # a failing worker must not hang the other
    results: list[Alert] = []

    def raise_alert() -> None:
        other = Store.open(store_url)
        try:
            barrier.wait()
            results.append(other.add_alert(alert(incident_id), [slack()]))
        finally:
            other.close()

    workers = [threading.Thread(target=raise_alert) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(results) == 2 and results[0] == results[1]
    assert len(store.deliveries_for_alert(results[0].id)) == 1


def test_due_deliveries_wait_for_their_time_unless_backoff_is_skipped(store, incident_id):
    stored = store.add_alert(alert(incident_id), [slack("now"), slack("later", T0 + timedelta(hours=1))])
    store.add_alert(alert(incident_id, subscription="held"), [slack("quiet", T0 + timedelta(hours=2), status="held")])
    assert [d.target for d in store.due_deliveries(T0)] == ["now"]
    assert [d.target for d in store.due_deliveries(T0, include_backoff=True)] == ["now", "later"]
    assert [d.target for d in store.due_deliveries(T0 + timedelta(hours=1))] == ["now", "later"]
    assert len(store.due_deliveries(T0, include_backoff=True, limit=1)) == 1
    assert all(d.alert_id == stored.id for d in store.due_deliveries(T0, include_backoff=True))


def test_a_claimed_delivery_is_not_claimed_twice_until_its_lease_ends(store, incident_id):
    stored = store.add_alert(alert(incident_id), [slack()])
    (delivery,) = store.deliveries_for_alert(stored.id)
    assert store.claim_delivery(delivery.id, T0, lease_s=300) is True
    assert store.claim_delivery(delivery.id, T0 + timedelta(seconds=10)) is False
    assert store.due_deliveries(T0 + timedelta(seconds=10)) == []
    # a worker that died holding the lease does not lose the delivery
    assert store.claim_delivery(delivery.id, T0 + timedelta(seconds=301)) is True


def test_retry_then_delivery_counts_attempts_and_records_the_ref(store, incident_id):
    stored = store.add_alert(alert(incident_id), [slack()])
    (delivery,) = store.deliveries_for_alert(stored.id)
    store.claim_delivery(delivery.id, T0)
    store.mark_retry(delivery.id, "rate limited", T0 + timedelta(minutes=5))
    (waiting,) = store.deliveries_for_alert(stored.id)
    assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 1, "rate limited")
    assert store.due_deliveries(T0 + timedelta(minutes=1)) == []
    assert store.claim_delivery(delivery.id, T0 + timedelta(minutes=5)) is True
    store.mark_delivered(delivery.id, T0 + timedelta(minutes=5), "1700000000.000100")
    (sent,) = store.deliveries_for_alert(stored.id)
    assert (sent.status, sent.attempts, sent.external_ref) == ("sent", 2, "1700000000.000100")
    assert sent.sent_at == T0 + timedelta(minutes=5)
    assert store.due_deliveries(T0 + timedelta(days=1), include_backoff=True) == []
    assert store.claim_delivery(delivery.id, T0 + timedelta(days=1)) is False


def test_a_failed_delivery_is_never_due_again(store, incident_id):
    stored = store.add_alert(alert(incident_id), [slack()])
    (delivery,) = store.deliveries_for_alert(stored.id)
    store.mark_failed(delivery.id, "channel_not_found")
    (failed,) = store.deliveries_for_alert(stored.id)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "channel_not_found")
    assert store.due_deliveries(T0 + timedelta(days=1), include_backoff=True) == []


def test_thread_ref_is_the_first_sent_new_alert_to_that_target(store, incident_id):
    assert store.thread_ref(incident_id, "slack_channel", "C123") is None
    new = store.add_alert(alert(incident_id), [slack("C123"), slack("C456")])
    first, _second = store.deliveries_for_alert(new.id)
    store.mark_delivered(first.id, T0, "111.1")
    update = store.add_alert(alert(incident_id, kind="update"), [slack("C123")])
    (reply,) = store.deliveries_for_alert(update.id)
    store.mark_delivered(reply.id, T0 + timedelta(hours=1), "222.2")
    assert store.thread_ref(incident_id, "slack_channel", "C123") == "111.1"
    assert store.thread_ref(incident_id, "slack_channel", "C456") is None  # not sent yet
    assert store.thread_ref(incident_id, "slack_webhook", "C123") is None


def test_routes_feed_the_digest_and_the_daily_cap(store, incident_id):
    day = T0.replace(hour=0)
    store.add_alert(alert(incident_id), [slack()])
    store.add_alert(alert(incident_id, kind="update", at=T0 + timedelta(hours=2)), [slack()])
    digest = store.add_alert(alert(incident_id, subscription="analysts"), [], route="digest")
    store.add_alert(alert(incident_id, subscription="old", at=day - timedelta(days=8)), [], route="digest")
    assert store.count_alerts_since("investors", day) == 2
    assert store.count_alerts_since("investors", T0 + timedelta(hours=1)) == 1
    assert store.count_alerts_since("analysts", day) == 0
    assert store.count_alerts_since("analysts", day, route="digest") == 1
    assert store.digest_alerts(day, day + timedelta(days=7)) == [digest]


def test_quiet_hours_hold_even_when_backoff_is_skipped(store, incident_id):
    release = T0 + timedelta(hours=8)
    stored = store.add_alert(alert(incident_id), [slack(when=release, status="held")])
    assert store.due_deliveries(T0) == []
    assert store.due_deliveries(T0, include_backoff=True) == []  # `deliver --all` never breaks quiet hours
    due = store.due_deliveries(release)
    assert [d.alert_id for d in due] == [stored.id] and due[0].status == "held"
    assert store.claim_delivery(due[0].id, release)
    store.mark_delivered(due[0].id, release, "1700000000.000001")
    assert store.due_deliveries(release + timedelta(hours=1)) == []
