"""Fetcher against a real loopback server: validators, limits, errors, 200 feeds at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from monitor.clock import FrozenClock
from monitor.config import FetchSettings
from monitor.errors import SourceError
from monitor.sources.fetch import Fetcher, describe_error, make_client, max_age_s, retry_after_s
from tests.feedserver import FeedServer

FAST = FetchSettings(connect_timeout_s=1.0, read_timeout_s=1.0, max_body_bytes=10_000, max_redirects=2)
RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Item {n}</title></item></channel></rss>'


@pytest.fixture
def srv():
    with FeedServer() as server:
        yield server


def fetch(url: str, settings: FetchSettings = FAST, **kw):
    async def run():
        async with make_client(settings) as client:
            return await Fetcher(client, settings).fetch(url, **kw)

    return asyncio.run(run())


def failure(url: str, settings: FetchSettings = FAST) -> SourceError:
    with pytest.raises(SourceError) as info:
        fetch(url, settings)
    return info.value


def test_fetch_returns_body_validators_and_max_age(srv):
    url = srv.route(
        "/a.xml",
        RSS,
        etag='"v1"',
        last_modified="Mon, 01 Dec 2025 10:00:00 GMT",
        headers={"Cache-Control": "public, max-age=900"},
    )
    result = fetch(url)
    assert (result.status, result.etag, result.max_age_s) == (200, '"v1"', 900.0)
    assert result.last_modified == "Mon, 01 Dec 2025 10:00:00 GMT" and b"<rss" in result.body
    assert srv.requests_to("/a.xml")[0].headers["user-agent"].startswith("rights-monitor/")


def test_conditional_get_sends_validators_and_reports_not_modified(srv):
    url = srv.route("/a.xml", RSS, etag='"v1"', last_modified="Mon, 01 Dec 2025 10:00:00 GMT")
    result = fetch(url, etag='"v1"', last_modified="Mon, 01 Dec 2025 10:00:00 GMT")
    assert result.not_modified and result.status == 304 and result.body == b""
    sent = srv.requests_to("/a.xml")[0].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"].startswith("Mon, 01 Dec")


def test_server_error_names_status_and_retry_after(srv):
    error = failure(srv.route("/busy", "x", status=503, retry_after="120"))
    assert str(error) == "HTTP 503 Service Unavailable"
    assert (error.status, error.retry_after_s) == (503, 120.0)
    assert str(failure(srv.route("/e", "x", status=500))) == "HTTP 500 Internal Server Error"


def test_slow_server_times_out_with_clear_message(srv):
    error = failure(srv.route("/slow", RSS, delay_s=2.5))
    assert str(error) == "timed out after 1s reading from 127.0.0.1"
    assert error.__cause__ is not None


def test_oversized_body_is_refused(srv):
    error = failure(srv.route("/big", "x" * 20_000))
    assert str(error) == "body larger than 10000 bytes"
    # A body without a truthful Content-Length is still cut while streaming.
    unknown = failure(srv.route("/big2", "x" * 20_000, content_length=-1))
    assert str(unknown) == "body larger than 10000 bytes"


def test_redirects_are_followed_up_to_the_limit(srv):
    srv.route("/feed", RSS)
    assert fetch(srv.route("/old", redirect_to="/feed")).url.endswith("/feed")
    srv.route("/r1", redirect_to="/r2")
    srv.route("/r2", redirect_to="/r3")
    srv.route("/r3", redirect_to="/feed")
    assert str(failure(srv.url("/r1"))) == "too many redirects (more than 2)"


def test_refused_connection_is_named(srv):
    port = srv.port
    srv.close()
    assert str(failure(f"http://127.0.0.1:{port}/gone")) == "connection refused by 127.0.0.1"


def test_dns_failure_is_named():
    import socket

    try:
        raise OSError("connect failed") from socket.gaierror(-2, "Name or service not known")
    except OSError as exc:
        assert describe_error(exc, "feeds.example", FAST) == "DNS lookup failed for feeds.example"


def test_retry_after_reads_seconds_and_http_dates():
    clock = FrozenClock(datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    assert retry_after_s("30", None, clock) == 30.0
    assert retry_after_s("Thu, 01 Jan 2026 12:05:00 GMT", None, clock) == 300.0
    assert retry_after_s("Thu, 01 Jan 2026 12:05:00 GMT", "Thu, 01 Jan 2026 12:04:00 GMT", clock) == 60.0
    assert retry_after_s("soon", None, clock) is None
    assert max_age_s("no-cache, max-age=60") is None and max_age_s("s-maxage=5, max-age=60") == 60.0


def test_per_host_limit_holds(srv):
    settings = FetchSettings(read_timeout_s=2.0, per_host_concurrency=2)
    urls = [srv.route(f"/h{n}.xml", RSS, delay_s=0.02) for n in range(8)]

    async def run():
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    assert all(r.status == 200 for r in asyncio.run(run()))
    assert srv.max_in_flight <= 2


def test_two_hundred_feeds_then_all_not_modified_while_bad_ones_fail(srv):
    # generous timeouts: on a loaded 2-core machine a good feed must never look slow
    settings = FetchSettings(read_timeout_s=2.0, global_concurrency=64, per_host_concurrency=64)
    good = [srv.route(f"/feed/{n}.xml", RSS.format(n=n), etag=f'"e{n}"') for n in range(200)]
    bad = [srv.route("/bad/500", "x", status=500), srv.route("/bad/slow", RSS, delay_s=4.0)]

    async def run(validators):
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            calls = [fetcher.fetch(u, etag=validators.get(u)) for u in good + bad]
            return await asyncio.gather(*calls, return_exceptions=True)

    first = asyncio.run(run({}))
    assert all(r.status == 200 and b"Item" in r.body for r in first[:200])
    assert [str(e) for e in first[200:]] == [
        "HTTP 500 Internal Server Error",
        "timed out after 2s reading from 127.0.0.1",
    ]
    second = asyncio.run(run({r.url: r.etag for r in first[:200]}))
    assert all(r.not_modified for r in second[:200])
