"""Subscriptions from YAML, the command line, the API or the workspace form, validated into `Subscription` values.

Which channels exist is not written here: each notifier module describes its own (`ChannelSpec`), and the
caller passes those descriptions in (`notifiers.channel_specs()`), so a new channel needs no line here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from monitor.config import read_text
from monitor.errors import ConfigError
from monitor.types import LABELS, Channel, ChannelSpec, Severity, Subscription

Channels = Mapping[str, ChannelSpec]  # kind -> what its subscriptions look like
UPDATE_POLICIES = ("none", "material", "all")
FIELDS = {"name", "companies", "watchlists", "tickers", "labels", "countries", "min_severity", "mode",
          "quiet_hours", "timezone", "daily_cap", "paused", "updates", "secret_env", "digest_every"}


def load_subscriptions(path: Path, channels: Channels) -> list[Subscription]:
    """Read subscriptions.yaml; raise ConfigError naming the YAML path of the first error."""
    subs, errors = check_subscriptions(path, channels)
    if errors:
        raise errors[0]
    return subs


def check_subscriptions(path: Path, channels: Channels) -> tuple[list[Subscription], list[ConfigError]]:
    """Validate every entry; return the good ones and every error."""
    try:
        raw = yaml.safe_load(read_text(path)) or {}
    except ConfigError as exc:
        return [], [exc]
    except FileNotFoundError:
        return [], [ConfigError("subscriptions file not found", file=str(path))]
    except yaml.YAMLError as exc:
        return [], [ConfigError(f"not valid YAML: {exc}", file=str(path))]
    entries = raw.get("subscriptions", []) if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        return [], [ConfigError("expected `subscriptions:` with a list", file=str(path))]
    subs, errors, names = [], [], set()
    for index, entry in enumerate(entries):
        where = f"subscriptions[{index}]"
        try:
            sub = subscription_from_mapping(entry, channels, where)
            if sub.name in names:
                raise ConfigError(f"duplicate name {sub.name!r}", path=f"{where}.name")
            names.add(sub.name)
            subs.append(sub)
        except ConfigError as exc:
            errors.append(ConfigError(str(exc), file=str(path)))
    return subs, errors


def subscription_from_mapping(entry: Any, channels: Channels, where: str = "subscription") -> Subscription:
    """Build one subscription from a YAML mapping or CLI options; `channels` are the kinds it may name."""
    if not isinstance(entry, Mapping):
        raise ConfigError("expected a mapping", path=where)
    unknown = set(entry) - FIELDS - set(channels)
    if unknown:
        raise ConfigError(f"unknown field {min(unknown)!r}", path=where)
    name = str(entry.get("name") or "").strip()
    if not name:
        raise ConfigError("a subscription needs a name", path=f"{where}.name")
    return Subscription(
        name=name,
        channel=_channel(entry, channels, where),
        companies=_strings(entry.get("companies")),
        watchlists=_strings(entry.get("watchlists")),
        tickers=_strings(entry.get("tickers")),
        labels=_labels(entry.get("labels"), f"{where}.labels"),
        countries=tuple(c.upper() for c in _strings(entry.get("countries"))),
        min_severity=_severity(entry.get("min_severity", "low"), f"{where}.min_severity"),
        mode=_mode(entry.get("mode", "instant"), f"{where}.mode"),
        quiet_hours=_quiet_hours(entry.get("quiet_hours"), f"{where}.quiet_hours"),
        timezone=_timezone(entry.get("timezone", "UTC"), f"{where}.timezone"),
        daily_cap=_cap(entry.get("daily_cap"), f"{where}.daily_cap"),
        paused=bool(entry.get("paused", False)),
        updates=_updates(entry.get("updates"), f"{where}.updates"),
        digest_every=_digest_every(entry.get("digest_every"), f"{where}.digest_every"),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(str(v).strip() for v in items if str(v).strip())


def _channel(entry: Mapping[str, Any], channels: Channels, where: str) -> Channel:
    given = [key for key in channels if entry.get(key)]
    if len(given) != 1:
        raise ConfigError(f"give exactly one of {', '.join(channels)}", path=where)
    spec = channels[given[0]]
    kind = spec.kind
    targets = _strings(entry[kind])
    for target in targets:
        problem = target_problem(spec, target)
        if problem:
            raise ConfigError(problem, path=f"{where}.{kind}")
    secret_env = str(entry.get("secret_env") or "").strip() or None
    if secret_env and not spec.secret:
        signing = " or ".join(k for k, s in channels.items() if s.secret) or "no channel"
        raise ConfigError(f"secret_env signs a {signing} only", path=f"{where}.secret_env")
    if secret_env and not secret_env.replace("_", "").isalnum():
        raise ConfigError(f"secret_env {secret_env!r}: expected an environment variable name", path=f"{where}.secret_env")
    return Channel(kind, targets, secret_env)


def target_problem(spec: ChannelSpec, target: str) -> str | None:
    """Say what is wrong with one target of a channel (by the kind of target it declares), or None."""
    if spec.target == "email" and "@" not in target:
        return "not an email address"
    if spec.target == "url" and not target.startswith(("https://", "http://")):
        return "not an http(s) URL"
    return None


def with_channel_defaults(subs: Sequence[Subscription], channels: Channels) -> list[Subscription]:
    """Give each subscription that names no update policy its channel's default (Slack: all; email: material)."""
    return [sub if sub.updates or sub.channel.kind not in channels
            else replace(sub, updates=channels[sub.channel.kind].updates) for sub in subs]


