"""`check-config`: validate every file and reference offline."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import _settings, cli
from monitor.errors import ConfigError


@cli.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate settings, sources, watchlists and subscriptions without opening a network connection."""
    settings = _settings(ctx)  # raises with the path of the first bad setting
    errors, notes = collect_config_errors(settings)
    for note in notes:
        click.echo(f"ok: {note}")
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if errors:
        ctx.exit(1)
    click.echo("configuration is valid")


def collect_config_errors(settings) -> tuple[list[ConfigError], list[str]]:
    """Every error in every file, and a line of what was checked."""
    from monitor.sources.catalog import check_sources
    from monitor.watchlist import check_watchlist, load_watchlist

    errors: list[ConfigError] = list(check_sources(Path(settings.sources_path)))
    notes = [f"sources {settings.sources_path}"]
    errors += check_watchlist(settings.watchlist_paths)
    notes.append(f"watchlist ({len(settings.watchlist_paths)} user files)")
    if settings.subscriptions_path:
        errors += _check_subscriptions(Path(settings.subscriptions_path),
                                        lambda: load_watchlist(settings.watchlist_paths))
        notes.append(f"subscriptions {settings.subscriptions_path}")
    return errors, notes


def _check_subscriptions(path: Path, load_watchlist) -> list[ConfigError]:
    from monitor.subscriptions import check_subscriptions

    subs, errors = check_subscriptions(path)
    if errors:
        return errors
    watchlist = load_watchlist()
    for index, sub in enumerate(subs):
        errors += _unknown_references(sub, watchlist, f"subscriptions[{index}]", str(path))
    return errors


def _unknown_references(sub, watchlist, where: str, file: str) -> list[ConfigError]:
    errors = []
    for i, name in enumerate(sub.companies):
        if name != "ALL" and watchlist.resolve(name) is None:
            errors.append(ConfigError(f"unknown company {name!r}", path=f"{where}.companies[{i}]", file=file))
    for i, ticker in enumerate(sub.tickers):
        if watchlist.resolve(ticker) is None:
            errors.append(ConfigError(f"unknown ticker or ISIN {ticker!r}", path=f"{where}.tickers[{i}]", file=file))
    for i, name in enumerate(sub.watchlists):
        if name not in watchlist.named_lists():
            errors.append(ConfigError(f"unknown watchlist {name!r}", path=f"{where}.watchlists[{i}]", file=file))
    return errors
