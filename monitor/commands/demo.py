"""`demo`: the whole pipeline on bundled feeds, offline, in a rebuilt store that keeps the workspace's accounts."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click

from monitor.commands.root import _settings, cli


@cli.command()
@click.option("--db", "db_path", default="var/demo.db", show_default=True,
              help="SQLite file, rebuilt on each run (its accounts, API tokens and watchlists are kept).")
@click.pass_context
def demo(ctx: click.Context, db_path: str) -> None:
    """Serve sample feeds on loopback and run the whole pipeline: incidents and alerts on the console."""
    from monitor.demo import carry_into, invocation, read_old_demo_store, rebuilt_line, run_demo, sqlite_files

    path = Path(db_path)
    settings = dataclasses.replace(_settings(ctx), db_url=f"sqlite:///{path}", subscriptions_path=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = read_old_demo_store(path)  # before the files go: the accounts `user add` made in it are kept
    for file in sqlite_files(path):
        file.unlink(missing_ok=True)
    if old is not None:
        carry_into(settings.db_url, old)
    result = asyncio.run(run_demo(settings, say=lambda line: click.secho(line, fg="cyan", err=True)))
    if old is not None:
        click.echo(rebuilt_line(path, old))
    click.echo(f"demo: {result['incidents']} incidents in {path}; review them with "
               f"`{invocation()} --db sqlite:///{path} incidents list`")