def _digest_every(value: Any, path: str) -> str:
    if value in (None, ""):
        return "week"
    if value not in ("week", "day"):
        raise ConfigError(f"digest_every {value!r}: expected week or day", path=path)
    return str(value)


def _updates(value: Any, path: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in UPDATE_POLICIES:
        raise ConfigError(f"updates {value!r}: expected none, material or all", path=path)
    return str(value)


def _labels(value: Any, path: str) -> tuple[str, ...]:
    labels = _strings(value)
    for label in labels:
        if label not in LABELS:
            raise ConfigError(f"unknown label {label!r} (one of {', '.join(LABELS)})", path=path)
    return labels


def _severity(value: Any, path: str) -> Severity:
    try:
        return value if isinstance(value, Severity) else Severity.parse(str(value))
    except ValueError as exc:
        raise ConfigError(str(exc), path=path) from None


def _mode(value: Any, path: str) -> str:
    if value not in ("instant", "digest"):
        raise ConfigError(f"mode {value!r}: expected instant or digest", path=path)
    return value


def _quiet_hours(value: Any, path: str):
    if not value:
        return None
    from monitor.alerts import parse_quiet_hours

    try:
        return parse_quiet_hours(str(value))
    except ValueError as exc:
        raise ConfigError(str(exc), path=path) from None


def _timezone(value: Any, path: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {value!r} (use Area/City)", path=path) from None
    return str(value)


def _cap(value: Any, path: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        cap = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"daily_cap {value!r}: expected a whole number", path=path) from None
    if cap < 1:
        raise ConfigError("daily_cap must be at least 1", path=path)
    return cap


def expand_watchlists(subs: Sequence[Subscription], named: Mapping[str, Sequence[str]]) -> list[Subscription]:
    """Fold the workspace's named watchlists into each subscription's companies (YAML ones stay by name)."""
    out = []
    for sub in subs:
        members = [c for name in sub.watchlists if name in named for c in named[name]]
        if not members:
            out.append(sub)
            continue
        kept = tuple(name for name in sub.watchlists if name not in named)
        out.append(replace(sub, companies=tuple(dict.fromkeys(sub.companies + tuple(members))), watchlists=kept))
    return out


def subscription_mapping(sub: Subscription) -> dict[str, Any]:
    """Return a subscription as the mapping `subscription_from_mapping` reads (the API's JSON form)."""
    quiet = sub.quiet_hours
    return {
        "name": sub.name, sub.channel.kind: list(sub.channel.targets), "companies": list(sub.companies),
        "watchlists": list(sub.watchlists), "tickers": list(sub.tickers), "labels": list(sub.labels),
        "countries": list(sub.countries), "min_severity": str(sub.min_severity), "mode": sub.mode,
        "quiet_hours": f"{quiet.start}-{quiet.end}" if quiet else None, "timezone": sub.timezone,
        "daily_cap": sub.daily_cap, "paused": sub.paused, "updates": sub.updates, "digest_every": sub.digest_every,
        **({"secret_env": sub.channel.secret_env} if sub.channel.secret_env else {}),
    }
