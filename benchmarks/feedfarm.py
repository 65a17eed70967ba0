"""A farm of loopback feeds for the cycle benchmark: N feeds on 50 hosts (127.0.0.1-127.0.0.50), one process.

    with FeedFarm(feeds=1000, items=20) as farm:
        farm.urls        # http://127.0.0.7:PORT/f/6.xml ...
        farm.change(3)   # feed 3 gets a new item (and a new ETag) from now on

The server answers conditional GETs with 304, like nginx serving static files does.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from typing import Self

HOSTS = 50
TOPICS = ("broadband coverage", "spectrum auction", "quarterly earnings", "data centre opening",
          "fibre rollout", "handset launch", "tower sale", "cloud contract", "satellite launch", "5G pilot")
INCIDENT = ("Authorities order MTN Nigeria and Airtel to shut down mobile internet in Kano",
            "Mobile data was cut across Kano state on government orders, NetBlocks and IODA measurements show.")


def host_of(n: int) -> str:
    """Return the loopback address that serves feed `n`."""
    return f"127.0.0.{1 + n % HOSTS}"


def feed_body(n: int, items: int, now: datetime, extra: int = 0, lang_attr: bool = False,
              incident: tuple[str, str] = INCIDENT) -> bytes:
    """RSS 2.0 for feed `n`: `items` ordinary stories (HTML summaries), plus `extra` incident reports on top.

    `lang_attr` adds `xml:lang` to the channel: the same feed, which the monitor's RSS fast path declines.
    """
    entries = [_entry(n, k, now - timedelta(hours=k + 1), *_story(n, k)) for k in range(items)]
    for k in range(extra):
        title, summary = incident
        entries.insert(0, _entry(n, 10_000 + k, now, f"{title} ({n}-{k})", summary))
    channel = '<channel xml:lang="en">' if lang_attr else "<channel>"
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">{channel}'
        f"<title>Outlet {n}</title><link>https://outlet{n}.example.org/</link>"
        f"<description>Telecom news {n}</description><language>en</language>{''.join(entries)}"
        "</channel></rss>"
    ).encode()


def _story(n: int, k: int) -> tuple[str, str]:
    topic = TOPICS[(n + k) % len(TOPICS)]
    title = f"Operator {n} reports {topic} progress, story {k}"
    summary = (f"<p>The company said its <b>{topic}</b> plan for region {k} is on schedule.</p>"
               f"<p>Analysts expect <a href=\"https://outlet{n}.example.org/a/{k}\">more</a> next quarter.</p>")
    return title, summary


def _entry(n: int, k: int, when: datetime, title: str, summary: str) -> str:
    return (f"<item><title>{escape(title)}</title><link>https://outlet{n}.example.org/{k}</link>"
            f"<guid>https://outlet{n}.example.org/{k}</guid><pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{escape(summary)}</description></item>")


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


def _serve(port: int, feeds: int, items: int, ready, commands) -> None:
    """The server process: aiohttp on every host address, bodies built once; commands change feeds."""
    import asyncio

    from aiohttp import web

    now = datetime.now(UTC)
    bodies = {n: feed_body(n, items, now) for n in range(feeds)}
    bodies.update({-1 - n: feed_body(n, items, now, lang_attr=True) for n in range(feeds)})
    etags = {n: _etag(b) for n, b in bodies.items()}
    served = {"requests": 0, "changed_at": {}}

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        n = n if request.match_info["kind"] == "f" else -1 - n
        served["requests"] += 1
        if n not in bodies:
            return web.Response(status=404)
        if request.headers.get("If-None-Match") == etags[n]:
            return web.Response(status=304, headers={"ETag": etags[n]})
        return web.Response(body=bodies[n], content_type="application/rss+xml", charset="utf-8",
                            headers={"ETag": etags[n]})

    async def poll_commands() -> None:
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, commands.recv)
            if command is None:
                return
            n, extra, incident = command
            bodies[n] = feed_body(n, items, now, extra=extra, incident=incident)
            etags[n] = _etag(bodies[n])
            commands.send("ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{kind:[fg]}/{n:[0-9]+}.xml", feed)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for h in range(HOSTS):
            await web.TCPSite(runner, host_of(h), port, backlog=1024).start()
        ready.set()
        await poll_commands()
        await runner.cleanup()

    asyncio.run(main())


class FeedFarm:
    """Serve `feeds` RSS feeds of `items` items each, spread over 50 loopback hosts, in a child process."""

    def __init__(self, feeds: int, items: int = 20) -> None:
        self.feeds, self.items = feeds, items
        self.port = _free_port()
        self.urls = [f"http://{host_of(n)}:{self.port}/f/{n}.xml" for n in range(feeds)]
        # the same feeds with xml:lang on the channel: the monitor parses them with feedparser
        self.lang_urls = [u.replace("/f/", "/g/") for u in self.urls]

    def __enter__(self) -> Self:
        ctx = multiprocessing.get_context("spawn")
        self._ready = ctx.Event()
        self._commands, theirs = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(self.port, self.feeds, self.items, self._ready, theirs),
                                    daemon=True)
        self._process.start()
        if not self._ready.wait(60):
            raise RuntimeError("feed farm did not start")
        return self

    def change(self, n: int, extra: int = 1, incident: tuple[str, str] = INCIDENT) -> None:
        """Give feed `n` `extra` new reports of `incident` (title, summary): a new body and ETag."""
        self._commands.send((n, extra, incident))
        self._commands.recv()

    def __exit__(self, *exc) -> None:
        self._commands.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
