"""Ingest speed: 1,000 loopback GETs through the Fetcher, and one poll cycle over 200 feeds."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.config import FetchSettings, load_settings
from monitor.pipeline import poll_sources
from monitor.sources.fetch import Fetcher, make_client
from monitor.wiring import build_runtime, load_sources
from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer

NOW = datetime.now(UTC)


async def fetch_many(urls: list[str]) -> float:
    settings = FetchSettings(per_host_concurrency=16, global_concurrency=64)
    client = make_client(settings)
    fetcher = Fetcher(client, settings)
    started = time.perf_counter()
    await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    took = time.perf_counter() - started
    await client.aclose()
    return took


def items(n: int) -> list[dict]:
    return [{"title": f"Story {n}-{k} about broadband", "summary": "Coverage statistics.", "hours_ago": k + 1,
             "url": f"https://n{n}.example.org/{k}"} for k in range(10)]


async def poll_200(server: FeedServer, folder: Path) -> tuple[float, float, int]:
    urls = {f"feed-{n}": server.route(f"/p/{n}.xml", rss(items(n), NOW), etag=f'"e{n}"') for n in range(200)}
    sources = write_sources(folder / "sources.yaml", urls)
    settings = load_settings(env={"RIGHTS_MONITOR_DB": f"sqlite:///{folder / 'bench.db'}",
                                  "RIGHTS_MONITOR_SOURCES": str(sources)})
    rt = build_runtime(settings, sources=load_sources(settings))
    started = time.perf_counter()
    cold = await poll_sources(rt.sources, rt)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    await poll_sources(rt.sources, rt)
    warm_s = time.perf_counter() - started
    await rt.aclose()
    return cold_s, warm_s, sum(r.new_items for r in cold)


def main() -> None:
    with FeedServer() as server, tempfile.TemporaryDirectory() as folder:
        url = server.route("/tiny.xml", rss(items(0)[:1], NOW))
        took = asyncio.run(fetch_many([url] * 1000))
        print(f"1000 loopback GETs: {took:.2f}s ({1000 / took:.0f}/s)")
        cold, warm, stored = asyncio.run(poll_200(server, Path(folder)))
        print(f"200 feeds x 10 items: cold poll {cold:.2f}s ({stored} items stored), warm poll (304s) {warm:.2f}s")
