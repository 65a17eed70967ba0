"""The root of the command line: global options, settings, logging and the error line every command shares.

The subcommand modules import this one (never `monitor.cli`), and `monitor.cli` imports them: one direction."""

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
    verbose: int = 0


def _settings(ctx: click.Context):
    from monitor.config import load_settings
    from monitor.hygiene import register_secrets

    opts: Options = ctx.obj
    settings = load_settings(opts.settings, db=opts.db, sources=opts.sources)
    register_secrets(secrets_of(settings))
    return settings


def secrets_of(settings: Any) -> list[str | None]:
    """The settings values that must never be shown: tokens, passwords, webhook URLs, the store URL."""
    db_password = None
    if "@" in settings.db_url and "://" in settings.db_url:
        credentials = settings.db_url.split("://", 1)[1].rpartition("@")[0]
        db_password = credentials.partition(":")[2] or None
    return [settings.slack.bot_token, settings.slack.webhook_url, settings.smtp.password, db_password]


class MonitorGroup(click.Group):
    """Turn every MonitorError into one clear line and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            from monitor.hygiene import clean_line, mask_secrets

            click.echo(f"error: {mask_secrets(clean_line(str(exc)))}", err=True)
            ctx.exit(2)


@click.group(cls=MonitorGroup)
@click.option("--settings", "settings_path", envvar="RIGHTS_MONITOR_SETTINGS", help="Settings YAML file.")
@click.option("--sources", help="sources.yaml to use (env RIGHTS_MONITOR_SOURCES).")
@click.option("--db", help="Store URL, e.g. sqlite:///var/monitor.db or postgresql+psycopg://... (env RIGHTS_MONITOR_DB).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, settings_path: str | None, sources: str | None, db: str | None, verbose: int) -> None:
    """rights-monitor: human-rights incidents involving ICT companies, from the news to the people who act."""
    configure_logging(verbose)
    from monitor.hygiene import install_log_hygiene

    install_log_hygiene()  # no control character from a feed, and no secret, reaches a log line
    ctx.obj = Options(settings_path, sources, db, verbose)


OWN_LOGGERS = ("monitor", "classifiers", "notifiers", "rights_monitor")  # rights_monitor: `Deps.log`
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(message)s"
DEBUG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_OWN_HANDLERS: list[logging.Handler] = []  # the stderr handler made here (none when the host set up logging)


def configure_logging(verbose: int) -> None:
    """Warnings by default; -v adds what the monitor does, in its own words; -vv debugs every library too.

    Called again with a higher count by a subcommand's own `-v` (`run -v`, `poll --once -v`).
    """
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=PLAIN_FORMAT, datefmt="%H:%M:%S")
        _OWN_HANDLERS[:] = root.handlers
    if verbose >= 2:
        if _OWN_HANDLERS:  # never lower the level of logging that the host (a test runner) set up
            root.setLevel(logging.DEBUG)
            for handler in _OWN_HANDLERS:
                handler.setFormatter(logging.Formatter(DEBUG_FORMAT))
        for name in OWN_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
    elif verbose == 1:  # libraries (alembic, httpx, apscheduler) stay at warnings
        for name in OWN_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)


def _more_verbose(ctx: click.Context, param: click.Parameter, count: int) -> None:
    if count:
        opts: Options = ctx.obj
        opts.verbose += count
        configure_logging(opts.verbose)


def verbose_option(command: Any) -> Any:
    """`-v/--verbose` after a subcommand (`run -v`, `poll --once -v`): the same as the global `-v` before it."""
    return click.option("-v", "--verbose", count=True, expose_value=False, callback=_more_verbose,
                        help="More logging, as the global -v (-vv for debug).")(command)
