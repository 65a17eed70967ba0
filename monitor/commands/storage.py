"""`prune`: bounded storage (items without an incident dropped after N days; incidents kept)."""

from __future__ import annotations

import click

from monitor.commands.root import _settings, cli


@cli.command()
@click.option("--older-than-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Drop items without an incident fetched longer ago than this (default: retention_days).")
@click.pass_context
def prune(ctx: click.Context, older_than_days: float | None) -> None:
    """Delete old items that report no incident; incidents and their reports are kept."""
    from monitor.clock import SystemClock
    from monitor.retention import prune_store
    from monitor.wiring import open_store

    settings = _settings(ctx)
    days = older_than_days or settings.retention_days
    if not days:
        raise click.UsageError("say how old: --older-than-days N (or set retention_days)")
    store = open_store(settings, existing=True)
    try:
        removed = prune_store(store, SystemClock().now(), days)
    finally:
        store.close()
    click.echo(f"pruned {removed} items without an incident, older than {days:g} days")
