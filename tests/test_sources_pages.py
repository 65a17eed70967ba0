"""HTML listings, JSON APIs (presets) and article text, fetched from a loopback server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from monitor.clock import FrozenClock
from monitor.config import FetchSettings
from monitor.errors import ConfigError, SourceError
from monitor.registry import Deps
from monitor.sources import SOURCES, build_source
from monitor.sources.article import article_text, fetch_article_text
from monitor.sources.fetch import Fetcher, make_client
from monitor.sources.jsonapi import JsonSource
from monitor.types import FetchResult, SourceConfig
from tests.feedserver import FeedServer

LISTING = """<html><body><nav><a href="/about">About</a></nav>
<div class="card"><h3>Spyware found on <b>journalists'</b> phones</h3><a href="/en/latest-news/spyware/">read</a>
  <p class="sum">Forensic analysis &amp; more</p><time datetime="2025-11-30T08:00:00+01:00">30 Nov</time></div>
<div class="card"><h3>Mobile data cut in region</h3><a href="https://other.example/x">read</a></div>
<div class="card"><h3></h3></div></body></html>"""


def page(
    body: str | bytes, ctype: str = "text/html; charset=utf-8", url: str = "https://site.example/en/"
) -> FetchResult:
    data = body.encode() if isinstance(body, str) else body
    return FetchResult(url=url, status=200, body=data, headers={"content-type": ctype})


def config(kind: str, **options) -> SourceConfig:
    return SourceConfig(name="S", kind=kind, url="https://site.example/en/", options=options)


def test_html_listing_items_with_absolute_links_and_dates():
    source = build_source(config("html", item="div.card", title="h3", summary="p.sum", date="time"), Deps())
    first, second = source.parse(page(LISTING))
    assert (
        first.title == "Spyware found on journalists' phones" and first.summary == "Forensic analysis & more"
    )
    assert first.url == "https://site.example/en/latest-news/spyware/"
    assert first.published == datetime(2025, 11, 30, 7, 0, tzinfo=UTC)
    assert second.url == "https://other.example/x" and second.published is None


def test_html_rejects_non_html_and_bad_selectors():
    with pytest.raises(SourceError, match="not an HTML page"):
        build_source(config("html", item="div"), Deps()).parse(page("{}", "application/json"))
    with pytest.raises(ConfigError, match=r"sources\[2\]\.options\.item: invalid CSS selector"):
        SOURCES.get("html").validate_options({"item": "div[[["}, "sources[2].options")
    with pytest.raises(ConfigError, match=r"sources\[2\]\.options\.item: required"):
        SOURCES.get("html").validate_options({}, "sources[2].options")


def test_gdelt_preset_maps_articles():
    body = {
        "articles": [
            {
                "url": "https://news.example/a",
                "title": "Internet blackout &amp; protests",
                "seendate": "20251201T101500Z",
                "domain": "news.example",
                "language": "English",
            }
        ]
    }
    (item,) = build_source(config("json", preset="gdelt"), Deps()).parse(page(json.dumps(body), "application/json"))
    assert (item.title, item.url, item.guid) == (
        "Internet blackout & protests",
        "https://news.example/a",
        "https://news.example/a",
    )
    assert item.published == datetime(2025, 12, 1, 10, 15, tzinfo=UTC)


def test_ooni_and_ioda_presets_build_titles_links_and_guids():
    ooni = {
        "incidents": [
            {
                "id": "123",
                "title": "Telegram blocked in X",
                "short_description": "<p>Blocked</p>",
                "start_time": "2025-11-01T00:00:00Z",
            }
        ]
    }
    (finding,) = build_source(config("json", preset="ooni"), Deps()).parse(page(json.dumps(ooni), "application/json"))
    assert finding.url == "https://explorer.ooni.org/findings/123" and finding.guid == "ooni:123"
    assert finding.summary == "Blocked"
    ioda = {
        "type": "alerts",
        "data": [
            {
                "entity": {"type": "country", "code": "IR", "name": "Iran"},
                "datasource": "bgp",
                "time": 1764583200,
                "level": "critical",
                "condition": "<",
                "value": 10,
                "historyValue": 90,
            }
        ],
    }
    (alert,) = build_source(config("json", preset="ioda"), Deps()).parse(page(json.dumps(ioda), "application/json"))
    assert alert.title == "IODA critical outage alert: Iran (bgp)"
    assert alert.url == "https://ioda.inetintel.cc.gatech.edu/country/IR"
    assert alert.published == datetime.fromtimestamp(1764583200, tz=UTC)


def test_ioda_request_url_carries_a_time_window():
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    source = JsonSource.from_config(config("json", preset="ioda", window=3600), Deps(clock=clock))
    assert source.request_url().endswith("?from=1767222000&until=1767225600")


def test_custom_json_fields_and_garbage():
    source = build_source(config("json", items="result.list", fields={"title": "name", "url": "link.href"}), Deps())
    body = {"result": {"list": [{"name": "A", "link": {"href": "https://e.org/a"}}, {"name": ""}, "junk"]}}
    (item,) = source.parse(page(json.dumps(body), "application/json"))
    assert (item.title, item.url) == ("A", "https://e.org/a")
    with pytest.raises(SourceError, match="^not JSON"):
        source.parse(page("<html>", "application/json"))
    with pytest.raises(ConfigError, match=r"options\.preset: unknown preset"):
        SOURCES.get("json").validate_options({"preset": "nope"}, "sources[0].options")


def test_article_text_prefers_article_and_drops_noise():
    html = """<html><head><meta property="og:description" content="OG text"><script>var x=1</script></head>
    <body><nav>Menu</nav><article><h1>T</h1><p>First paragraph.</p><p>Second <a href="#">para</a>.</p></article>
    <footer>Copyright</footer></body></html>"""
    text = article_text(html.encode())
    assert text == "First paragraph. Second para ." and "Menu" not in text
    assert (
        article_text(
            b"<html><head><meta property='og:description' content='Only OG'></head><body></body></html>"
        )
        == "Only OG"
    )


def test_fetch_article_text_over_http():
    with FeedServer() as srv:
        settings = FetchSettings(read_timeout_s=1.0, allow_hosts=(f"127.0.0.1:{srv.port}",))  # loopback by consent
        url = srv.route(
            "/story",
            "<html><body><main><p>Shutdown ordered.</p></main></body></html>",
            content_type="text/html",
        )

        async def run():
            async with make_client(settings) as client:
                return await fetch_article_text(Fetcher(client, settings), url, max_chars=100)

        assert asyncio.run(run()) == "Shutdown ordered."
