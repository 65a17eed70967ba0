"""The fast path for plain Atom 1.0 feeds, beside `fastfeed.py`'s for RSS 2.0; feedparser stays the reference.

`parse_plain_atom(body, content_type)` returns the entries of a document only when feedparser would read
them the same: what `fastfeed` asks of an RSS document (UTF-8, no DTD, entity declaration, xml:base or
xml:lang, well-formed, namespaces declared at the root) and, in each entry, only text constructs of type
text or html (no XHTML, no `src`), one author with a name and no email (feedparser would write
"name (email)"), exactly one alternate HTML link with an absolute http(s) address (feedparser keeps the
last of several, and without one makes a link of the id), RFC 3339 dates, and no element outside a known
set. Otherwise None, and the caller runs feedparser. The entries are dicts shaped like feedparser's, so
`rss.to_item` makes the items of both paths; `benchmarks.parser_agreement` checks them against feedparser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from monitor.sources.fastfeed import (
    _HTTP_LINK,
    _UNSAFE_TEXT,
    IGNORED,
    NAMESPACES,
    _namespace,
    every_entry,
    plain_root,
    prolog,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM = "{" + ATOM_NS + "}"
TEXTS = {ATOM + name for name in ("title", "summary", "content")}  # text constructs: type text or html
PLAIN = {ATOM + "id", ATOM + "updated", ATOM + "published"}
LINK_ATTRIBUTES = {"rel", "type", "href", "title", "hreflang", "length"}
FEED_LEVEL = {"title", "subtitle", "updated", "id", "link", "author", "contributor", "category", "generator", "icon",
              "logo", "rights", "entry"}
OTHER_RELS = {"self", "edit", "replies", "enclosure", "related", "via", "license"}  # never the entry's link
_PROLOG = prolog(b"feed")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")


def parse_plain_atom(body: bytes, content_type: str = "") -> tuple[None, list[dict[str, Any]]] | None:
    """Return (no language: xml:lang is declined, feedparser-shaped entries) of a plain Atom 1.0 feed, or None."""
    root = plain_root(body, content_type, _PROLOG)
    if root is None or root.tag != ATOM + "feed" or root.nsmap.get(None) != ATOM_NS:
        return None
    if any(c.nsmap != root.nsmap for c in root.iter() if isinstance(c.tag, str)):
        return None  # a namespace declared below the root
    if any(not _feed_level(c) for c in root):
        return None
    unknown = set(root.nsmap.values()) - NAMESPACES
    elements = root.findall(ATOM + "entry")
    if unknown and any(_namespace(c.tag) in unknown for e in elements for c in e.iter() if isinstance(c.tag, str)):
        return None
    entries = every_entry(elements, _entry)
    return None if entries is None else (None, entries)


def _feed_level(child: Any) -> bool:
    """Tell whether a child of <feed> is one feedparser reads as the feed's, not as an entry (it takes an
    <item> for one, in any namespace)."""
    if not isinstance(child.tag, str):
        return True  # a comment or processing instruction
    local = child.tag.rpartition("}")[2]
    if _namespace(child.tag) == ATOM_NS:
        return local in FEED_LEVEL
    return local not in ("item", "entry", "channel", "feed")


def _entry(element: Any) -> dict[str, Any] | None:
    """A feedparser-shaped entry of one <entry>, or None when feedparser might read it differently."""
    fields: dict[str, str] = {}
    links: list[Any] = []
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            return None
        if tag in IGNORED:
            continue
        if tag == ATOM + "link":
            if len(child) or (child.text or "").strip() or set(child.attrib) - LINK_ATTRIBUTES or not child.get("href"):
                return None  # (feedparser takes a link's text for its address, even an enclosure's)
            links.append(child)
        elif tag == ATOM + "category":
            if len(child) or set(child.attrib) - {"term", "scheme", "label"}:
                return None
        elif tag == ATOM + "author":
            name = _author(child)
            if name is None or tag in fields:
                return None
            fields[tag] = name
        else:
            text = _text(child)
            if text is None or tag in fields:
                return None
            fields[tag] = text
    link = _link(links)
    return _shape(fields, link) if link else None


def _text(child: Any) -> str | None:
    """The text of a text construct (type text or html) or of id, updated, published; None otherwise."""
    tag, kind = child.tag, child.get("type")
    if tag not in TEXTS | PLAIN or len(child) or set(child.attrib) - ({"type"} if tag in TEXTS else set()):
        return None
    text = child.text or ""
    if kind not in (None, "text", "html") or (kind == "html" and _UNSAFE_TEXT.search(text)):
        return None
    return text


def _author(element: Any) -> str | None:
    """The author's name: one <name>, perhaps a <uri>, no email (feedparser would add it)."""
    names = [c for c in element if c.tag == ATOM + "name"]
    others = [c for c in element if c.tag != ATOM + "name"]
    if element.attrib or len(names) != 1 or any(c.tag != ATOM + "uri" or len(c) for c in others) or len(names[0]):
        return None
    return (names[0].text or "").strip() or None


def _link(links: list[Any]) -> str | None:
    """The one alternate HTML link's absolute address; None when there is none, or several, or another kind."""
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    if len(alternates) != 1 or any(link.get("rel", "alternate") not in OTHER_RELS | {"alternate"} for link in links):
        return None
    if alternates[0].get("type", "text/html") != "text/html":
        return None
    href = (alternates[0].get("href") or "").strip()
    return href if _HTTP_LINK.fullmatch(href) else None


def _shape(fields: dict[str, str], link: str) -> dict[str, Any] | None:
    entry: dict[str, Any] = {"link": link}
    if ATOM + "title" in fields:
        entry["title"] = fields[ATOM + "title"].strip()
    if ATOM + "summary" in fields:
        entry["summary"] = fields[ATOM + "summary"].strip()
    if ATOM + "content" in fields:
        entry["content"] = [{"value": fields[ATOM + "content"]}]
    if ATOM + "id" in fields:
        entry["id"] = fields[ATOM + "id"].strip()
    if ATOM + "author" in fields:
        entry["author"] = fields[ATOM + "author"]
    for name, key in (("published", "published_parsed"), ("updated", "updated_parsed")):
        if ATOM + name in fields:
            parsed = _rfc3339(fields[ATOM + name].strip())
            if parsed is None:
                return None
            entry[key] = parsed
    return entry


def _rfc3339(text: str) -> tuple[int, ...] | None:
    if not _RFC3339.fullmatch(text):
        return None
    try:
        when = datetime.fromisoformat(text).astimezone(UTC)  # (3.11 reads Z)
    except (ValueError, OverflowError):
        return None
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)
