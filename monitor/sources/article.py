"""The main text of an article page, for feeds that carry only a title."""

from __future__ import annotations

from typing import Any

from monitor.sources.base import plain_text
from monitor.sources.fetch import Fetcher

NOISE = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "iframe",
    "svg",
]


async def fetch_article_text(fetcher: Fetcher, url: str, max_chars: int = 4000) -> str:
    """Fetch `url` and return its main text as plain text (raises SourceError).

    The link comes from feed content, so it passes the SSRF guard (and so does every redirect).
    """
    result = await fetcher.fetch(url, trusted=False)
    return article_text(result.body, max_chars)


def article_text(body: bytes | str, max_chars: int = 4000) -> str:
    """Return the main text of an HTML page: <article> or <main> paragraphs, else og:description."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "lxml")
    fallback = _meta_description(soup)
    for tag in soup(NOISE):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    text = _paragraphs(root) or root.get_text(" ")
    return plain_text(text, max_chars) or plain_text(fallback, max_chars)


def _paragraphs(root: Any) -> str:
    texts = [p.get_text(" ").strip() for p in root.find_all(["p", "h2", "h3", "li", "blockquote"])]
    return "\n".join(t for t in texts if len(t) > 1)


def _meta_description(soup: Any) -> str:
    for attrs in ({"property": "og:description"}, {"name": "description"}, {"name": "twitter:description"}):
        tag = soup.find("meta", attrs=attrs)
        if tag is not None and tag.get("content"):
            return str(tag["content"])
    return ""
