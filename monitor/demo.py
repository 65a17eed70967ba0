"""`rights-monitor demo`: bundled sample feeds served on loopback, the whole pipeline, offline.

Two polls: the first stores every item and alerts on the incidents; the second gets 304 for the
unchanged feeds and one new report of an incident already alerted, which becomes an update.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from monitor.types import NamedWatchlist, SourceConfig

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


# --------------------------------------------------------------------------- rebuilding the demo store


@dataclass
class OldDemoStore:
    """What a re-run of the demo keeps of the store it rebuilds (the accounts that `user add` and `token create`
    made, and the workspace's watchlists) and what it resets (reviews, subscriptions, source changes)."""

    users: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    watchlists: list[NamedWatchlist] = field(default_factory=list)
    reset: dict[str, int] = field(default_factory=dict)  # {"reviewed incident": 2, "subscription": 1, ...}
    unreadable: str | None = None  # why the old store could not be read; it was moved to `moved_to`
    moved_to: Path | None = None


def sqlite_files(path: Path) -> list[Path]:
    """A SQLite store's file and its write-ahead log and shared-memory files."""
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def read_old_demo_store(path: Path) -> OldDemoStore | None:
    """Read what a rebuild keeps from the demo store at `path` (None when there is none). A file that is not a
    readable store is moved aside to `PATH.unreadable`, never deleted unread."""
    from sqlalchemy.exc import SQLAlchemyError

    from monitor.errors import MonitorError
    from monitor.store import Store
    from monitor.wiring import console_subscription

    if not path.exists():
        return None
    try:
        store = Store.open(f"sqlite:///{path}")
        try:
            users, tokens = store.export_accounts()
            old = OldDemoStore(users, tokens, store.list_watchlists(), {
                "reviewed incident": sum(1 for i in store.list_incidents(limit=1_000_000)
                                         if i.review != "new" or i.status != "open"),
                "subscription": sum(1 for s in store.list_subscriptions() if s != console_subscription()),
                "source change": len(store.list_source_changes())})
        finally:
            store.close()
    except (MonitorError, SQLAlchemyError, OSError) as exc:
        moved_to = Path(f"{path}.unreadable")
        for file, target in zip(sqlite_files(path), sqlite_files(moved_to), strict=True):
            target.unlink(missing_ok=True)
            if file.exists():
                file.replace(target)
        return OldDemoStore(unreadable=str(exc).splitlines()[0], moved_to=moved_to)
    return old


def carry_into(db_url: str, old: OldDemoStore) -> None:
    """Put the kept accounts and watchlists into the new demo store (created here)."""
    from monitor.store import Store

    store = Store.open(db_url)
    try:
        store.import_accounts(old.users, old.tokens)
        for watchlist in old.watchlists:
            store.save_watchlist(watchlist)
    finally:
        store.close()


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def rebuilt_line(path: Path, old: OldDemoStore) -> str:
    """One line saying that the demo store was rebuilt, what it kept and what was reset."""
    from monitor.readable import counted

    if old.unreadable is not None:
        return (f"rebuilt the demo store {path}: the old one could not be read ({old.unreadable}), so it was moved "
                f"to {old.moved_to} and no account was kept (add them again with `user add`)")
    kept = [counted(n, noun) for n, noun in ((len(old.users), "account"), (len(old.tokens), "API token"),
                                              (len(old.watchlists), "watchlist")) if n]
    reset = [counted(n, noun) for noun, n in old.reset.items() if n]
    return (f"rebuilt the demo store {path} with fresh demo incidents: "
            + (f"kept its {_listed(kept)}" if kept else "it had no accounts to keep")
            + "; reviews and subscriptions made in it were reset" + (f" ({', '.join(reset)})" if reset else ""))


def invocation(argv0: str | None = None, path_env: str | None = None) -> str:
    """How to run this command again exactly as printed: `rights-monitor` when the shell finds this very program
    on its PATH (an activated virtual environment), else its path (`.venv/bin/rights-monitor`)."""
    import os

    program = Path(argv0 if argv0 is not None else sys.argv[0])
    if program.name == "__main__.py":  # python -m monitor
        return f"{_shown_path(Path(sys.executable))} -m monitor"
    found = shutil.which(program.name, path=path_env if path_env is not None else os.environ.get("PATH"))
    if found and program.exists() and Path(found).resolve() == program.resolve():
        return program.name
    return _shown_path(program)


def _shown_path(program: Path) -> str:
    """A program's path as a shell runs it: relative to the current folder (`.venv/bin/x`) when inside it."""
    absolute = Path.cwd() / program if not program.is_absolute() else program
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return str(absolute)
    return str(relative) if relative.parent != Path(".") else f"./{relative}"
