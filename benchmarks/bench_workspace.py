"""Workspace list page: server time of /incidents (and /api/v1/incidents) with 100,000 incidents (SQLite or PostgreSQL)."""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.clock import FrozenClock
from monitor.store import Store
from monitor.types import LABELS, Evidence, Severity
from tests.webapp import Site, incident

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
COMPANIES = ("Safaricom", "MTN Nigeria", "Meta", "Alphabet", "NSO Group", "Ethio Telecom", "Vodafone", "Airtel Africa")
COUNTRIES = ("KE", "NG", "ET", "IN", "IR", "RU", "MX", "PK", "BR", "TZ")
CASES = {
    "list, newest first": "/incidents",
    "label": "/incidents?label=surveillance",
    "company family": "/incidents?company=MTN%20Group",
    "country + severity": "/incidents?country=ET&severity=high",
    "review dismissed": "/incidents?review=dismissed",
    "search": "/incidents?q=journalists",
    "rare search (scans all)": "/incidents?q=zzzz-not-there",
    "api, 50 with reports": "/api/v1/incidents",
}


def fill(store: Store, n: int, rand: random.Random) -> None:
    batch = []
    for k in range(n):
        label = rand.choice(LABELS)
        title = f"Report {k}: {label} case involving {rand.choice(COMPANIES)}" + (" journalists" if k % 97 == 0 else "")
        batch.append(replace(
            incident(title, NOW, hours_ago=k * 0.25), labels=(label,), companies=(rand.choice(COMPANIES),),
            countries=(rand.choice(COUNTRIES),), severity=Severity(rand.randint(1, 4)),
            evidence=(Evidence(label, title),), review="dismissed" if k % 50 == 0 else "new",
            status="dismissed" if k % 50 == 0 else "open", first_seen=NOW - timedelta(hours=k * 0.25)))
        if len(batch) == 5000:
            store.add_incidents(batch)
            batch = []
    store.add_incidents(batch)


def timed(client, path: str, headers: dict, runs: int = 7) -> float:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        took.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(took) * 1000


def run(url: str, n: int) -> None:
    store = Store.open(url)
    site = Site.build(store, FrozenClock(NOW), samples=False)
    started = time.perf_counter()
    fill(store, n, random.Random(7))
    print(f"{store.dialect}: stored {n:,} incidents in {time.perf_counter() - started:.1f} s")
    with site.client() as client:
        site.login(client, "viewer")
        for name, path in CASES.items():
            headers = site.bearer("viewer") if path.startswith("/api/") else {}
            print(f"{name:28s} {timed(client, path, headers):7.1f} ms  {path}")
    store.close()


def main() -> None:
    """`python -m benchmarks.bench_workspace [N] [postgresql]`: SQLite by default."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if "postgresql" in sys.argv[2:]:
        from tests.pgdb import fresh_database

        with fresh_database() as url:
            run(url, n)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.db'}", n)


if __name__ == "__main__":
    main()
