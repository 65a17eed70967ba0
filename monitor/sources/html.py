"""Listing pages without a feed: items picked out of the HTML with CSS selectors.

- name: BHRRC latest
  kind: html
  url: https://www.business-humanrights.org/en/latest-news/
  item: "article.card"        # one element per item (required)
  title: "h3"                 # within the item; default: the link's text
  link: "a[href]"             # default: the first a[href] (or the item itself)
  summary: "p.summary"        # optional
  date: "time"                # optional; the datetime attribute or the text
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from monitor.errors import ConfigError, SourceError
from monitor.sources.base import (
    SOURCES,
    SUMMARY_MAX,
    TITLE_MAX,
    UrlSource,
    content_type,
    item_guid,
    plain_text,
    reject_unknown,
    require_str,
    safe_link,
    utc,
)
from monitor.types import FetchResult, RawItem

SELECTORS = ("item", "title", "link", "summary", "date")
MAX_ITEMS = 200


@SOURCES.register("html")
@dataclass(frozen=True)
class HtmlSource(UrlSource):
    """A listing page scraped with CSS selectors."""

    @classmethod
    def validate_options(cls, options: Mapping[str, Any], path: str) -> None:
        reject_unknown(options, set(SELECTORS), path)
        for key in SELECTORS:
            require_str(options, key, path, required=key == "item")
            if key in options:
                _check_selector(options[key], f"{path}.{key}")

    def parse(self, result: FetchResult) -> list[RawItem]:
        return parse_listing(result, self.config.name, self.config.options, self.config.lang)


def _check_selector(selector: str, path: str) -> None:
    import soupsieve

    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        raise ConfigError(f"invalid CSS selector: {exc.args[0] if exc.args else exc}", path=path) from exc


def parse_listing(
    result: FetchResult, source: str, options: Mapping[str, Any], lang: str | None
) -> list[RawItem]:
    """Pick items out of a listing page; raise SourceError when the page is not HTML."""
    soup = _soup(result)
    items = [
        _item(el, result.url, source, options, lang) for el in soup.select(options["item"], limit=MAX_ITEMS)
    ]
    return [item for item in items if item is not None]


def _soup(result: FetchResult) -> Any:
    from bs4 import BeautifulSoup

    ctype = content_type(result).lower()
    if ctype and "html" not in ctype and "xml" not in ctype:
        raise SourceError(f"not an HTML page: Content-Type {ctype}", status=result.status)
    return BeautifulSoup(result.body, "lxml", from_encoding=_charset(ctype))


def _charset(ctype: str) -> str | None:
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _item(el: Any, base: str, source: str, options: Mapping[str, Any], lang: str | None) -> RawItem | None:
    anchor = _link_element(el, options.get("link"))
    url = safe_link(urljoin(base, anchor.get("href", ""))) if anchor is not None else ""
    title = plain_text(_text(el, options.get("title")) or (anchor.get_text(" ") if anchor else ""), TITLE_MAX)
    if not title:
        return None
    summary = plain_text(_text(el, options.get("summary")), SUMMARY_MAX)
    published = _date(el.select_one(options["date"])) if options.get("date") else None
    return RawItem(source, title, url, item_guid(url, text=title), summary, published, lang)


def _link_element(el: Any, selector: str | None) -> Any:
    if selector:
        return el.select_one(selector)
    if el.name == "a" and el.get("href"):
        return el
    return el.select_one("a[href]")


def _text(el: Any, selector: str | None) -> str:
    if not selector:
        return ""
    found = el.select_one(selector)
    return found.decode_contents() if found is not None else ""


def _date(el: Any) -> datetime | None:
    if el is None:
        return None
    return parse_date(el.get("datetime") or el.get("content") or el.get_text(" "))


def parse_date(text: str | None) -> datetime | None:
    """Parse a date in any common format into aware UTC, or None."""
    from dateutil import parser

    if not text or not text.strip():
        return None
    try:
        return utc(parser.parse(text.strip(), fuzzy=True))
    except (ValueError, OverflowError, TypeError):
        return None
