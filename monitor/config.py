"""Typed settings, read once at start-up (option > environment > settings file > default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")
DEFAULT_USER_AGENT = (
    "rights-monitor/0.1 (+https://github.com/rights-monitor/rights-monitor; human-rights incident monitor)"
)


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    max_body_bytes: int = 5_000_000
    global_concurrency: int = 32
    per_host_concurrency: int = 2
    user_agent: str = DEFAULT_USER_AGENT
    max_backoff_s: float = 6 * 3600.0
    max_redirects: int = 5
    source_deadline_s: float = 45.0  # one source's whole fetch (article pages included) never takes longer
    allow_hosts: tuple[str, ...] = ()  # SSRF guard exceptions: host, host:port or a network (10.0.0.0/8)
    parse_workers: int = -1  # processes parsing feeds in parallel; -1: one per core (at most 4), 0: inline
    parallel_from: int = 16  # a process with fewer sources than this parses inline (no worker processes)


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None = None
    webhook_url: str | None = None
    api_url: str | None = None  # Web API base, e.g. http://127.0.0.1:8080/api/
    timeout_s: float = 30.0  # per Slack call; the outbox retries, the client does not


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "rights-monitor@localhost"
    tls: str = ""  # starttls | ssl | none; unset: starttls on 587, ssl on 465, none otherwise
    timeout_s: float = 30.0


@dataclass(frozen=True)
class DigestSettings:
    out_dir: Path = Path("digests")
    weekday: str = "mon"
    hour: int = 7
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassifierSettings:
    kind: str = "cascade"  # registry key in classifiers
    model: str | None = None  # a name or path for the `transformers` backend
    threshold: float | None = None  # override of the shipped calibrated threshold
    # classify in one worker process that loads the model, overlapping the fetching (with fetch.parallel_from
    # sources or more; fewer classify in the monitor's own process); false: always in the monitor's process
    process: bool = True


@dataclass(frozen=True)
class Settings:
    db_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'monitor.db'}"
    sources_path: Path = Path("sources.yaml")
    subscriptions_path: Path | None = None
    watchlist_paths: tuple[Path, ...] = ()  # user additions on top of the shipped watchlist
    data_dir: Path = DEFAULT_DATA_DIR
    backfill_hours: float = 72.0
    jitter_s: float = 60.0
    incident_window_days: float = 7.0
    public_url: str | None = None  # dashboard URL, for List-Unsubscribe links
    broker_url: str | None = None  # Celery broker (redis://, amqp://): `run` only schedules, workers process
    broker_queue: str = "rights-monitor"  # the Celery queue; deployments sharing a broker use different ones
    sweep_s: float = 30.0  # with a broker: how often the scheduler asks workers to finish leftovers
    retention_days: float = 0.0  # items without an incident are dropped after this many days; 0 keeps all
    fetch: FetchSettings = field(default_factory=FetchSettings)
    slack: SlackSettings = field(default_factory=SlackSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)


# --------------------------------------------------------------------------- loading

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml

from monitor.errors import ConfigError

SECRET_KEYS = {"bot_token", "webhook_url", "password"}
ENV = {  # environment variable -> settings path
    "RIGHTS_MONITOR_DB": "db_url",
    "RIGHTS_MONITOR_SOURCES": "sources_path",
    "RIGHTS_MONITOR_SUBSCRIPTIONS": "subscriptions_path",
    "RIGHTS_MONITOR_WATCHLISTS": "watchlist_paths",
    "RIGHTS_MONITOR_DATA_DIR": "data_dir",
    "RIGHTS_MONITOR_BACKFILL_HOURS": "backfill_hours",
    "RIGHTS_MONITOR_PUBLIC_URL": "public_url",
    "RIGHTS_MONITOR_BROKER": "broker_url",
    "RIGHTS_MONITOR_QUEUE": "broker_queue",
    "RIGHTS_MONITOR_SWEEP_S": "sweep_s",
    "RIGHTS_MONITOR_RETENTION_DAYS": "retention_days",
    "RIGHTS_MONITOR_CLASSIFIER": "classifier.kind",
    "RIGHTS_MONITOR_MODEL": "classifier.model",
    "RIGHTS_MONITOR_CLASSIFIER_PROCESS": "classifier.process",
    "RIGHTS_MONITOR_DIGEST_TO": "digest.recipients",
    "RIGHTS_MONITOR_ALLOW_HOSTS": "fetch.allow_hosts",
    "SLACK_BOT_TOKEN": "slack.bot_token",
    "SLACK_WEBHOOK_URL": "slack.webhook_url",
    "SLACK_API_URL": "slack.api_url",
    "SMTP_HOST": "smtp.host",
    "SMTP_PORT": "smtp.port",
    "SMTP_USER": "smtp.user",
    "SMTP_PASSWORD": "smtp.password",
    "SMTP_FROM": "smtp.sender",
    "SMTP_TLS": "smtp.tls",
}
FILE_ALIASES = {"db": "db_url", "sources": "sources_path", "subscriptions": "subscriptions_path",
                "watchlists": "watchlist_paths"}


def load_settings(
    settings_path: str | Path | None = None,
    *,
    db: str | None = None,
    sources: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings once: option > environment > settings file > default; raise the first error."""
    settings, errors = check_settings(settings_path, db=db, sources=sources, env=env)
    if errors:
        raise errors[0]
    return settings


