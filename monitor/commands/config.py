"""`check-config`: validate every file and reference offline, and report every error at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import click

from monitor.commands.root import Options, cli, secrets_of
from monitor.errors import ConfigError, MonitorError


@cli.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate settings, sources, watchlists and subscriptions (file and store) without touching the internet.

    Every error is one line, `file:path: message`; the exit status is 1 when there is any.
    """
    from monitor.config import check_settings
    from monitor.hygiene import clean_line, mask_secrets, register_secrets

    opts: Options = ctx.obj
    settings, errors = check_settings(opts.settings, db=opts.db, sources=opts.sources)
    register_secrets(secrets_of(settings))
    found, checked = collect_config_errors(settings, origin_of_classifier(opts))
    errors += found
    for error in errors:
        click.echo(mask_secrets(clean_line(str(error))), err=True)
    if errors:
        click.echo(f"error: configuration is not valid ({len(errors)} problem{'s' if len(errors) != 1 else ''})", err=True)
        ctx.exit(1)
    click.echo(f"checked {'; '.join(mask_secrets(c) for c in checked)}")
    click.echo("configuration is valid")


def origin_of_classifier(opts: Options) -> str:
    """Where classifier.kind came from: the environment, or the settings file."""
    import os

    if os.environ.get("RIGHTS_MONITOR_CLASSIFIER"):
        return "$RIGHTS_MONITOR_CLASSIFIER"
    return opts.settings or os.environ.get("RIGHTS_MONITOR_SETTINGS") or "settings"


def collect_config_errors(settings, classifier_origin: str = "settings") -> tuple[list[ConfigError], list[str]]:
    """Every error in every file and in the store's subscriptions, and a note of what was checked."""
    from monitor.readable import counted
    from monitor.sources.catalog import check_sources, load_sources
    from monitor.watchlist import check_watchlist, load_watchlist
    from monitor.wiring import build_notifiers, make_deps
    from notifiers import channel_specs

    errors: list[ConfigError] = list(check_sources(Path(settings.sources_path)))
    checked = [f"sources {settings.sources_path}" + ("" if errors else f" ({len(load_sources(settings.sources_path))})")]
    errors += classifier_errors(settings, classifier_origin)
    watchlist_errors = check_watchlist(settings.watchlist_paths)
    errors += watchlist_errors
    checked.append(f"watchlist ({counted(len(settings.watchlist_paths), 'user file')})")
    if watchlist_errors:
        return errors, checked
    watchlist = load_watchlist(settings.watchlist_paths)
    deps = make_deps(watchlist=watchlist)
    # built as `run` builds them (offline: no notifier connects when built), so each switched-off channel
    # carries the reason its module gives, and a subscription to it is an error now rather than a retry later
    channels = Channels(channel_specs(), build_notifiers(settings, deps), deps.environ)
    store_errors, note, workspace_lists = store_subscription_errors(settings, watchlist, channels)
    if settings.subscriptions_path:
        errors += seed_file_errors(Path(settings.subscriptions_path), watchlist, channels, workspace_lists)
        checked.append(f"subscriptions {settings.subscriptions_path}")
    return errors + store_errors, checked + [note]


def classifier_errors(settings, origin: str) -> list[ConfigError]:
    from classifiers import CLASSIFIERS
    from monitor.references import did_you_mean

    kind = settings.classifier.kind
    if kind in CLASSIFIERS:
        if kind == "transformers" and not settings.classifier.model:
            return [ConfigError("the transformers classifier needs classifier.model (a name or a path)",
                                path="classifier.model", file=origin)]
        return []
    hint = did_you_mean(kind, CLASSIFIERS) or f" (known: {', '.join(CLASSIFIERS)})"
    return [ConfigError(f"unknown classifier {kind!r}{hint}", path="classifier.kind", file=origin)]


class Channels(NamedTuple):
    """What subscriptions are checked against: the channels' descriptions, the built notifiers, the environment."""

    specs: Mapping[str, Any]
    notifiers: Mapping[str, Any]
    environ: Mapping[str, str]


def seed_file_errors(path: Path, watchlist, channels: Channels, workspace_lists=()) -> list[ConfigError]:
    from monitor.subscriptions import check_subscriptions

    subs, errors = check_subscriptions(path, channels.specs)
    if errors:
        return errors
    return [error for index, sub in enumerate(subs)
            for error in _problems(sub, watchlist, channels, f"subscriptions[{index}]", str(path), workspace_lists)]


def store_subscription_errors(settings, watchlist, channels: Channels) -> tuple[list[ConfigError], str, list[str]]:
    """Check the subscriptions already in the store (made with `subscribe`) against the configured channels.

    Also returns the names of the workspace's watchlists (kept in the store), which subscriptions may name.
    """
    from monitor.readable import counted
    from monitor.store.migrate import sqlite_file
    from monitor.wiring import open_store

    shown = _shown_store(settings.db_url)
    path = sqlite_file(settings.db_url)
    if path is not None and not path.exists():
        return [], f"store {shown} (not created yet)", []
    try:
        store = open_store(settings, create=True)
    except MonitorError as exc:
        return [ConfigError(str(exc), file="store")], f"store {shown}", []
    try:
        subs = store.list_subscriptions()
        lists = [w.name for w in store.list_watchlists()]
    finally:
        store.close()
    errors = [error for sub in subs
              for error in _problems(sub, watchlist, channels, f"subscriptions[{sub.name}]", shown, lists)]
    return errors, f"store {shown} ({counted(len(subs), 'subscription')})", lists


def _problems(sub, watchlist, channels: Channels, where: str, file: str, workspace_lists=()) -> list[ConfigError]:
    from monitor.references import subscription_problems

    return [ConfigError(message, path=f"{where}.{field}", file=file) for field, message in
            subscription_problems(sub, watchlist, channels.notifiers, channels.environ, workspace_lists)]


def _shown_store(url: str) -> str:
    from monitor.hygiene import mask_secrets

    return mask_secrets(url)
