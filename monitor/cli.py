"""The command line: builds the dependencies once and passes them down."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

import click

from monitor.errors import MonitorError


@dataclass
class Options:
    settings: str | None
    sources: str | None
    db: str | None


def _settings(ctx: click.Context):
    from monitor.config import load_settings

    opts: Options = ctx.obj
    return load_settings(opts.settings, db=opts.db, sources=opts.sources)


class MonitorGroup(click.Group):
    """Turn every MonitorError into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=MonitorGroup)
@click.option("--settings", "settings_path", envvar="RIGHTS_MONITOR_SETTINGS", help="Settings YAML file.")
@click.option("--sources", help="sources.yaml to use (env RIGHTS_MONITOR_SOURCES).")
@click.option("--db", help="Store URL, e.g. sqlite:///var/monitor.db or postgresql+psycopg://... (env RIGHTS_MONITOR_DB).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, settings_path: str | None, sources: str | None, db: str | None, verbose: int) -> None:
    """rights-monitor: human-rights incidents involving ICT companies, from the news to the people who act."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Options(settings_path, sources, db)


def main() -> None:
    cli(prog_name="rights-monitor")


from monitor import commands  # noqa: F401  (registers the subcommands on `cli`)