def check_settings(
    settings_path: str | Path | None = None,
    *,
    db: str | None = None,
    sources: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Settings, list[ConfigError]]:
    """Read settings as `load_settings` does, but collect every error (a bad value keeps its default)."""
    env = os.environ if env is None else env
    settings_path = settings_path or env.get("RIGHTS_MONITOR_SETTINGS")
    flat: dict[str, Any] = {}
    origins: dict[str, str] = {}  # where each value came from, for the error that names it
    errors: list[ConfigError] = []
    if settings_path:
        try:
            flat.update(_read_settings_file(Path(settings_path), env))
        except ConfigError as exc:
            errors.append(exc)
    for var, key in ENV.items():
        if env.get(var):
            flat[key], origins[key] = env[var], f"${var}"
    if db:
        flat["db_url"], origins["db_url"] = db, "--db"
    if sources:
        flat["sources_path"], origins["sources_path"] = str(sources), "--sources"
    file = str(settings_path or "environment")
    settings = _build(Settings, flat, "", _Where(file, origins, errors))
    return _finish(settings, _Where(file, origins, errors)), errors


@dataclass
class _Where:
    """Where settings came from, and the errors found so far (collected, not raised)."""

    file: str
    origins: Mapping[str, str]
    errors: list[ConfigError]

    def error(self, message: str, path: str) -> None:
        self.errors.append(ConfigError(message, path=path, file=self.origins.get(path.split("[")[0], self.file)))


def read_text(path: Path, named: bool = True) -> str:
    """Read a configuration file as UTF-8; a file that is not says so in one ConfigError, naming the byte."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start + 1})", file=str(path) if named else "") from None


def _read_settings_file(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(read_text(path)) or {}
    except FileNotFoundError:
        raise ConfigError("settings file not found", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from exc
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping at the top level", file=str(path))
    flat: dict[str, Any] = {}
    _flatten(raw, "", flat, env, str(path))
    return flat


def _flatten(node: Mapping[str, Any], prefix: str, out: dict[str, Any], env: Mapping[str, str], file: str) -> None:
    for key, value in node.items():
        key = FILE_ALIASES.get(key, key) if not prefix else key
        path = f"{prefix}{key}"
        if isinstance(value, dict) and "$env" not in value:
            _flatten(value, path + ".", out, env, file)
            continue
        out[path] = _resolve_secret(key, value, path, env, file)


def _resolve_secret(key: str, value: Any, path: str, env: Mapping[str, str], file: str) -> Any:
    if isinstance(value, dict):  # {$env: NAME}
        return env.get(str(value["$env"])) or None
    if key in SECRET_KEYS and value not in (None, ""):
        raise ConfigError("secrets only by reference: write {$env: NAME}", path=path, file=file)
    return value


def _build(cls: type, flat: Mapping[str, Any], prefix: str, where: _Where) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in flat:
        if key.startswith(prefix) and key[len(prefix):].split(".")[0] not in known:
            where.error(f"unknown setting{_suggest(key[len(prefix):].split('.')[0], known)}", key)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        path, hint = prefix + f.name, hints[f.name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            values[f.name] = _build(hint, flat, path + ".", where)
        elif path in flat:
            try:
                values[f.name] = _coerce(flat[path], hint, path, "")
            except ConfigError as exc:
                where.error(str(exc).split(": ", 1)[1], path)
    return cls(**values)


def _suggest(word: str, known: typing.Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"


def _coerce(value: Any, hint: Any, path: str, file: str) -> Any:
    target = hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # X | None
        target = next(a for a in typing.get_args(hint) if a is not type(None))
    if value is None:
        return None
    try:
        if typing.get_origin(target) is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            inner = typing.get_args(target)[0]
            return tuple(inner(str(i).strip()) for i in items if str(i).strip())
        if target is bool:
            return str(value).strip().lower() in {"1", "true", "yes", "on"}
        if target in (int, float):
            return _numeric(value, target, path, file)
        return target(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"expected {getattr(target, '__name__', target)}: {exc}", path=path, file=file) from exc


def _numeric(value: Any, kind: type[int | float], path: str, file: str) -> int | float:
    """An int or float setting from YAML or the environment (`587`, "587", `2.5`; a whole float for an int);
    anything else is a ConfigError in the house style."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind is float or float(value).is_integer():
            return kind(value)
    elif isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"must be {'a whole number' if kind is int else 'a number'}, not {value!r}", path=path, file=file)


