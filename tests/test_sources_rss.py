"""RSS/Atom/RDF parsing: real captured feeds, hostile HTML, encodings, garbage."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import pytest

from monitor.errors import SourceError
from monitor.registry import Deps
from monitor.sources import SOURCES
from monitor.sources.rss import parse_feed
from monitor.types import FetchResult, SourceConfig

FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = sorted(p for p in (FIXTURES / "feeds").iterdir() if p.suffix in (".rss", ".atom"))
SANITIZE = sorted((FIXTURES / "feedparser-tests" / "sanitize").glob("*.xml"))
HOSTILE = re.compile(r"<script|javascript:|\bon[a-z]+\s*=|<iframe|<object", re.IGNORECASE)


def result(body: bytes | str, content_type: str = "application/rss+xml") -> FetchResult:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return FetchResult(
        url="https://example.org/feed", status=200, body=data, headers={"content-type": content_type}
    )


@pytest.mark.parametrize("path", FEEDS, ids=lambda p: p.name)
def test_every_fixture_feed_parses_with_sensible_titles(path):
    items = parse_feed(result(path.read_bytes()), "fixture")
    assert items
    for item in items:
        assert item.title.strip() and "<" not in item.title and len(item.title) <= 300
        assert item.guid and item.source == "fixture"
        assert item.published is None or item.published.tzinfo == UTC
        assert item.url == "" or item.url.startswith(("http://", "https://"))


def test_guardian_items_carry_links_dates_and_plain_summaries():
    items = parse_feed(result((FIXTURES / "feeds" / "guardian.rss").read_bytes()), "guardian")
    first = items[0]
    assert first.title.startswith("Trump State of the Union")
    assert first.url.startswith("https://www.theguardian.com/") and first.published.year == 2018
    assert all("<" not in i.summary and "&amp;" not in i.summary for i in items)


def test_hostile_html_never_reaches_titles_or_summaries():
    assert len(SANITIZE) > 100
    for path in SANITIZE:
        for item in parse_feed(result(path.read_bytes()), "hostile"):
            for text in (item.title, item.summary, item.url, item.author):
                assert not HOSTILE.search(text), (path.name, text)


def test_double_escaped_html_is_plain_text():
    feed = "<rss><channel><item><title>A &amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; &amp;amp; safe&lt;script&gt;x()&lt;/script&gt; title</title></item></channel></rss>"
    (item,) = parse_feed(result(feed), "s")
    assert item.title == "A bold & safe title"


@pytest.mark.parametrize(
    ("encoding", "declared_in"),
    [("windows-1251", "header"), ("iso-8859-1", "prolog"), ("utf-16", "bom"), ("koi8-r", "prolog")],
)
def test_encodings_from_header_prolog_or_bom(encoding, declared_in):
    title = "Отключение интернета" if encoding != "iso-8859-1" else "Coupure d'accès à Internet"
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if declared_in == "prolog" else ""
    text = f"{prolog}<rss version='2.0'><channel><title>c</title><item><title>{title}</title></item></channel></rss>"
    ctype = f"text/xml; charset={encoding}" if declared_in == "header" else "application/xml"
    (item,) = parse_feed(result(text.encode(encoding), ctype), "s")
    assert item.title == title


def test_bozo_feed_with_entries_is_accepted():
    broken = "<rss><channel><title>x</title><item><title>Shutdown & more</title><link>https://e.org/1</link></item>"
    (item,) = parse_feed(result(broken), "s")
    assert item.title == "Shutdown & more" and item.url == "https://e.org/1"


@pytest.mark.parametrize(
    "body", ["<html><body><h1>Welcome</h1></body></html>", '{"not": "xml"}', "", "\x00\x01garbage"]
)
def test_garbage_is_not_a_feed(body):
    with pytest.raises(SourceError, match="^not a feed: "):
        parse_feed(result(body, "text/html"), "s")


def test_empty_but_valid_feed_yields_nothing():
    assert parse_feed(result("<rss version='2.0'><channel><title>quiet</title></channel></rss>"), "s") == []


def test_guid_falls_back_to_link_then_hash_and_dates_are_utc():
    feed = """<rss version="2.0"><channel><title>c</title>
      <item><title>one</title><link>https://e.org/1</link><pubDate>Tue, 02 Dec 2025 10:00:00 +0300</pubDate></item>
      <item><title>two</title><link>javascript:alert(1)</link></item></channel></rss>"""
    one, two = parse_feed(result(feed), "s", lang="fr")
    assert one.guid == "https://e.org/1" and one.published.hour == 7 and one.lang == "fr"
    assert two.url == "" and two.guid.startswith("sha256:")


def test_rss_kind_is_registered_and_builds_from_config():
    config = SourceConfig(name="EFF", kind="rss", url="https://www.eff.org/rss/updates.xml")
    source = SOURCES.get("rss").from_config(config, Deps())
    assert source.request_url() == config.url
    assert source.parse(result((FIXTURES / "feeds" / "heise.atom").read_bytes()))[0].source == "EFF"
