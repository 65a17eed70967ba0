"""The Source protocol, the registry of source kinds, and the text rules every kind shares."""

from __future__ import annotations

import hashlib
import html
import html.entities
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from monitor.errors import ConfigError
from monitor.hygiene import strip_controls, truncate
from monitor.registry import Deps, Registry
from monitor.types import FetchResult, RawItem, SourceConfig

TITLE_MAX = 300
SUMMARY_MAX = 2000
AUTHOR_MAX = 200
_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]")


class Source(Protocol):
    """A kind of source: builds its request URL and turns a fetched body into items."""

    @classmethod
    def from_config(cls, config: SourceConfig, deps: Deps) -> Source: ...

    @classmethod
    def validate_options(cls, options: Mapping[str, Any], path: str) -> None: ...

    def request_url(self) -> str: ...

    def parse(self, result: FetchResult) -> list[RawItem]: ...


SOURCES: Registry[type[Source]] = Registry("source")


@dataclass(frozen=True)
class UrlSource:
    """What most kinds share: built from their catalog entry alone, fetched at its URL."""

    config: SourceConfig

    @classmethod
    def from_config(cls, config: SourceConfig, deps: Deps) -> Self:
        return cls(config)

    def request_url(self) -> str:
        return self.config.url


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def plain_text(text: str | None, limit: int) -> str:
    """Return `text` as plain text: no tags, entities decoded, whitespace collapsed, capped."""
    if not text:
        return ""
    out = strip_controls(text)  # no ESC, BEL or bidi override is ever stored as display text
    # Feeds often escape their HTML twice; strip until nothing tag-like is left (bounded).
    for _ in range(3):
        if not _MARKUP.search(out) and "&" not in out:
            break
        out = _strip_simple_tags(out)
    # Text escaped more often than the passes above undo ("&amp;amp;lt;script") must not come out as a tag.
    out = _TAG_START.sub("", out)
    return truncate(_SPACE.sub(" ", out).strip(), limit)


# The markup most feeds use: known inline and block tags with well-quoted attributes, nothing whose
# content is dropped (script, style...) and no comments or CDATA. Such text is stripped by one regex,
# with the same result as BeautifulSoup (tests/test_plain_text.py proves it on generated markup);
# anything else takes BeautifulSoup's path.
_SIMPLE_TAGS = (
    "a|abbr|b|big|blockquote|br|center|cite|code|dd|del|div|dl|dt|em|figcaption|figure|font|h[1-6]|hr|i|img|"
    "ins|kbd|li|ol|p|pre|q|s|small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul"
)
_ATTRIBUTE = r"""\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))?"""
_SIMPLE_TAG = re.compile(rf"</?(?:{_SIMPLE_TAGS})(?:{_ATTRIBUTE})*\s*/?>", re.IGNORECASE)


_REFERENCE = re.compile(r"&(#?[a-zA-Z0-9]*)(;?)")


def _plain_reference(match: re.Match[str]) -> bool:
    """Tell whether a `&` is one both paths decode alike: a bare `&`, a known entity or a plain number."""
    name, semicolon = match.groups()
    if not name:
        return True
    if not semicolon:
        return False
    if name.startswith("#"):
        return bool(re.fullmatch(r"#(?:[0-9]{1,6}|[xX][0-9a-fA-F]{1,5})", name)) and _codepoint_ok(name)
    return name + ";" in html.entities.html5


def _codepoint_ok(name: str) -> bool:
    digits, base = (name[2:], 16) if name[1:2] in "xX" else (name[1:], 10)
    value = int(digits, base)
    return 0x20 <= value < 0xD800 or (0xE000 <= value <= 0x10FFFF and value not in range(0x7F, 0xA0))


def _strip_simple_tags(text: str) -> str:
    """Strip tags like `_strip_tags`, by regex when every `<` opens a simple tag (the common case)."""
    stripped = _SIMPLE_TAG.sub(" ", text)
    if "<" in stripped or not all(_plain_reference(m) for m in _REFERENCE.finditer(stripped)):
        return _strip_tags(text)
    # BeautifulSoup decodes entities once while parsing; `_strip_tags` then unescapes once more.
    return html.unescape(html.unescape(stripped))


def _strip_tags(text: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "object", "embed", "applet"]):
        tag.decompose()
    return html.unescape(soup.get_text(" "))




def safe_link(url: str | None) -> str:
    """Return `url` if it is an absolute http(s) URL, else an empty string."""
    url = (url or "").strip()
    if url != strip_controls(url):
        return ""
    return url if re.match(r"(?i)https?://[^\s/]", url) and not re.search(r"\s", url) else ""


def item_guid(*candidates: str | None, text: str = "") -> str:
    """Return the first non-empty candidate, or a hash of `text` when every one is empty."""
    for value in candidates:
        if value and value.strip():
            return value.strip()[:1000]
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc(value: datetime | None) -> datetime | None:
    """Return `value` as an aware UTC datetime (naive ones are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def primary_lang(tag: str | None) -> str | None:
    """Return the primary subtag of a language tag: `en-US` -> `en`."""
    if not tag:
        return None
    head = re.split(r"[-_]", tag.strip().lower())[0]
    return head if re.fullmatch(r"[a-z]{2,3}", head) else None


def content_type(result: FetchResult) -> str:
    """Return the Content-Type header of a fetch result ('' when absent)."""
    return next((v for k, v in result.headers.items() if k.lower() == "content-type"), "")


def reject_unknown(options: Mapping[str, Any], allowed: set[str], path: str) -> None:
    """Raise ConfigError naming the first option that is not in `allowed`."""
    for key in options:
        if key not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ConfigError(f"unknown option {key!r} (known: {known})", path=f"{path}.{key}")


def require_str(options: Mapping[str, Any], key: str, path: str, required: bool = False) -> None:
    """Raise ConfigError unless options[key] is a non-empty string (or absent when optional)."""
    if key not in options:
        if required:
            raise ConfigError("required", path=f"{path}.{key}")
        return
    if not isinstance(options[key], str) or not options[key].strip():
        raise ConfigError("must be a non-empty string", path=f"{path}.{key}")
