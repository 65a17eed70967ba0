"""The source catalog: sources.yaml read, checked and turned into SourceConfig objects.

defaults: {interval: 30m, lang: en}
sources:
  - {name: Citizen Lab, kind: rss, url: "https://citizenlab.ca/feed/", category: ngo}
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.config import read_text
from monitor.errors import ConfigError
from monitor.types import SourceConfig

CATEGORIES = ("ngo", "un", "measurement", "news", "press")
MIN_INTERVAL_S = 60
COMMON_KEYS = {
    "name", "kind", "url", "interval", "enabled", "category", "lang",
    "countries", "verified", "fetch_article", "options",
}  # fmt: skip
DEFAULT_KEYS = {"interval", "enabled", "category", "lang", "verified", "fetch_article"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def load_sources(path: Path) -> list[SourceConfig]:
    """Read sources.yaml; raise the first ConfigError (all of them: `check_sources`)."""
    configs, errors = _read(Path(path))
    if errors:
        raise errors[0]
    return configs


def check_sources(path: Path) -> list[ConfigError]:
    """Return every problem in sources.yaml (an empty list when it is valid)."""
    return _read(Path(path))[1]


def parse_interval(value: Any) -> int:
    """Read an interval (`15m`, `1h`, `1h30m`, `900`, 900) as seconds; raise ValueError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"not an interval: {value!r} (say 900, 15m, 1h or 1h30m)")
    return int(sum(float(n) * _UNITS[unit] for n, unit in parts))


def _read(path: Path) -> tuple[list[SourceConfig], list[ConfigError]]:
    file = str(path)
    try:
        document = _yaml(path)
    except ConfigError as exc:
        return [], [ConfigError(str(exc), file=file)]
    errors: list[ConfigError] = []
    defaults = _defaults(document, errors)
    configs = []
    for index, entry in _entries(document, errors):
        config = _entry(entry, defaults, f"sources[{index}]", errors)
        if config is not None:
            configs.append(config)
    errors.extend(_duplicates(document))
    return configs, [_in_file(e, file) for e in errors]


def _yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(read_text(path, named=False)) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}") from exc


def _in_file(error: ConfigError, file: str) -> ConfigError:
    if error.file:
        return error
    message = str(error).removeprefix(f"{error.path}: ") if error.path else str(error)
    return ConfigError(message, path=error.path, file=file)


def _defaults(document: Any, errors: list[ConfigError]) -> dict[str, Any]:
    if not isinstance(document, Mapping):
        errors.append(ConfigError("must be a mapping with a `sources:` list"))
        return {}
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        errors.append(ConfigError("must be a mapping", path="defaults"))
        return {}
    for key in defaults:
        if key not in DEFAULT_KEYS:
            errors.append(
                ConfigError(f"unknown default (known: {', '.join(sorted(DEFAULT_KEYS))})", f"defaults.{key}")
            )
    return {k: v for k, v in defaults.items() if k in DEFAULT_KEYS}


