"""A fast path for plain RSS 2.0 feeds; feedparser stays the reference, and the fallback for anything else.

`parse_plain_rss(body, headers)` returns the entries of a document only when it is plain: UTF-8, no DTD or
entity declarations, well-formed for a strict XML parser, RSS 2.0 with one channel, items made of a known
set of text-only elements, absolute http(s) links, RFC 822 dates, no markup whose text feedparser and
`plain_text` would treat differently. Otherwise it returns None and the caller runs feedparser. The
entries are dicts shaped like feedparser's, so `rss.to_item` makes the items of both paths.
`tests/test_fastfeed.py` checks, on feedparser's corpus and the captured feeds, that every document the
fast path accepts gives the same items as feedparser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}"
CREATOR = DC + "creator"
MEDIA = "{http://search.yahoo.com/mrss/}"
NAMESPACES = {"http://purl.org/rss/1.0/modules/content/", "http://purl.org/dc/elements/1.1/",
              "http://search.yahoo.com/mrss/", "http://www.w3.org/2005/Atom", "http://rssnamespace.org/feedburner/ext/1.0",
              "http://creativecommons.org/ns#", "http://www.w3.org/2003/01/geo/wgs84_pos#"}
ITEM_FIELDS = {"title", "link", "guid", "pubDate", "description", "category", "comments", "enclosure",
               CONTENT, CREATOR}
# Elements feedparser keeps apart from the fields used here (media, the feedburner original link); a
# second date (dc:date, atom:updated) only when pubDate is there, as feedparser then prefers pubDate.
IGNORED = {MEDIA + "content", MEDIA + "thumbnail", MEDIA + "title", "{http://rssnamespace.org/feedburner/ext/1.0}origLink",
           "source"}
SECOND_DATES = {DC + "date", "{http://www.w3.org/2005/Atom}updated"}
WITH_ATTRIBUTES = {"guid", "enclosure", "category", "source", MEDIA + "content", MEDIA + "thumbnail"}
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} (?:[+-]\d{4}|GMT|UTC)"
)
_HTTP_LINK = re.compile(r"https?://[^\s/]+[^\s]*")
# Elements whose text feedparser's sanitizer keeps but plain_text drops (or the reverse), and anything
# feedparser treats as more than text.
_UNSAFE_TEXT = re.compile(r"<\s*/?\s*(?:noscript|template|iframe|object|embed|applet|math|svg)\b|<!\[CDATA\[|<!--",
                          re.IGNORECASE)
# Declarations, base and language attributes, C1 controls and numeric references in the Latin-1 range, which
# feedparser re-reads as cp1252 or as double-encoded UTF-8.
_DECLARATIONS = re.compile(
    rb"<!DOCTYPE|<!ENTITY|xml:base|xml:lang|\xc2[\x80-\x9f]|&#0*(?:12[89]|1[3-9]\d|2[0-4]\d|25[0-5]);|&#[xX]0*[89a-fA-F][0-9a-fA-F];",
    re.IGNORECASE)


def prolog(root_element: bytes) -> re.Pattern[bytes]:
    """What may come before a plain document's root element: a UTF-8 XML declaration and comments."""
    return re.compile(
        rb"""^(?:<\?xml\s+version=["']1\.0["'](?:\s+encoding=["']utf-?8["'])?(?:\s+standalone=["']yes["'])?\s*\?>)?"""
        rb"\s*(?:<!--(?:[^-]|-(?!-))*-->\s*)*<" + root_element + rb"[\s>]", re.IGNORECASE)


_PROLOG = prolog(b"rss")


def plain_root(body: bytes, content_type: str, expected_prolog: re.Pattern[bytes]) -> Any | None:
    """The parsed root of a plain UTF-8 document (no declarations, base or language attributes, nothing
    feedparser re-reads as cp1252), or None when the fast path must leave it to feedparser."""
    if not expected_prolog.match(body) or _DECLARATIONS.search(body) or not _utf8_header(content_type):
        return None
    try:
        body.decode("utf-8")
        return _xml(body)
    except (UnicodeDecodeError, ValueError):
        return None


