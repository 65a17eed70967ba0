"""JSON APIs (OONI findings, IODA alerts, GDELT DOC) mapped onto items by dotted paths.

    - name: GDELT spyware
      kind: json
      preset: gdelt                       # or: items: data.list, fields: {title: name, url: link}
      url: https://api.gdeltproject.org/api/v2/doc/doc?query=...&mode=ArtList&format=json

A field is a dotted path (`entity.name`) or a template (`IODA alert: {entity.name}`).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from monitor.clock import Clock, SystemClock
from monitor.errors import ConfigError, SourceError
from monitor.registry import Deps
from monitor.sources.base import (
    SOURCES,
    SUMMARY_MAX,
    TITLE_MAX,
    item_guid,
    plain_text,
    reject_unknown,
    require_str,
    safe_link,
    utc,
)
from monitor.sources.html import parse_date
from monitor.types import FetchResult, RawItem, SourceConfig

FIELDS = ("title", "url", "summary", "published", "guid")
OPTIONS = {"preset", "items", "fields", "window"}
MAX_ITEMS = 500

PRESETS: dict[str, dict[str, Any]] = {
    # OONI findings: GET https://api.ooni.org/api/v1/incidents/search?only_mine=false
    "ooni": {
        "items": "incidents",
        "fields": {
            "title": "title",
            "url": "https://explorer.ooni.org/findings/{id}",
            "summary": "short_description",
            "published": "start_time",
            "guid": "ooni:{id}",
        },
    },
    # IODA alerts: GET https://api.ioda.inetintel.cc.gatech.edu/v2/outages/alerts (from/until added)
    "ioda": {
        "items": "data",
        "window": 86400,
        "fields": {
            "title": "IODA {level} outage alert: {entity.name} ({datasource})",
            "url": "https://ioda.inetintel.cc.gatech.edu/{entity.type}/{entity.code}",
            "summary": "{datasource} signal {condition} {value} (usual {historyValue}) for {entity.type} {entity.code}",
            "published": "time",
            "guid": "ioda:{entity.type}:{entity.code}:{datasource}:{time}",
        },
    },
    # GDELT DOC 2.0: GET https://api.gdeltproject.org/api/v2/doc/doc?...&mode=ArtList&format=json
    "gdelt": {
        "items": "articles",
        "fields": {
            "title": "title",
            "url": "url",
            "published": "seendate",
            "guid": "url",
            "summary": "domain",
        },
    },
}


@SOURCES.register("json")
@dataclass(frozen=True)
class JsonSource:
    """A JSON API whose list of records maps onto items."""

    config: SourceConfig
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_config(cls, config: SourceConfig, deps: Deps) -> JsonSource:
        return cls(config, deps.clock)

    @classmethod
    def validate_options(cls, options: Mapping[str, Any], path: str) -> None:
        reject_unknown(options, OPTIONS, path)
        preset = options.get("preset")
        if preset is not None and preset not in PRESETS:
            raise ConfigError(
                f"unknown preset {preset!r} (known: {', '.join(sorted(PRESETS))})", f"{path}.preset"
            )
        require_str(options, "items", path, required=preset is None)
        _check_fields(options.get("fields"), f"{path}.fields", required=preset is None)
        if "window" in options and not _positive_int(options["window"]):
            raise ConfigError("must be a positive number of seconds", f"{path}.window")

    def request_url(self) -> str:
        window = mapping_of(self.config.options).get("window")
        if not window:
            return self.config.url
        # APIs like IODA's want an explicit time range on every request.
        until = int(self.clock.now().timestamp())
        sep = "&" if "?" in self.config.url else "?"
        return self.config.url + sep + urlencode({"from": until - int(window), "until": until})

    def parse(self, result: FetchResult) -> list[RawItem]:
        return parse_records(result, self.config.name, mapping_of(self.config.options), self.config.lang)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_fields(fields: Any, path: str, required: bool) -> None:
    if fields is None:
        if required:
            raise ConfigError("required (a mapping of title/url/summary/published/guid)", path)
        return
    if not isinstance(fields, Mapping):
        raise ConfigError("must be a mapping", path)
    reject_unknown(fields, set(FIELDS), path)
    for key, value in fields.items():
        if not isinstance(value, str) or not value:
            raise ConfigError("must be a dotted path or a template", f"{path}.{key}")
    if required and "title" not in fields:
        raise ConfigError("required", f"{path}.title")


def mapping_of(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the options with a preset's items, fields and window filled in under the user's."""
    preset = PRESETS.get(options.get("preset") or "", {})
    merged = {**preset, **{k: v for k, v in options.items() if k != "preset"}}
    merged["fields"] = {**preset.get("fields", {}), **(options.get("fields") or {})}
    return merged


def parse_records(
    result: FetchResult, source: str, options: Mapping[str, Any], lang: str | None
) -> list[RawItem]:
    """Map the records of a JSON body to items; raise SourceError when the body does not fit."""
    records = lookup(_json(result), options["items"])
    if records is None:
        return []
    if not isinstance(records, list):
        raise SourceError(f"{options['items']!r} is not a list in the JSON body", status=result.status)
    fields = options["fields"]
    items = [_item(r, fields, source, lang) for r in records[:MAX_ITEMS] if isinstance(r, Mapping)]
    return [item for item in items if item is not None]


def _json(result: FetchResult) -> Any:
    body = result.body.lstrip()
    if body.startswith(b")]}'"):  # Google's XSSI guard
        body = body[4:]
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"not JSON: {exc}", status=result.status) from exc


def _item(
    record: Mapping[str, Any], fields: Mapping[str, str], source: str, lang: str | None
) -> RawItem | None:
    value = lambda key: render(record, fields[key]) if key in fields else ""
    title = plain_text(value("title"), TITLE_MAX)
    if not title:
        return None
    url = safe_link(value("url"))
    published = to_datetime(lookup(record, fields["published"])) if "published" in fields else None
    guid = item_guid(value("guid"), url, text=title)
    return RawItem(source, title, url, guid, plain_text(value("summary"), SUMMARY_MAX), published, lang)


def lookup(data: Any, path: str) -> Any:
    """Follow a dotted path (`a.b.0.c`) into nested dicts and lists; None where it breaks."""
    for part in path.split(".") if path else []:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def render(record: Mapping[str, Any], spec: str) -> str:
    """Return a field: the value at a dotted path, or a `{path}` template filled in."""
    if "{" not in spec:
        value = lookup(record, spec)
        return "" if value is None or isinstance(value, (dict, list)) else str(value)
    parts = string.Formatter().parse(spec)
    return "".join(text + (_scalar(lookup(record, name)) if name else "") for text, name, _, _ in parts)


def _scalar(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def to_datetime(value: Any) -> datetime | None:
    """Read a date from unix seconds or milliseconds, ISO 8601 or GDELT's `20240101T120000Z`."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if re.fullmatch(r"\d{8}T\d{6}Z", text):
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return utc(parse_date(text))
