"""`run`, `poll --once`, `deliver`, `sources`: the monitor's working commands."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import click

from monitor.cli import _settings, cli
from monitor.types import CycleReport, PollResult


@cli.command()
@click.option("--once", is_flag=True, help="Run one whole cycle and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (logs go to stderr).")
@click.pass_context
def poll(ctx: click.Context, once: bool, as_json: bool) -> None:
    """Fetch every source, classify, update incidents, queue alerts and drain the outbox."""
    if not once:
        raise click.UsageError("poll runs one cycle: use `poll --once` (or `run` to keep going)")
    try:
        report = asyncio.run(_poll_once(_settings(ctx), quiet=as_json))
    except KeyboardInterrupt:  # what was committed stays; the next poll finishes the rest
        click.echo("interrupted: the next poll finishes what this one left", err=True)
        ctx.exit(130)
    if as_json:
        click.echo(json.dumps(report.to_json()))
    else:
        print_report(report)


async def _poll_once(settings, quiet: bool) -> CycleReport:
    from monitor.pipeline import run_cycle
    from monitor.wiring import build_runtime

    rt = build_runtime(settings, stream=sys.stderr if quiet else sys.stdout)
    try:
        with _progress(len(rt.sources), enabled=not quiet and sys.stderr.isatty()) as tick:
            return await run_cycle(rt, progress=tick)
    finally:
        await rt.aclose()


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.bar = total, enabled, None

    def __enter__(self):
        if self.enabled:
            from rich.progress import Progress

            self.bar = Progress(transient=True, console=_console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("polling", total=self.total)
        return self.tick

    def tick(self, result: PollResult) -> None:
        if self.bar:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def print_report(report: CycleReport) -> None:
    """A per-source table, then the totals."""
    from rich.table import Table

    from monitor.hygiene import terminal_cell as cell

    table = Table(title="poll", show_lines=False)
    for column in ("source", "status", "new", "seen", "took", "error"):
        table.add_column(column)
    for r in sorted(report.results, key=lambda r: (r.status != "failed", r.source)):
        table.add_row(cell(r.source), r.status, str(r.new_items), str(r.seen_items), f"{r.took_s:.2f}s",
                      cell((r.error or "")[:80]))
    console = _console()
    console.print(table)
    totals = report.to_json()
    console.print(", ".join(f"{k}: {v}" for k, v in totals.items()))


@cli.command()
@click.option("--broker", envvar="RIGHTS_MONITOR_BROKER",
              help="Celery broker URL (redis://... or amqp://...): only schedule and enqueue; workers process.")
@click.pass_context
def run(ctx: click.Context, broker: str | None) -> None:
    """Keep polling every source on its schedule, deliver alerts and send the weekly digest."""
    settings = _settings(ctx)
    broker = broker or settings.broker_url
    try:
        asyncio.run(_run_forever(settings, broker))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@cli.command()
@click.option("--broker", envvar="RIGHTS_MONITOR_BROKER", help="Celery broker URL (redis://... or amqp://...).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: one per core).")
@click.pass_context
def worker(ctx: click.Context, broker: str | None, concurrency: int | None) -> None:
    """Process what `run --broker` enqueues (poll, classify, deliver); run as many as wanted, anywhere."""
    import os

    from monitor.scaleout import run_worker

    settings = _settings(ctx)
    broker = broker or settings.broker_url
    if not broker:
        raise click.UsageError("worker needs --broker URL (or RIGHTS_MONITOR_BROKER)")
    from monitor.wiring import open_store

    open_store(settings).close()  # migrated (and reachable) before any task runs
    run_worker(settings, broker, concurrency or os.cpu_count() or 1)


async def _run_forever(settings, broker: str | None = None) -> None:
    from monitor.scheduler import build_scheduler, stop_gracefully
    from monitor.weekly import scheduled_digest
    from monitor.wiring import build_runtime

    rt = build_runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # systemd and docker stop with SIGTERM
        loop.add_signal_handler(signum, stop.set)
    mode = f"; enqueuing to {shown_db(broker)}" if broker else ""
    click.echo(f"rights-monitor: {len(rt.sources)} sources, store {shown_db(settings.db_url)}{mode}; "
               "Ctrl-C or SIGTERM stops", err=True)
    if broker:
        from monitor.scaleout import Enqueuer, build_broker_scheduler, make_app

        app = make_app(broker, settings.broker_queue)
        scheduler = build_broker_scheduler(rt, Enqueuer(app, rt), send_digest=lambda: scheduled_digest(rt))
    else:
        scheduler = build_scheduler(rt, send_digest=lambda: scheduled_digest(rt))
    scheduler.start()
    try:
        await stop.wait()
        click.echo("stopping: finishing the step in progress", err=True)
    finally:
        await stop_gracefully(scheduler, rt)
    click.echo("stopped", err=True)


def shown_db(url: str) -> str:
    """The store URL without its password."""
    from monitor.hygiene import mask_secrets

    return mask_secrets(url)


@cli.group("sources", invoke_without_command=True)
@click.pass_context
def sources_cmd(ctx: click.Context) -> None:
    """Show every source with its health record (`sources test URL` tries one source)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from monitor.hygiene import terminal_cell as cell
    from monitor.wiring import load_sources, open_store

    settings = _settings(ctx)
    store = open_store(settings)
    try:
        health = {h.source: h for h in store.list_health()}
    finally:
        store.close()
    table = Table()
    for column in ("source", "kind", "every", "last success", "failures", "last error or warning"):
        table.add_column(column)
    for s in load_sources(settings):
        h = health.get(s.name)
        problem = (h.last_error or (f"warning: {h.last_warning}" if h.last_warning else "")) if h else ""
        table.add_row(cell(s.name), cell(s.kind), f"{s.interval_s // 60}m",
                      str(h.last_success or "-") if h else "never", str(h.consecutive_failures if h else 0),
                      cell(problem[:80]))
    _console().print(table)
