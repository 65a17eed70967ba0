"""Items: stored once whatever the source, found again after a crash, counted; sources and health."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from monitor.store import Store
from monitor.types import Classification, Evidence, RawItem, SourceConfig, SourceHealth

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def entry(
    n: int,
    source: str = "amnesty",
    url: str | None = None,
    digest: str | None = None,
    guid: str | None = None,
):
    raw = RawItem(
        source=source,
        title=f"Shutdown {n}",
        url=url if url is not None else f"https://example.org/{n}?utm_source=x",
        guid=guid if guid is not None else f"guid-{n}",
        summary=f"Mobile data cut in region {n}",
        published=T0 - timedelta(hours=n),
        lang="en",
    )
    canonical = url if url is not None else f"https://example.org/{n}"
    return (raw, canonical, digest or f"hash-{n}", True, None)


def test_add_items_returns_the_stored_items_with_ids(store):
    added = store.add_items("amnesty", [entry(1), entry(2)], fetched_at=T0)
    assert [i.title for i in added] == ["Shutdown 1", "Shutdown 2"]
    assert all(i.id > 0 for i in added)
    assert store.get_item(added[0].id) == added[0]
    assert added[0].canonical_url == "https://example.org/1"
    assert added[0].url == "https://example.org/1?utm_source=x"


def test_re_adding_the_same_items_returns_nothing(store):
    store.add_items("amnesty", [entry(1), entry(2)], fetched_at=T0)
    assert store.add_items("amnesty", [entry(1), entry(2)], fetched_at=T0 + timedelta(hours=1)) == []
    assert store.count_items() == 2


def test_the_same_canonical_url_from_another_source_is_not_stored_again(store):
    store.add_items("amnesty", [entry(1)], fetched_at=T0)
    again = entry(1, source="hrw", digest="other-hash", guid="hrw-1")
    assert store.add_items("hrw", [again], fetched_at=T0) == []


def test_the_same_content_hash_under_another_url_is_not_stored_again(store):
    store.add_items("amnesty", [entry(1)], fetched_at=T0)
    copy = entry(5, source="hrw", url="https://mirror.example.net/a", digest="hash-1")
    assert store.add_items("hrw", [copy], fetched_at=T0) == []


def test_duplicates_inside_one_batch_are_stored_once(store):
    added = store.add_items("amnesty", [entry(1), entry(7, digest="hash-1")], fetched_at=T0)
    assert [i.guid for i in added] == ["guid-1"]


def test_items_without_url_never_collide_on_it(store):
    added = store.add_items("amnesty", [entry(1, url=""), entry(2, url="")], fetched_at=T0)
    assert len(added) == 2


def test_an_empty_guid_falls_back_to_the_canonical_url(store):
    (item,) = store.add_items("amnesty", [entry(1, guid="")], fetched_at=T0)
    assert item.guid == "https://example.org/1"


def test_the_given_language_and_alertable_flag_are_kept(store):
    raw, canonical, digest, _, _ = entry(1)
    (item,) = store.add_items("amnesty", [(raw, canonical, digest, False, "fr")], fetched_at=T0)
    assert (item.lang, item.alertable) == ("fr", False)
    assert store.get_item(item.id).alertable is False


def test_datetimes_come_back_aware_in_utc(store):
    east = timezone(timedelta(hours=3))
    (item,) = store.add_items("amnesty", [entry(1)], fetched_at=T0.astimezone(east))
    loaded = store.get_item(item.id)
    assert loaded.fetched_at == T0
    assert loaded.fetched_at.tzinfo is UTC
    assert loaded.published.tzinfo is UTC


def test_unprocessed_items_are_found_again_after_a_crash(store, store_url):
    first, second, third = store.add_items("amnesty", [entry(1), entry(2), entry(3)], fetched_at=T0)
    store.save_classification(third.id, Classification(id=str(third.id)), "rules", T0)  # classified, not folded
    with store.transaction():
        assert store.claim_items([second.id]) == [second.id]
        store.mark_processed([second.id], T0)
    store.close()
    restarted = Store.open(store_url)
    try:
        assert [i.id for i in restarted.unprocessed_items()] == [first.id, third.id]
        assert [i.id for i in restarted.unprocessed_items(limit=1)] == [first.id]
    finally:
        restarted.close()


def test_a_classification_round_trips_every_field(store):
    (item,) = store.add_items("amnesty", [entry(1)], fetched_at=T0)
    c = Classification(
        id=str(item.id),
        labels=("shutdown",),
        companies=("MTN Nigeria",),
        inferred_companies=("Airtel Nigeria",),
        countries=("NG",),
        lang="en",
        scores={"shutdown": 0.912345, "censorship": 0.1},
        evidence=(Evidence("shutdown", "mobile data cut"),),
    )
    store.save_classification(item.id, c, "cascade", T0)
    assert store.get_classification(item.id) == c
    store.save_classification(item.id, Classification(id=str(item.id), error="bad"), "cascade", T0)
    assert store.get_classification(item.id).error == "bad"
    assert store.get_classification(item.id + 100) is None


def test_count_items_and_item_stats_use_the_fetch_time(store):
    store.add_items("amnesty", [entry(1), entry(2)], fetched_at=T0)
    raw, canonical, digest, _, _ = entry(3, source="hrw")
    undetected = (replace(raw, lang=None), canonical, digest, True, None)
    store.add_items("hrw", [undetected], fetched_at=T0 + timedelta(days=1))
    assert store.count_items(since=T0 + timedelta(hours=1)) == 1
    stats = store.item_stats(T0, T0 + timedelta(days=1))
    assert stats == {"by_lang": {"en": 2}, "by_source": {"amnesty": 2}}
    week = store.item_stats(T0, T0 + timedelta(days=7))
    assert week == {"by_lang": {"en": 2, "und": 1}, "by_source": {"amnesty": 2, "hrw": 1}}


def test_health_defaults_then_round_trips(store):
    assert store.get_health("amnesty") == SourceHealth("amnesty")
    health = SourceHealth(
        "amnesty",
        last_attempt=T0,
        last_success=T0,
        consecutive_failures=2,
        last_error="timeout",
        last_status=503,
        next_due=T0 + timedelta(minutes=30),
        first_polled=T0 - timedelta(days=1),
        etag='"abc"',
        last_modified="Sun, 01 Mar 2026 12:00:00 GMT",
    )
    store.save_health(health)
    store.save_health(SourceHealth("hrw"))
    assert store.get_health("amnesty") == health
    assert [h.source for h in store.list_health()] == ["amnesty", "hrw"]


def test_sync_sources_upserts_by_name(store):
    amnesty = SourceConfig(
        "amnesty",
        "rss",
        "https://example.org/feed",
        interval_s=600,
        category="ngo",
        lang="en",
        countries=("NG", "ET"),
        verified=False,
        fetch_article=True,
        options={"selectors": {"item": "li"}},
    )
    store.sync_sources([SourceConfig("amnesty", "html", "https://example.org/news")])
    store.sync_sources([amnesty, SourceConfig("hrw", "rss", "https://hrw.example/rss")])
    assert store.list_sources() == [amnesty, SourceConfig("hrw", "rss", "https://hrw.example/rss")]


def test_two_stores_adding_the_same_items_at_once_store_each_once(store, store_url):
    batch = [entry(n) for n in range(40)]
    results: list[list] = []
    barrier = threading.Barrier(2, timeout=60)  # a failing worker must not hang the other

    def add(entries) -> None:
        other = Store.open(store_url)
        try:
            barrier.wait()
            results.append(other.add_items("amnesty", entries, fetched_at=T0))
        finally:
            other.close()

    # opposite orders: without the store's lock each would wait on the other's rows (a deadlock)
    workers = [threading.Thread(target=add, args=(order,)) for order in (batch, batch[::-1])]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    ids = [item.id for result in results for item in result]
    assert len(results) == 2
    assert len(ids) == len(set(ids)) == 40
    assert store.count_items() == 40


# --------------------------------------------------------------------------- the SQLite insert path

def _varied_batches() -> list[tuple[str, list, datetime]]:
    """Batches that exercise every column and conflict: duplicates within a batch (by guid, URL and hash),
    items already stored, empty guids and URLs, dates in other zones and naive, without a date or language,
    not alertable, text with quotes, NUL-free odd characters and question marks, more rows than one INSERT."""
    def raw(n: int, **changes):
        base = RawItem(source="s", title=f"Title {n} 'quoted' ? ; --", url=f"https://e.org/{n}", guid=f"g{n}",
                       summary=f"Summary {n} \u00e9\u4e2d\U0001f600", published=T0 - timedelta(minutes=n, microseconds=n),
                       lang="en")
        return replace(base, **changes)

    plus5 = timezone(timedelta(hours=5, minutes=30))
    first = [(raw(n), f"https://e.org/{n}", f"h{n}", n % 3 != 0, None) for n in range(450)]
    second = [
        (raw(1), "https://e.org/1", "h1", True, None),  # stored already
        (raw(1000, guid=""), "https://e.org/1000", "h1000", True, "fr"),  # guid falls back to the URL
        (raw(1001, guid="", url=""), "", "h1001", True, None),  # ... and to the hash
        (raw(1002, published=None, lang=None), "https://e.org/1002", "h1002", False, None),
        (raw(1003, published=datetime(2026, 3, 1, 17, 0, tzinfo=plus5)), "https://e.org/1003", "h1003", True, None),
        (raw(1004, published=datetime(2026, 3, 1, 11, 0)), "https://e.org/1004", "h1004", True, None),  # naive
        (raw(1005), "https://e.org/1005", "h1005", True, None),
        (raw(1006, guid="g1005"), "https://e.org/1006", "h1006", True, None),  # same guid in the batch
        (raw(1007), "https://e.org/1005", "h1007", True, None),  # same URL in the batch
        (raw(1008), "https://e.org/1008", "h1005", True, None),  # same hash in the batch
        (raw(1009), "https://e.org/2", "h1009", True, None),  # URL stored from another guid
    ]
    other_zone = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=plus5)
    return [("a", first, T0), ("b", second, other_zone), ("a", first[:5], T0 + timedelta(hours=1))]


def test_the_sqlite_insert_path_stores_what_sqlalchemys_executemany_stores(tmp_path, monkeypatch):
    import sqlite3

    results = {}
    for fast in (True, False):
        monkeypatch.setattr(Store, "fast_sqlite_inserts", fast)
        store = Store.open(f"sqlite:///{tmp_path}/{fast}.db")
        added = [store.add_items(source, entries, at) for source, entries, at in _varied_batches()]
        # classifications too: new ones, then some replaced (another classifier, time and result)
        ids = [item.id for batch in added for item in batch]
        store.save_classifications([(i, _classification(i)) for i in ids[:300]], "cascade", T0)
        store.save_classifications([(i, _classification(i, 1)) for i in ids[250:]], "rules",
                                   datetime(2026, 3, 2, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-4))))
        store.close()
        with sqlite3.connect(tmp_path / f"{fast}.db") as con:
            rows = con.execute("SELECT * FROM items ORDER BY id").fetchall()
            types = con.execute("SELECT typeof(published), typeof(fetched_at), typeof(alertable) FROM items").fetchall()
            classified = con.execute("SELECT *, typeof(classified_at), typeof(result) FROM classifications "
                                     "ORDER BY item_id").fetchall()
        results[fast] = (added, rows, types, classified)
    assert results[True] == results[False]
    added, rows, _, classified = results[True]
    assert len(classified) == 456
    assert [len(batch) for batch in added] == [450, 6, 0]
    assert len(rows) == 456


def _classification(n: int, variant: int = 0) -> Classification:
    return Classification(
        id=str(n), labels=("shutdown", "censorship")[: (n + variant) % 3], companies=("MTN",) if n % 2 else (),
        inferred_companies=(), countries=("NG", "KE")[: n % 3], lang=None if n % 5 == 0 else "en",
        scores={"shutdown": n / 7 + variant, "censorship": 1e-9 * n}, error="boom \u00e9" if n % 11 == 0 else None,
        evidence=(Evidence("shutdown", f"cut \"{n}\" \u4e2d \U0001f600"),) if n % 4 == 0 else (),
    )
