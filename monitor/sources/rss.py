"""RSS, Atom and RDF feeds, parsed by feedparser into plain-text items."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.errors import SourceError
from monitor.hygiene import clean_line
from monitor.sources.base import (
    AUTHOR_MAX,
    SOURCES,
    SUMMARY_MAX,
    TITLE_MAX,
    UrlSource,
    content_type,
    item_guid,
    plain_text,
    primary_lang,
    reject_unknown,
    safe_link,
)
from monitor.types import FetchResult, ParsedItems, RawItem

_XML_START = re.compile(
    rb"^(\xef\xbb\xbf|\xff\xfe|\xfe\xff|\x00|\s)*<(\?xml|rss|feed|rdf:RDF|!--)", re.IGNORECASE
)


@SOURCES.register("rss")
@dataclass(frozen=True)
class RssSource(UrlSource):
    """A feed in any of the RSS, Atom or RDF dialects."""

    @classmethod
    def validate_options(cls, options: Mapping[str, Any], path: str) -> None:
        reject_unknown(options, set(), path)

    def parse(self, result: FetchResult) -> list[RawItem]:
        return parse_feed(result, self.config.name, self.config.lang)


def parse_feed(result: FetchResult, source: str, lang: str | None = None, fast: bool = True) -> list[RawItem]:
    """Parse a fetched feed; raise SourceError when the body is not a feed at all.

    A plain RSS 2.0 or Atom 1.0 document takes the fast path (`fastfeed.py`, `fastatom.py`: the same items);
    anything else, feedparser.
    """
    import feedparser

    if not result.body.strip():
        raise SourceError("not a feed: empty body", status=result.status)
    if fast and (items := parse_fast(result, source, lang)) is not None:
        return items
    body, ctype = _decode_bom(result.body, content_type(result) or "application/xml")
    headers = {"content-type": ctype, "content-location": result.url}
    try:
        feed = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    except (ValueError, LookupError) as exc:  # feedparser re-decoding a mangled body: bad codec name, NUL (fuzz-found)
        raise SourceError(f"not a feed: undecodable body ({type(exc).__name__})", status=result.status) from exc
    if feed.bozo and not feed.entries and not _looks_like_feed(result.body, feed):
        raise SourceError(f"not a feed: {_bozo_reason(feed)}", status=result.status)
    feed_lang = lang or primary_lang(feed.feed.get("language"))
    if not feed.bozo:
        return ParsedItems(to_item(entry, source, feed_lang) for entry in feed.entries)
    # A malformed feed is salvaged only as far as its entries still say something: a title or a link.
    kept = ParsedItems(to_item(e, source, feed_lang) for e in feed.entries if _has_title_or_link(e))
    kept.warning = f"malformed feed, {len(kept)} of {len(feed.entries)} entries kept: {_bozo_reason(feed)}"
    return kept


def parse_fast(result: FetchResult, source: str, lang: str | None = None) -> ParsedItems | None:
    """Return the items of a plain RSS 2.0 or Atom 1.0 document without feedparser, or None when it is not plain."""
    from monitor.sources.fastatom import parse_plain_atom
    from monitor.sources.fastfeed import parse_plain_rss

    parsed: tuple[str | None, list[dict[str, Any]]] | None = parse_plain_rss(result.body, content_type(result))
    if parsed is None:
        parsed = parse_plain_atom(result.body, content_type(result))
    if parsed is None:
        return None
    language, entries = parsed
    feed_lang = lang or primary_lang(language)
    return ParsedItems(to_item(entry, source, feed_lang) for entry in entries)


def _has_title_or_link(entry: Any) -> bool:
    return bool(plain_text(entry.get("title"), TITLE_MAX) or safe_link(entry.get("link")))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip


def _decode_bom(body: bytes, ctype: str) -> tuple[bytes, str]:
    # feedparser misses a UTF-16/32 byte-order mark when no XML prolog follows it.
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                return body, ctype
            text = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
            return text.encode("utf-8"), ctype.split(";")[0] + "; charset=utf-8"
    return body, ctype


def _looks_like_feed(body: bytes, feed: Any) -> bool:
    # An XML document that merely has no entries yet is an empty feed, not an error.
    return bool(_XML_START.match(body[:512])) and bool(feed.feed) and feed.version != ""


def _bozo_reason(feed: Any) -> str:
    exc = feed.get("bozo_exception")
    text = str(exc).splitlines()[0] if exc and str(exc).strip() else "unrecognised document"
    return clean_line(text)[:200]


def to_item(entry: Any, source: str, lang: str | None) -> RawItem:
    """Turn one feedparser entry into a RawItem with plain text and an aware UTC date."""
    title = plain_text(entry.get("title"), TITLE_MAX)
    summary = plain_text(_summary_html(entry), SUMMARY_MAX)
    link = safe_link(entry.get("link"))
    return RawItem(
        source=source,
        title=title or summary[:TITLE_MAX] or "(untitled)",
        url=link,
        guid=item_guid(entry.get("id"), link, text=title + "\n" + summary),
        summary=summary,
        published=entry_datetime(entry),
        lang=primary_lang(entry.get("language")) or lang,
        author=plain_text(entry.get("author"), AUTHOR_MAX),
    )


def _summary_html(entry: Any) -> str:
    summary = entry.get("summary") or ""
    if summary:
        return summary
    content = entry.get("content") or []
    return content[0].get("value", "") if content else ""


def entry_datetime(entry: Any) -> datetime | None:
    """Return the entry's published (or updated) time as aware UTC, or None."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # plain lookup: skips feedparser's deprecated key aliasing
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None
