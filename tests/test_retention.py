"""Issue 12, item 5: items without an incident are dropped after N days; incidents and their reports stay."""

from __future__ import annotations

from datetime import timedelta

from monitor.retention import prune_store
from monitor.types import Classification, RawItem


def store_item(store, n: int, fetched_at):
    raw = RawItem(source="s", title=f"Story {n}", url=f"https://x.test/{n}", guid=f"g{n}", summary="s")
    return store.add_items("s", [(raw, raw.url, f"h{n}", True, "en")], fetched_at)[0]


def test_old_items_without_incident_go_and_incidents_stay(store, clock):
    from tests.test_store_incidents import incident  # a minimal Incident

    now = clock.now()
    old, old_linked, fresh, unprocessed = (store_item(store, n, now - timedelta(days=d))
                                           for n, d in ((1, 40), (2, 40), (3, 1), (4, 40)))
    saved = store.save_incident(incident())
    store.link_item(old_linked.id, saved.id)
    for item in (old, old_linked, fresh):
        store.save_classification(item.id, Classification(id=str(item.id)), "rules", now)
    store.mark_processed([old.id, old_linked.id, fresh.id], now)

    assert prune_store(store, now, days=30) == 1
    assert store.get_item(old.id) is None and store.get_classification(old.id) is None
    assert store.get_item(old_linked.id) is not None  # it reports an incident
    assert store.get_item(fresh.id) is not None
    assert store.get_item(unprocessed.id) is not None  # still to classify: kept whatever its age
    assert store.get_incident(saved.id) is not None
    assert prune_store(store, now, days=30) == 0