def _finish(settings: Settings, where: _Where) -> Settings:
    """Check every limit and choice, then derive what depends on other settings (SMTP TLS default by port)."""
    for path, value, low, high in limits(settings):
        if not low <= value <= high:
            bounds = f"at least {low:g}" if high == float("inf") else f"between {low:g} and {high:g}"
            where.error(f"must be {bounds}, not {value!r}", path)
    for path, message in choice_problems(settings):
        where.error(message, path)
    smtp = settings.smtp
    try:
        tls = resolve_smtp_tls(smtp.tls, smtp.port)
    except ConfigError as exc:
        where.error(str(exc).split(": ", 1)[1], "smtp.tls")
        tls = resolve_smtp_tls("", smtp.port)
    return dataclasses.replace(settings, smtp=dataclasses.replace(smtp, tls=tls))


STORE_BACKENDS = ("sqlite", "postgresql", "postgres")


def choice_problems(s: Settings) -> list[tuple[str, str]]:
    """(path, message) for every setting outside its choices: weekday, store URL scheme, digest recipients."""
    problems = []
    if s.digest.weekday.strip().lower()[:3] not in WEEKDAYS:
        problems.append(("digest.weekday", f"unknown weekday {s.digest.weekday!r} ({', '.join(WEEKDAYS)})"))
    scheme = s.db_url.partition("://")[0].lower() if "://" in s.db_url else ""
    if scheme.split("+")[0] not in STORE_BACKENDS:
        got = s.db_url.partition("://")[0] + "://..." if scheme else "no scheme"
        problems.append(("db_url", f"not a store URL: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB, got {got}"))
    for i, address in enumerate(s.digest.recipients):
        if "@" not in address.strip(" <>") or " " in address.strip():
            problems.append((f"digest.recipients[{i}]", f"not an email address: {address!r}"))
    return problems


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INF = float("inf")


def limits(s: Settings) -> list[tuple[str, float, float, float]]:
    """Every numeric setting with its allowed range: no zero concurrency, no negative size or timeout."""
    f = s.fetch
    return [
        ("fetch.global_concurrency", f.global_concurrency, 1, 10_000),
        ("fetch.per_host_concurrency", f.per_host_concurrency, 1, 1_000),
        ("fetch.max_body_bytes", f.max_body_bytes, 1, 1 << 31),
        ("fetch.connect_timeout_s", f.connect_timeout_s, 0.001, 3600),
        ("fetch.read_timeout_s", f.read_timeout_s, 0.001, 3600),
        ("fetch.source_deadline_s", f.source_deadline_s, 0.001, 3600),
        ("fetch.max_backoff_s", f.max_backoff_s, 1, 30 * 86400),
        ("fetch.max_redirects", f.max_redirects, 0, 30),
        ("fetch.parse_workers", f.parse_workers, -1, 64),
        ("fetch.parallel_from", f.parallel_from, 0, 1_000_000),
        ("smtp.port", s.smtp.port, 1, 65535),
        ("smtp.timeout_s", s.smtp.timeout_s, 0.001, 600),
        ("slack.timeout_s", s.slack.timeout_s, 0.001, 600),
        ("digest.hour", s.digest.hour, 0, 23),
        ("backfill_hours", s.backfill_hours, 0, _INF),
        ("jitter_s", s.jitter_s, 0, 86400),
        ("incident_window_days", s.incident_window_days, 0.001, 365),
        ("sweep_s", s.sweep_s, 0.1, 86400),
        ("retention_days", s.retention_days, 0, 36500),
    ]


def resolve_smtp_tls(tls: str | None, port: int) -> str:
    """Return starttls, ssl or none; unset means starttls on 587, ssl on 465, none otherwise."""
    mode = (tls or "").strip().lower()
    if mode in ("", "auto"):
        return {587: "starttls", 465: "ssl"}.get(port, "none")
    if mode not in ("starttls", "ssl", "none"):
        raise ConfigError(f"unknown SMTP TLS mode {tls!r} (starttls, ssl, none)", path="smtp.tls")
    return mode