def parse_plain_rss(body: bytes, content_type: str = "") -> tuple[str | None, list[dict[str, Any]]] | None:
    """Return (channel language, feedparser-shaped entries) of a plain RSS 2.0 document, or None."""
    root = plain_root(body, content_type, _PROLOG)
    if root is None:
        return None
    channels = [c for c in root if c.tag == "channel"]
    if root.tag != "rss" or root.get("version") != "2.0" or len(channels) != 1:
        return None
    if any(c.nsmap != root.nsmap for c in root.iter() if isinstance(c.tag, str)):
        return None  # a namespace declared below the root
    unknown = set(root.nsmap.values()) - NAMESPACES
    channel = channels[0]
    if unknown and any(_namespace(c.tag) in unknown for c in channel.iter() if isinstance(c.tag, str)):
        return None  # an element of a namespace this path does not know (declared and unused is fine)
    language = _channel_language(channel)
    if language is False or language is True:
        return None
    entries = every_entry(channel.iter("item"), _entry)
    return None if entries is None else (language, entries)


def every_entry(elements: Iterable[Any], read: Callable[[Any], dict[str, Any] | None]) -> list[dict[str, Any]] | None:
    """Each element read as an entry, or None as soon as one cannot be read the way feedparser would."""
    entries = []
    for element in elements:
        entry = read(element)
        if entry is None:
            return None
        entries.append(entry)
    return entries


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _channel_language(channel: Any) -> str | None | bool:
    """The channel's language (feedparser reads <language> or dc:language); False when the two disagree."""
    plain, dublin = channel.findall("language"), channel.findall(DC + "language")
    if len(plain) > 1 or len(dublin) > 1:
        return False
    values = {(e.text or "").strip() for e in (*plain, *dublin)}
    if len(values) > 1:
        return False
    language = values.pop() if values else None
    return language or None


def _utf8_header(content_type: str) -> bool:
    charset = re.search(r"charset\s*=\s*\"?([^\s;\"]+)", content_type, re.IGNORECASE)
    return charset is None or charset.group(1).lower() in ("utf-8", "utf8")


def _xml(body: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False,
                             remove_comments=False, load_dtd=False)
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(str(exc)) from exc


def _entry(item: Any) -> dict[str, Any] | None:
    """A feedparser-shaped entry of one <item>, or None when feedparser might read it differently."""
    fields: dict[str, str] = {}
    for child in item:
        tag = child.tag
        if not isinstance(tag, str) or (child.attrib and tag not in WITH_ATTRIBUTES) or not _bare(child):
            return None
        if tag in IGNORED or tag in SECOND_DATES:
            fields.setdefault("+" + tag, "")
            continue
        if tag not in ITEM_FIELDS or (tag in fields and tag != "category"):
            return None  # unknown, or repeated: which one feedparser keeps is its business
        text = child.text or ""
        if _UNSAFE_TEXT.search(text):
            return None
        fields[tag] = text
    if any("+" + d in fields for d in SECOND_DATES) and "pubDate" not in fields:
        return None
    return _shape(fields, item)


def _bare(element: Any) -> bool:
    """Tell whether an element has no children, or is media:content holding only media:credit."""
    if not len(element):
        return True
    return element.tag == MEDIA + "content" and all(c.tag == MEDIA + "credit" and not len(c) for c in element)


def _shape(fields: dict[str, str], item: Any) -> dict[str, Any] | None:
    link = fields.get("link", "").strip()
    if "link" in fields and not _HTTP_LINK.fullmatch(link):
        return None
    guid = item.find("guid")
    if guid is not None and (not link or set(guid.attrib) - {"isPermaLink"}):
        return None  # a guid without a link becomes feedparser's link
    entry: dict[str, Any] = {}
    if "title" in fields:
        entry["title"] = fields["title"].strip()
    if "description" in fields:
        entry["summary"] = fields["description"].strip()
    if CONTENT in fields:
        # without a description, feedparser's summary is content:encoded too; `to_item` reads it from content
        entry["content"] = [{"value": fields[CONTENT]}]
    if link:
        entry["link"] = link
    if "guid" in fields:
        entry["id"] = fields["guid"].strip()
    if CREATOR in fields:
        entry["author"] = fields[CREATOR].strip()
    if "pubDate" in fields:
        published = _rfc822(fields["pubDate"].strip())
        if published is None:
            return None
        entry["published_parsed"] = published
    return entry


def _rfc822(text: str) -> tuple[int, ...] | None:
    if not _RFC822.fullmatch(text):
        return None
    try:
        when = parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)
