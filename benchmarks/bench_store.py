"""The incident list, the weekly digest's queries and retention on a store of many items (SQLite).

    .venv/bin/python -m benchmarks.bench_store [--items 100000]    # --items 1000000 for the issue's figure

Items are spread over a year, one in 200 linked to one of the incidents; each query is timed warm.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.store import Store

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def fill(store: Store, items: int) -> None:
    """Insert `items` items and items/200 incidents with one alert each, by raw executemany."""
    engine = store._engine
    incidents = max(1, items // 200)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO incidents (title, url, labels, companies, inferred_companies, countries, first_seen, "
            "last_seen, source_count, item_count, severity, severity_reasons, evidence, scores, status, alertable, "
            "sources, urls, lang) VALUES (?, ?, '[\"shutdown\"]', '[]', '[]', '[\"NG\"]', ?, ?, 1, 1, 2, '[]', '[]', "
            "'{}', 'open', 1, '[]', '[]', 'en')",
            [(f"Incident {n}", f"https://x.test/i/{n}", _at(n, incidents), _at(n, incidents)) for n in range(incidents)])
        conn.exec_driver_sql(
            "INSERT INTO alerts (incident_id, subscription, kind, severity, why, note, route, created_at) "
            "VALUES (?, 'desk', 'new', 2, 'x', '', ?, ?)",
            [(n + 1, "digest" if n % 2 else "instant", _at(n, incidents)) for n in range(incidents)])
        batch = []
        for n in range(items):
            linked = n // 200 + 1 if n % 200 == 0 else None
            batch.append(("s", f"g{n}", f"https://x.test/{n}", f"https://x.test/{n}", f"Story {n}", "Summary",
                          _at(n, items), f"h{n}", "en", 1, linked, _at(n, items)))
            if len(batch) == 50_000 or n == items - 1:
                conn.exec_driver_sql(
                    "INSERT INTO items (source, guid, url, canonical_url, title, summary, fetched_at, content_hash, "
                    "lang, alertable, incident_id, processed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", batch)
                batch = []
        conn.exec_driver_sql("ANALYZE")


def _at(n: int, total: int) -> str:
    return (NOW - timedelta(days=365) + timedelta(days=365 * n / total)).strftime("%Y-%m-%d %H:%M:%S.%f")


def timed(label: str, call) -> float:
    call()
    started = time.perf_counter()
    call()
    took = (time.perf_counter() - started) * 1000
    print(f"  {label:<44} {took:8.1f} ms", flush=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'big.db'}")
        started = time.perf_counter()
        fill(store, args.items)
        print(f"{args.items:,} items, {args.items // 200:,} incidents stored in {time.perf_counter() - started:.1f} s")
        week = (NOW - timedelta(days=7), NOW)
        timed("incident list (50 newest)", lambda: store.list_incidents(limit=50))
        timed("incident list since a week ago", lambda: store.list_incidents(since=week[0], limit=50))
        timed("digest: incidents first seen in the week", lambda: store.incidents_between(*week))
        timed("digest: digest-routed alerts of the week", lambda: store.digest_alerts(*week))
        timed("digest: item counts of the week", lambda: store.item_stats(*week))
        timed("an incident's reports", lambda: store.incident_items(1))
        started = time.perf_counter()
        removed = store.prune_items(NOW - timedelta(days=90))
        print(f"  retention (90 days) removed {removed:,} items in {time.perf_counter() - started:.1f} s")
        timed("incident list after retention", lambda: store.list_incidents(limit=50))
        store.close()


if __name__ == "__main__":
    main()
