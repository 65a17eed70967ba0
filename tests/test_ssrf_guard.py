"""The SSRF guard: a link from feed content or a user reaches only the public internet, checked after DNS
and on every redirect; an operator allow-list lets chosen hosts through."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime

import pytest

from monitor.clock import FrozenClock
from monitor.config import FetchSettings, load_settings
from monitor.errors import SourceError
from monitor.netguard import UrlGuard, blocked_reason
from monitor.pipeline import poll_sources
from monitor.sources.fetch import Fetcher, make_client
from monitor.types import SourceConfig
from monitor.wiring import build_runtime
from tests.feedserver import FeedServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECRET_PAGE = "<html><body><main><p>INTERNAL ADMIN PAGE: db password hunter2</p></main></body></html>"


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"), ("0.0.0.0", "unspecified"), ("::ffff:127.0.0.1", "loopback"),
    ("100.64.0.1", "non-global"), ("93.184.216.34", None), ("2606:4700::1111", None),
])
def test_addresses_are_judged(address, reason):
    assert blocked_reason(ipaddress.ip_address(address)) == reason


def check(url: str, guard: UrlGuard | None = None) -> str | None:
    try:
        asyncio.run((guard or UrlGuard()).check(url))
    except SourceError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/x",
                                 "http://127.0.0.1/", "http://[::1]:8080/", "http://localhost/admin",
                                 "http://169.254.169.254/latest/meta-data/", "javascript:alert(1)", "http:///x"])
def test_content_urls_that_are_refused(url):
    assert check(url).startswith("refused URL")


def test_a_name_resolving_to_a_private_address_is_refused_after_dns():
    async def evil(host, port):
        return ["93.184.216.34", "10.0.0.7"]  # one public answer does not launder a private one

    assert "10.0.0.7" in check("https://rebind.example/", UrlGuard(resolver=evil))


def test_the_allow_list_takes_hosts_ports_and_networks():
    async def private(host, port):
        return ["10.9.8.7"]

    assert check("http://127.0.0.1:8080/x", UrlGuard(allow=("127.0.0.1:8080",))) is None
    assert check("http://127.0.0.1:8081/x", UrlGuard(allow=("127.0.0.1:8080",))) is not None
    assert check("http://intranet.example/", UrlGuard(allow=("10.0.0.0/8",), resolver=private)) is None


def fetch(url: str, settings: FetchSettings, trusted: bool = True):
    async def run():
        async with make_client(settings) as client:
            return await Fetcher(client, settings).fetch(url, trusted=trusted)

    return asyncio.run(run())


def test_a_redirect_to_another_port_is_refused_but_one_within_the_origin_is_followed():
    with FeedServer() as feeds, FeedServer() as internal:
        internal.route("/admin", SECRET_PAGE, content_type="text/html")
        feeds.route("/feed", "<rss/>")
        settings = FetchSettings(read_timeout_s=2.0)
        assert fetch(feeds.route("/moved", redirect_to="/feed"), settings).url.endswith("/feed")
        with pytest.raises(SourceError, match="refused URL .*loopback"):
            fetch(feeds.route("/evil", redirect_to=internal.url("/admin")), settings)
        assert internal.requests_to("/admin") == []


def test_an_article_link_from_feed_content_to_loopback_is_never_fetched(tmp_path):
    """Issue 13 probe: with fetch_article, links in third-party feeds reached internal services."""
    with FeedServer() as feeds, FeedServer() as internal:
        internal.route("/admin", SECRET_PAGE, content_type="text/html")
        feeds.route("/story", SECRET_PAGE, content_type="text/html")
        feeds.route("/hop", redirect_to=internal.url("/admin"))
        links = [internal.url("/admin"), f"http://localhost:{internal.port}/admin", feeds.url("/hop"), "/story"]
        items = "".join(f"<item><title>Shutdown report {n}</title><link>{link}</link></item>"
                        for n, link in enumerate(links))
        url = feeds.route("/feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                                       f"{items}</channel></rss>")
        settings = load_settings(env={"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}",
                                      "RIGHTS_MONITOR_CLASSIFIER": "rules",
                                      "RIGHTS_MONITOR_ALLOW_HOSTS": "example.invalid"})
        source = SourceConfig("third-party", "rss", url, fetch_article=True)

        async def scenario():
            rt = build_runtime(settings, clock=FrozenClock(NOW), sources=[source])
            try:
                await poll_sources(rt.sources, rt)
                return rt.store.unprocessed_items()
            finally:
                await rt.aclose()

        stored = asyncio.run(scenario())
        assert internal.log == [] and feeds.requests_to("/hop") == [] and feeds.requests_to("/story") == []
    assert len(stored) == 4
    assert all("INTERNAL" not in item.summary for item in stored)


def test_the_connection_goes_to_the_vetted_address_not_a_second_dns_answer():
    """`article.test` exists only in the guard's resolver: the fetch can only succeed by connecting to the
    address the guard vetted, with the name in the Host header (so DNS rebinding has no second answer)."""
    calls = []

    async def once(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    with FeedServer() as srv:
        srv.route("/story", SECRET_PAGE, content_type="text/html")
        srv.route("/hop", redirect_to="/story")
        settings = FetchSettings(read_timeout_s=2.0)

        async def run():
            async with make_client(settings) as client:
                fetcher = Fetcher(client, settings, guard=UrlGuard(allow=("127.0.0.0/8",), resolver=once))
                return await fetcher.fetch(f"http://article.test:{srv.port}/hop", trusted=False)

        result = asyncio.run(run())
        hosts = [r.headers.get("host") for r in srv.log]
    assert result.url == f"http://article.test:{srv.port}/story" and b"INTERNAL" in result.body
    assert hosts == [f"article.test:{srv.port}"] * 2 and calls == ["article.test", "article.test"]


def test_a_source_added_through_the_workspace_is_polled_through_the_guard(tmp_path):
    from monitor.sources.catalog import apply_source_changes
    from monitor.types import SourceChange

    with FeedServer() as feeds:
        url = feeds.route("/feed.xml", "<rss/>")
        configured = SourceConfig("configured", "rss", url)
        added = SourceConfig("added", "rss", url.replace("/feed.xml", "/added.xml"))
        sources = apply_source_changes([configured], [SourceChange("added", config=added, changed_by="admin@x")])
        assert [s.trusted for s in sources] == [True, False]
        settings = load_settings(env={"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}",
                                      "RIGHTS_MONITOR_CLASSIFIER": "rules"})

        async def scenario():
            rt = build_runtime(settings, clock=FrozenClock(NOW), sources=sources)
            try:
                return {r.source: r for r in await poll_sources(rt.sources, rt)}
            finally:
                await rt.aclose()

        results = asyncio.run(scenario())
        assert feeds.requests_to("/added.xml") == [] and len(feeds.requests_to("/feed.xml")) == 1
    assert results["configured"].status == "ok"
    assert results["added"].status == "failed" and "refused URL" in results["added"].error
