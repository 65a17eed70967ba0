"""The fast path takes only plain RSS 2.0 and Atom 1.0 and then gives exactly feedparser's items (issue 12, item 2).

Run over feedparser's corpus as copied in tests/fixtures and the captured feeds; the whole corpus
(2,106 documents, in ../shared/data or a feedparser checkout) by `python -m benchmarks.parser_agreement DIR`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.parser_agreement import compare, documents
from monitor.sources.fastatom import parse_plain_atom
from monitor.sources.fastfeed import parse_plain_rss
from monitor.sources.rss import parse_fast
from monitor.types import FetchResult
from tests.feeds import rss

DOCS = documents([Path(__file__).parent / "fixtures"])


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_a_document_the_fast_path_takes_gives_feedparsers_items(path):
    _taken, agrees, why = compare(path)
    assert agrees, why


def test_the_fast_path_takes_some_of_the_corpus():
    assert sum(compare(p)[0] for p in DOCS) >= 30


def test_the_fast_path_takes_real_feeds_with_media_dc_and_content_encoded():
    # The Guardian (media:content with credits, dc:date, dc:creator, dc:language beside <language>) and Medium
    # (content:encoded without a description, atom:updated, an unused creative-commons namespace).
    feeds = Path(__file__).parent / "fixtures" / "feeds"
    for name in ("guardian.rss", "content-encoded.rss"):
        taken, agrees, why = compare(feeds / name)
        assert taken and agrees, (name, why)


def test_dc_language_disagreeing_with_language_or_an_unknown_namespace_in_an_item_is_declined():
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    body = rss([{"title": "t", "summary": "s", "hours_ago": 1, "url": "https://x.example.org/1"}], now)
    with_dc = body.replace(b"<rss ", b'<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:x="urn:x" ')
    assert parse_plain_rss(with_dc) is not None  # x declared, never used
    assert parse_plain_rss(with_dc.replace(b"<channel>", b"<channel><dc:language>de</dc:language>"))[0] == "de"
    disagree = with_dc.replace(b"<channel>", b"<channel><language>en</language><dc:language>de</dc:language>")
    assert parse_plain_rss(disagree) is None
    assert parse_plain_rss(with_dc.replace(b"<item>", b"<item><x:extra>1</x:extra>")) is None


def test_plain_rss_is_taken_and_anything_odd_is_not():
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    body = rss([{"title": "Ban on <b>VPNs</b>", "summary": "<p>Text &amp; more</p>", "hours_ago": 1,
                 "url": "https://x.example.org/1"}], now)
    assert parse_plain_rss(body) is not None
    item = parse_fast(FetchResult(url="https://x.example.org/f", status=200, body=body), "s")[0]
    assert (item.title, item.summary, item.url) == ("Ban on VPNs", "Text & more", "https://x.example.org/1")
    odd = [body.replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY e "x">]><rss'), body.replace(b"<channel>", b'<channel xml:lang="de">'),
           body.replace(b"https://x.example.org/1", b"/relative"), body.replace(b"<item>", b"<item><media:title>x</media:title>"),
           body.replace(b"version=\"2.0\"", b"version=\"0.91\""), body[:-20], body.replace(b"Ban on", b"Ban\xc2\x92on")]
    assert [parse_plain_rss(b) for b in odd] == [None] * len(odd)


ATOM_ENTRY = ("<entry><title type=\"html\">Ban on &lt;b&gt;VPNs&lt;/b&gt;</title><id>tag:x.example.org,2026:1</id>"
              "<published>2026-11-23T08:00:00+01:00</published><updated>2026-11-23T08:30:00.25Z</updated>"
              "<link rel=\"alternate\" type=\"text/html\" href=\"https://x.example.org/1\"/>"
              "<link rel=\"self\" href=\"https://x.example.org/1.atom\"/><author><name>Jo</name></author>"
              "<category term=\"net\"/><summary type=\"text\">Text &amp; more</summary></entry>")
ATOM = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>"
        "<id>urn:x</id><updated>2026-11-23T09:00:00Z</updated>" + ATOM_ENTRY + "</feed>").encode()


def test_plain_atom_is_taken_with_feedparsers_items_and_anything_odd_is_not(tmp_path):
    item = parse_fast(FetchResult(url="https://x.example.org/f", status=200, body=ATOM), "s")[0]
    assert (item.title, item.summary, item.url, item.author) == ("Ban on VPNs", "Text & more", "https://x.example.org/1", "Jo")
    assert item.published == datetime(2026, 11, 23, 7, tzinfo=UTC)
    path = tmp_path / "plain.atom"
    path.write_bytes(ATOM)
    assert compare(path) == (True, True, "")
    odd = {
        "xhtml": ATOM.replace(b'type="text">Text &amp; more', b'type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div>'),
        "email": ATOM.replace(b"<name>Jo</name>", b"<name>Jo</name><email>jo@x.example.org</email>"),
        "two alternates": ATOM.replace(b'<link rel="self"', b'<link href="https://x.example.org/2"/><link rel="self"'),
        "no alternate": ATOM.replace(b'rel="alternate" ', b'rel="related" '),
        "a link's text": ATOM.replace(b'<link rel="self" href="https://x.example.org/1.atom"/>',
                                      b'<link rel="enclosure" type="text/html">https://x.example.org/e</link>'),
        "relative": ATOM.replace(b'href="https://x.example.org/1"', b'href="/1"'),
        "an item": ATOM.replace(b"</feed>", b"<item><title>x</title></item></feed>"),
        "a date": ATOM.replace(b"2026-11-23T08:00:00+01:00", b"Mon, 23 Nov 2026 08:00:00 +0100"),
        "content src": ATOM.replace(b"<summary", b'<content type="html" src="https://x.example.org/c"/><summary'),
        "xml:lang": ATOM.replace(b"<feed ", b'<feed xml:lang="de" '),
        "unknown element": ATOM.replace(b"<category", b"<rights>r</rights><category"),
    }
    assert parse_plain_atom(ATOM) is not None
    assert {name: parse_plain_atom(body) for name, body in odd.items()} == dict.fromkeys(odd)


def test_the_fast_path_takes_a_real_atom_feed():
    taken, agrees, why = compare(Path(__file__).parent / "fixtures" / "feeds" / "heise.atom")
    assert taken and agrees, why