def _entries(document: Any, errors: list[ConfigError]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    sources = document.get("sources") if isinstance(document, Mapping) else None
    if not isinstance(sources, list):
        errors.append(ConfigError("required: a list of sources", path="sources"))
        return
    for index, entry in enumerate(sources):
        if isinstance(entry, Mapping):
            yield index, entry
        else:
            errors.append(ConfigError("must be a mapping", path=f"sources[{index}]"))


def _entry(entry: Mapping[str, Any], defaults: Mapping[str, Any], path: str, errors: list[ConfigError]):
    config, problems = _checked({**defaults, **entry}, path)
    errors.extend(problems)
    return config


def _config(entry: Mapping[str, Any], path: str) -> SourceConfig:
    config, problems = _checked(entry, path)
    if problems:
        raise problems[0]
    assert config is not None
    return config


def _checked(entry: Mapping[str, Any], path: str) -> tuple[SourceConfig | None, list[ConfigError]]:
    """Check every field of one entry, so that one bad field (an unknown kind) hides none of the others."""
    problems: list[ConfigError] = []

    def field(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except ConfigError as exc:
            problems.append(exc)
            return None

    name, kind_cls, url = field(_name, entry, path), field(_kind, entry, path), field(_url, entry, path)
    options = field(_options, entry, path)
    if kind_cls is not None and options is not None:
        field(kind_cls.validate_options, options, path)
    fields = {
        "interval_s": field(_interval, entry, path),
        "enabled": field(_bool, entry, "enabled", True, path),
        "category": field(_category, entry, path),
        "lang": field(_lang, entry, path),
        "countries": field(_countries, entry, path),
        "verified": field(_bool, entry, "verified", True, path),
        "fetch_article": field(_bool, entry, "fetch_article", False, path),
    }
    if problems:
        return None, problems
    return SourceConfig(name=name, kind=entry["kind"], url=url, options=options, **fields), []


def _name(entry: Mapping[str, Any], path: str) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("required: a non-empty name", f"{path}.name")
    return name.strip()


def _kind(entry: Mapping[str, Any], path: str) -> Any:
    from monitor.sources import SOURCES

    kind = entry.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"required (one of: {', '.join(SOURCES.kinds())})", f"{path}.kind")
    try:
        return SOURCES.get(kind)
    except ConfigError as exc:
        raise ConfigError(str(exc), f"{path}.kind") from None


def _url(entry: Mapping[str, Any], path: str) -> str:
    url = entry.get("url")
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if not isinstance(url, str) or parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("not an http(s) URL", f"{path}.url")
    return url.strip()


def _options(entry: Mapping[str, Any], path: str) -> dict[str, Any]:
    nested = entry.get("options") or {}
    if not isinstance(nested, Mapping):
        raise ConfigError("must be a mapping", f"{path}.options")
    # Kind-specific keys may sit on the entry itself (`preset: gdelt`) or under `options:`.
    extra = {k: v for k, v in entry.items() if k not in COMMON_KEYS}
    return {**extra, **nested}


def _interval(entry: Mapping[str, Any], path: str) -> int:
    try:
        seconds = parse_interval(entry.get("interval", 1800))
    except ValueError as exc:
        raise ConfigError(str(exc), f"{path}.interval") from None
    if seconds < MIN_INTERVAL_S:
        raise ConfigError(f"at least {MIN_INTERVAL_S}s: polling faster is impolite", f"{path}.interval")
    return seconds


def _bool(entry: Mapping[str, Any], key: str, default: bool, path: str) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError("must be true or false", f"{path}.{key}")
    return value


def _category(entry: Mapping[str, Any], path: str) -> str:
    category = entry.get("category", "news")
    if category not in CATEGORIES:
        raise ConfigError(
            f"unknown category {category!r} (known: {', '.join(CATEGORIES)})", f"{path}.category"
        )
    return category


def _lang(entry: Mapping[str, Any], path: str) -> str | None:
    lang = entry.get("lang")
    if lang is None:
        return None
    if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", lang):
        raise ConfigError("must be a language code like en or pt-BR", f"{path}.lang")
    return lang


def _countries(entry: Mapping[str, Any], path: str) -> tuple[str, ...]:
    countries = entry.get("countries") or []
    if not isinstance(countries, list) or not all(isinstance(c, str) and len(c) == 2 for c in countries):
        raise ConfigError("must be a list of two-letter country codes", f"{path}.countries")
    return tuple(c.upper() for c in countries)


def _duplicates(document: Any) -> list[ConfigError]:
    entries = document.get("sources") if isinstance(document, Mapping) else None
    names = [e.get("name") if isinstance(e, Mapping) else None for e in entries or []]
    seen: set[str] = set()
    errors = []
    for index, name in enumerate(names):
        if isinstance(name, str) and name.strip() in seen:
            errors.append(ConfigError(f"duplicate source name {name.strip()!r}", f"sources[{index}].name"))
        if isinstance(name, str):
            seen.add(name.strip())
    return errors


def source_from_mapping(entry: Mapping[str, Any], path: str = "source") -> SourceConfig:
    """Validate one source given as a mapping (the workspace's form), as sources.yaml entries are."""
    return _config(entry, path)


def apply_source_changes(sources: list[SourceConfig], changes: list[Any]) -> list[SourceConfig]:
    """Return the configured sources with the workspace's changes: added sources appended, paused ones off."""
    from dataclasses import replace

    by_name = {change.name: change for change in changes}
    known = {s.name for s in sources}
    # a source added through the workspace came from a user: polling it passes the SSRF guard
    added = [replace(c.config, trusted=False) for c in changes if c.config is not None and c.name not in known]
    return [replace(s, enabled=False) if by_name.get(s.name) and by_name[s.name].paused else s
            for s in [*sources, *added]]
