"""Incidents and subscriptions round-trip through the store with every field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.errors import StoreError
from monitor.store import Store
from monitor.types import Channel, Evidence, Incident, QuietHours, RawItem, Severity, Subscription
from tests.pgdb import BACKENDS, database_url

T0 = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with database_url(request.param, tmp_path, migrated=True) as url:
        opened = Store.open(url)
        try:
            yield opened
        finally:
            opened.close()


def incident(
    title: str = "Mobile internet cut in Tigray", first: datetime = T0, last: datetime | None = None
) -> Incident:
    return Incident(
        id=0,
        title=title,
        url="https://example.org/tigray",
        labels=("shutdown", "censorship"),
        companies=("Ethio Telecom",),
        inferred_companies=("Safaricom Ethiopia",),
        countries=("ET",),
        first_seen=first,
        last_seen=last or first,
        source_count=2,
        item_count=3,
        severity=Severity.CRITICAL,
        severity_reasons=("region-wide shutdown", "2 independent outlets"),
        evidence=(Evidence("shutdown", "mobile internet was cut"),),
        scores={"shutdown": 0.97, "censorship": 0.41},
        status="open",
        alertable=False,
        sources=("example.org", "news.example.net"),
        urls=("https://example.org/tigray", "https://news.example.net/a"),
        lang="en",
    )


def test_a_new_incident_gets_an_id_and_round_trips_every_field(store):
    saved = store.save_incident(incident())
    assert saved.id > 0
    assert saved == replace(incident(), id=saved.id)
    assert store.get_incident(saved.id) == saved
    assert store.get_incident(saved.id + 1) is None


def test_saving_an_incident_with_an_id_updates_it(store):
    saved = store.save_incident(incident())
    merged = replace(
        saved, item_count=4, last_seen=T0 + timedelta(hours=2), urls=saved.urls + ("https://c.example/x",)
    )
    assert store.save_incident(merged) == merged
    assert store.get_incident(saved.id) == merged
    with pytest.raises(StoreError):
        store.save_incident(replace(merged, id=saved.id + 50))


def test_recent_and_listed_incidents_filter_by_status_and_time(store):
    old = store.save_incident(incident("old", first=T0 - timedelta(days=10)))
    fresh = store.save_incident(incident("fresh", first=T0 - timedelta(days=1)))
    dismissed = store.save_incident(incident("dismissed", first=T0))
    assert store.set_incident_status(dismissed.id, "dismissed") is True
    assert store.set_incident_status(dismissed.id + 99, "dismissed") is False
    week_ago = T0 - timedelta(days=7)
    assert [i.title for i in store.recent_incidents(week_ago)] == ["fresh"]
    assert [i.title for i in store.recent_incidents(week_ago, status="dismissed")] == ["dismissed"]
    assert [i.id for i in store.list_incidents()] == [dismissed.id, fresh.id, old.id]
    assert [i.id for i in store.list_incidents(status="open", limit=1)] == [fresh.id]
    assert [i.id for i in store.list_incidents(since=week_ago)] == [dismissed.id, fresh.id]
    assert [i.id for i in store.incidents_between(T0 - timedelta(days=10), T0)] == [old.id, fresh.id]


def test_an_unknown_status_is_refused(store):
    saved = store.save_incident(incident())
    with pytest.raises(ValueError):
        store.set_incident_status(saved.id, "closed")


def test_linked_items_are_the_incidents_items(store):
    saved = store.save_incident(incident())
    raws = [RawItem("amnesty", f"t{n}", url=f"https://a.example/{n}", guid=str(n)) for n in range(3)]
    items = store.add_items("amnesty", [(r, r.url, f"h{n}", True, "en") for n, r in enumerate(raws)], T0)
    store.link_item(items[0].id, saved.id)
    store.link_item(items[2].id, saved.id)
    linked = store.incident_items(saved.id)
    assert [i.id for i in linked] == [items[0].id, items[2].id]
    assert all(i.incident_id == saved.id for i in linked)


FULL = Subscription(
    name="investors-eu",
    channel=Channel("email", ("a@example.org", "b@example.org")),
    companies=("MTN Group",),
    watchlists=("african-telcos",),
    tickers=("MTN.JO", "ZAE000042164"),
    labels=("shutdown", "surveillance"),
    countries=("NG", "ET"),
    min_severity=Severity.HIGH,
    mode="digest",
    quiet_hours=QuietHours("22:00", "07:00"),
    timezone="Africa/Lagos",
    daily_cap=5,
)


def test_subscriptions_round_trip_every_field(store):
    minimal = Subscription("console", Channel("console", ("-",)))
    store.upsert_subscription(FULL)
    store.upsert_subscription(minimal)
    assert store.get_subscription("investors-eu") == FULL
    assert store.list_subscriptions() == [minimal, FULL]


def test_upserting_a_subscription_replaces_it_and_delete_removes_it(store):
    store.upsert_subscription(FULL)
    changed = replace(FULL, channel=Channel("slack_channel", ("C1",)), quiet_hours=None, daily_cap=None)
    store.upsert_subscription(changed)
    assert store.list_subscriptions() == [changed]
    assert store.delete_subscription("investors-eu") is True
    assert store.delete_subscription("investors-eu") is False
    assert store.get_subscription("investors-eu") is None
