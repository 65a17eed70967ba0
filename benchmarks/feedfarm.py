"""A farm of loopback feeds for the cycle benchmark: N feeds on 50 hosts (127.0.0.1-127.0.0.50).

    with FeedFarm(feeds=1000, items=20) as farm:
        farm.urls        # http://127.0.0.7:PORT/f/6.xml ...
        farm.change(3)   # feed 3 gets a new item (and a new ETag) from now on

The server answers conditional GETs with 304, like nginx serving static files does. It runs in `processes`
server processes (default: one per core, at most 4) that all listen on every host address and port with
SO_REUSEPORT, so the kernel spreads connections over them (nginx's workers do the same); a change is sent
to every process before `change` returns.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
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


def _serve(port: int, feeds: int, items: int, now: datetime, ready, commands) -> None:
    """One server process: aiohttp on every host address, bodies built once (dated from `now`, the same in
    every process, so that every process serves the same bytes and ETags); commands change feeds."""
    import asyncio

    from aiohttp import web

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
            await web.TCPSite(runner, host_of(h), port, backlog=4096, reuse_port=True).start()
        ready.set()
        await poll_commands()
        await runner.cleanup()

    asyncio.run(main())


class FeedFarm:
    """Serve `feeds` RSS feeds of `items` items each, spread over 50 loopback hosts, in child processes."""

    def __init__(self, feeds: int, items: int = 20, processes: int | None = None) -> None:
        self.feeds, self.items = feeds, items
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.processes = processes or max(1, min(cores, 4))
        self.port = _free_port()
        self.urls = [f"http://{host_of(n)}:{self.port}/f/{n}.xml" for n in range(feeds)]
        # the same feeds with xml:lang on the channel: the monitor parses them with feedparser
        self.lang_urls = [u.replace("/f/", "/g/") for u in self.urls]
        self._servers: list[tuple] = []
        self._now = datetime.now(UTC)

    def __enter__(self) -> Self:
        ctx = multiprocessing.get_context("spawn")
        for _ in range(self.processes):
            ready = ctx.Event()
            ours, theirs = ctx.Pipe()
            process = ctx.Process(target=_serve, args=(self.port, self.feeds, self.items, self._now, ready, theirs), daemon=True)
            process.start()
            self._servers.append((process, ready, ours))
        for _, ready, _ in self._servers:
            if not ready.wait(120):
                self.__exit__()
                raise RuntimeError("feed farm did not start")
        return self

    def change(self, n: int, extra: int = 1, incident: tuple[str, str] = INCIDENT) -> None:
        """Give feed `n` `extra` new reports of `incident` (title, summary): a new body and ETag, in every process."""
        for _, _, pipe in self._servers:
            pipe.send((n, extra, incident))
        for _, _, pipe in self._servers:
            pipe.recv()

    def __exit__(self, *exc) -> None:
        for process, _, pipe in self._servers:
            try:
                pipe.send(None)
            except (BrokenPipeError, OSError):
                pass
        for process, _, _ in self._servers:
            process.join(10)
            if process.is_alive():
                process.kill()
        self._servers = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
