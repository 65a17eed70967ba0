"""Issue 13, item 7: the feed parsers over every fixture (feedparser's test corpus, captured feeds) and a
hostile corpus, whole and mutated by Hypothesis (truncated, bytes flipped or inserted). Whatever comes in,
a parser either raises SourceError or returns items that are safe to store and show: a title, plain text
without controls or bidi overrides, bounded lengths, links that are http(s) or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import SourceError
from monitor.registry import Deps
from monitor.sources import SOURCES
from monitor.sources.base import AUTHOR_MAX, SUMMARY_MAX, TITLE_MAX
from monitor.types import FetchResult, SourceConfig

pytestmark = pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".xml", ".rss", ".atom"))
CONTROLS = {chr(c) for c in [*range(9), *range(11, 32), *range(127, 160)]} | set("\u202a\u202b\u202c\u202d\u202e"
                                                                                    "\u2066\u2067\u2068\u2069")
ITEM = "<item><title>{t}</title><link>{l}</link><description>{d}</description></item>"
HOSTILE = [  # the probe's hostile items, as feeds
    ITEM.format(t="Shutdown \x1b[2J\x1b]0;owned\x07 in Gabon", l="https://e.org/1", d="\x9b6n bidi \u202etxet"),
    ITEM.format(t="&#27;[31mred&#7;", l="javascript:alert(1)", d="<script>alert(1)</script>"),
    ITEM.format(t="", l="", d="only a description, no title, no link"),
    ITEM.format(t="<![CDATA[<img src=x onerror=alert(1)>]]>", l="http://127.0.0.1:22/\x1b", d="x"),
    ITEM.format(t="x" * 10_000, l="https://e.org/" + "a" * 5000, d="y" * 100_000),
    ITEM.format(t="@everyone <!channel> <https://evil|click>", l="https://e.org/2", d="=HYPERLINK(\"x\")"),
    ITEM.format(t="\u0000nul\u0000", l="https://e.org/3", d="\ud800"),
]
HOSTILE_DOCS = [f'<?xml version="1.0"?><rss version="2.0"><channel><title>h</title>{i}</channel></rss>'.encode(
    "utf-8", "surrogatepass") for i in HOSTILE] + [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><rss><channel><item><title>&lol3;</title></item>'
    b"</channel></rss>"),  # entity expansion
    b"<rss>" + b"<channel>" * 5000,  # deep nesting, truncated
    b"\xff\xfe\x00\x00garbage",
    b"",
]
KINDS = {
    "rss": SourceConfig("fuzz", "rss", "https://example.org/feed"),
    "html": SourceConfig("fuzz", "html", "https://example.org/", options={"item": "item, article, entry",
                                                                        "title": "title, h2", "link": "link, a"}),
}


def check_parse(kind: str, body: bytes, content_type: str = "application/xml") -> list:
    source = SOURCES.get(kind).from_config(KINDS[kind], Deps())
    result = FetchResult(url="https://example.org/feed", status=200, body=body, headers={"content-type": content_type})
    try:
        items = source.parse(result)
    except SourceError:
        return []
    for item in items:
        assert item.title and len(item.title) <= TITLE_MAX
        assert len(item.summary) <= SUMMARY_MAX and len(item.author or "") <= AUTHOR_MAX
        for text in (item.title, item.summary, item.url, item.author or ""):
            assert not CONTROLS & set(text), repr(text[:80])
        assert item.url == "" or item.url.lower().startswith(("http://", "https://"))
        assert "<script" not in item.title.lower() + item.summary.lower()
    return items


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(FIXTURES)))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_fixture_parses_to_safe_items_or_a_source_error(path, kind):
    check_parse(kind, path.read_bytes())


@pytest.mark.parametrize("body", HOSTILE_DOCS, ids=range(len(HOSTILE_DOCS)))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_hostile_corpus_parses_to_safe_items(body, kind):
    check_parse(kind, body)


def test_a_malformed_feed_drops_entries_with_neither_title_nor_link():
    broken = HOSTILE_DOCS[2].replace(b"</channel></rss>", b"<item><title>cut &amp")
    items = check_parse("rss", broken)
    assert [i.title for i in items] == ["cut &"] or items == []


FUZZ_SEEDS = [p.read_bytes() for p in CORPUS if p.stat().st_size < 20_000] + HOSTILE_DOCS


@st.composite
def mutated(draw) -> bytes:
    body = bytearray(draw(st.sampled_from(FUZZ_SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["cut", "flip", "insert"]))
        at = draw(st.integers(0, len(body)))
        if op == "cut":
            del body[at:]
        elif op == "flip" and at < len(body):
            body[at] = draw(st.integers(0, 255))
        else:
            body[at:at] = draw(st.binary(max_size=16) | st.sampled_from([b"\x1b[2J", b"\xe2\x80\xae", b"<", b"&#27;",
                                                                         b"]]>", b"<item><title>"]))
    return bytes(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from(["application/xml", "text/html", "application/rss+xml; charset=latin-1"]))
def test_mutated_feeds_never_crash_the_rss_parser(body, content_type):
    check_parse("rss", body, content_type)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_pages_never_crash_the_html_parser(body):
    check_parse("html", body, "text/html")
