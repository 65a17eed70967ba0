"""`rights-monitor demo`: bundled sample feeds served on loopback, the whole pipeline, offline.

Two polls: the first stores every item and alerts on the incidents; the second gets 304 for the
unchanged feeds and one new report of an incident already alerted, which becomes an update.
"""

from __future__ import annotations

import hashlib
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

from monitor.types import SourceConfig

FEEDS = {"ngo": "Demo NGO alerts", "news": "Demo world news", "press": "Demo tech press"}


def demo_items() -> list[dict]:
    text = (Path(__file__).parent / "data" / "demo" / "items.json").read_text(encoding="utf-8")
    return json.loads(text)["items"]


def render_rss(title: str, items: list[dict], now: datetime) -> bytes:
    """An RSS 2.0 document of items ({title, url, summary, hours_ago}), dated relative to now."""
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = "https://example.org/"
    for item in items:
        node = ET.SubElement(channel, "item")
        ET.SubElement(node, "title").text = item["title"]
        ET.SubElement(node, "link").text = item["url"]
        ET.SubElement(node, "description").text = item["summary"]
        ET.SubElement(node, "guid").text = item["url"]
        ET.SubElement(node, "pubDate").text = format_datetime(now - timedelta(hours=item["hours_ago"]))
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


class DemoFeeds:
    """A loopback server for the demo feeds; `second_poll()` publishes the follow-up reports."""

    def __init__(self, now: datetime) -> None:
        self.now, self.published_all = now, False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def documents(self) -> dict[str, bytes]:
        items = [i for i in demo_items() if self.published_all or not i.get("second_poll")]
        return {f"/{feed}.xml": render_rss(title, [i for i in items if i["feed"] == feed], self.now) for feed, title in FEEDS.items()}

    def second_poll(self) -> None:
        self.published_all = True

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def sources(self) -> list[SourceConfig]:
        return [SourceConfig(name=f"demo-{feed}", kind="rss", url=self.url(f"/{feed}.xml"), interval_s=900,
                             category="ngo" if feed == "ngo" else "news", lang="en") for feed in FEEDS]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        demo = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = demo.documents().get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


async def run_demo(settings, say: Callable[[str], None]) -> dict:
    """Serve the demo feeds, poll twice, and return what happened (for the CLI and the tests)."""
    from monitor.clock import SystemClock
    from monitor.pipeline import run_cycle
    from monitor.wiring import build_runtime

    clock = SystemClock()
    with DemoFeeds(clock.now()) as feeds:
        rt = build_runtime(settings, clock=clock, sources=feeds.sources())
        try:
            say("first poll: three demo feeds on loopback")
            first = await run_cycle(rt)
            say(f"-> {json.dumps(first.to_json())}")
            feeds.second_poll()
            say("second poll: unchanged feeds answer 304; one outlet adds a report of a known incident")
            second = await run_cycle(rt)
            say(f"-> {json.dumps(second.to_json())}")
            incidents = rt.store.list_incidents(limit=100)
        finally:
            await rt.aclose()
    return {"first": first.to_json(), "second": second.to_json(), "incidents": len(incidents)}
