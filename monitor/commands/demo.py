"""`demo`: the whole pipeline on bundled feeds, offline, in a fresh store."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import click

from monitor.commands.root import _settings, cli


@cli.command()
@click.option("--db", "db_path", default="var/demo.db", show_default=True, help="SQLite file, recreated.")
@click.pass_context
def demo(ctx: click.Context, db_path: str) -> None:
    """Serve sample feeds on loopback and run the whole pipeline: incidents and alerts on the console."""
    from monitor.demo import run_demo

    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = dataclasses.replace(_settings(ctx), db_url=f"sqlite:///{path}", subscriptions_path=None)
    result = asyncio.run(run_demo(settings, say=lambda line: click.secho(line, fg="cyan", err=True)))
    click.echo(f"demo: {result['incidents']} incidents in {path}; review them with "
               f"`rights-monitor --db sqlite:///{path} incidents list`")
