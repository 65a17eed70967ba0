"""`run`, `poll --once`, `deliver`, `sources`: the monitor's working commands."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import click

from monitor.commands.root import _settings, cli, verbose_option
from monitor.hygiene import json_text
from monitor.types import CycleReport, PollResult

EXIT_UNREACHABLE = 3  # `poll --once --fail-if-unreachable` when every source polled failed


@cli.command(epilog="Exit status: 0 when the cycle ran, even if sources failed (they are counted and listed); "
                    f"2 for a fatal error (bad configuration, store unreachable); {EXIT_UNREACHABLE} with "
                    "--fail-if-unreachable when no source could be fetched at all; 130 when interrupted.")
@click.option("--once", is_flag=True, help="Run one whole cycle and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (logs go to stderr).")
@click.option("--fail-if-unreachable", is_flag=True,
              help=f"Exit {EXIT_UNREACHABLE} when every source polled failed (offline, a proxy needed), for scripts.")
@verbose_option
@click.pass_context
def poll(ctx: click.Context, once: bool, as_json: bool, fail_if_unreachable: bool) -> None:
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
    from monitor.commands.outbox import echo_problems

    echo_problems(report.delivery_problems)
    if report.unreachable:
        say(unreachable_notice(report))
        if fail_if_unreachable:
            ctx.exit(EXIT_UNREACHABLE)


def unreachable_notice(report: CycleReport) -> str:
    """The "no source reachable" line that `run` prints, for one cycle's results."""
    from monitor.activity import Activity, offline_notice

    activity = Activity()
    for result in report.results:
        activity.add_poll(result)
    return offline_notice(activity) or "no source reachable"


async def _poll_once(settings, quiet: bool) -> CycleReport:
    from monitor.pipeline import run_cycle
    from monitor.wiring import build_runtime, new_store_notice

    notice = new_store_notice(settings)
    if notice:
        say(notice)
    rt = build_runtime(settings, stream=sys.stderr if quiet else sys.stdout)
    if not quiet:
        for line in subscription_notices(rt):
            say(line)
        rt.announce = say  # loading the model takes seconds: say so when it happens
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
    from monitor.tables import FREE, WORDS, Col, print_table, print_wrapped

    cols = (Col("source", WORDS), Col("status"), Col("new"), Col("seen"), Col("took"), Col("error", FREE))
    print_table(cols, [(r.source, r.status, str(r.new_items), str(r.seen_items), f"{r.took_s:.2f}s", r.error or "")
                       for r in sorted(report.results, key=lambda r: (r.status != "failed", r.source))], title="poll")
    totals = {k: v for k, v in report.to_json().items() if k not in ("delivery_problems", "failed_sources")}
    print_wrapped(", ".join(f"{k}: {v}" for k, v in totals.items()))


@cli.command()
@click.option("--report-every", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between the one-line summaries of what the monitor did.")
@click.option("--broker", envvar="RIGHTS_MONITOR_BROKER",
              help="Celery broker URL (redis://... or amqp://...): only schedule and enqueue; workers process.")
@verbose_option
@click.pass_context
def run(ctx: click.Context, report_every: float, broker: str | None) -> None:
    """Keep polling every source on its schedule, deliver alerts and send the weekly digest."""
    settings = _settings(ctx)
    try:
        asyncio.run(_run_forever(settings, report_every, broker or settings.broker_url))
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
    from monitor.wiring import open_store

    settings = _settings(ctx)
    broker = broker or settings.broker_url
    if not broker:
        raise click.UsageError("worker needs --broker URL (or RIGHTS_MONITOR_BROKER)")
    open_store(settings).close()  # migrated (and reachable) before any task runs
    run_worker(settings, broker, concurrency or os.cpu_count() or 1)


def say(line: str) -> None:
    """Print one line of what the monitor does, on stderr (stdout carries console alerts)."""
    from monitor.hygiene import clean_line, mask_secrets

    click.echo(mask_secrets(clean_line(line)), err=True)


async def _run_forever(settings, report_every: float, broker: str | None = None) -> None:
    from monitor.activity import Activity
    from monitor.scheduler import build_scheduler, stop_gracefully
    from monitor.weekly import scheduled_daily_digest, scheduled_digest

    rt = await _start(settings, load_classifier=not broker)  # with a broker, workers classify
    rt.activity = Activity()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # systemd and docker stop with SIGTERM
        loop.add_signal_handler(signum, stop.set)
    enabled = sum(1 for s in rt.sources if s.enabled)
    say(f"rights-monitor: {sources_count(enabled, len(rt.sources) - enabled)}"
        + f", store {shown_db(settings.db_url)}{_broker_mode(broker)}; a summary every {report_every:g}s "
        "(-v: each poll); Ctrl-C or SIGTERM stops")
    if broker:
        from monitor.scaleout import Enqueuer, build_broker_scheduler, make_app

        app = make_app(broker, settings.broker_queue)
        scheduler = build_broker_scheduler(rt, Enqueuer(app, rt), send_digest=lambda: scheduled_digest(rt),
                                           send_daily=lambda: scheduled_daily_digest(rt))
    else:
        scheduler = build_scheduler(rt, send_digest=lambda: scheduled_digest(rt), emit=say,
                                    report_every_s=report_every, send_daily=lambda: scheduled_daily_digest(rt))
    scheduler.start()
    try:
        await stop.wait()
        say("stopping: finishing the step in progress")
    finally:
        await stop_gracefully(scheduler, rt)
    say("stopped")


def _broker_mode(broker: str | None) -> str:
    return f"; enqueuing to {shown_db(broker)} (workers poll, classify and deliver)" if broker else ""


async def _start(settings, load_classifier: bool = True):
    """Build the runtime, say what a user should know before the first poll, and load the classifier."""
    import time

    from monitor.wiring import build_runtime, new_store_notice

    notice = new_store_notice(settings)
    if notice:
        say(notice)
    rt = build_runtime(settings)
    for line in subscription_notices(rt):
        say(line)
    if not load_classifier:
        return rt
    say(f"loading the classifier ({settings.classifier.kind})...")
    started = time.monotonic()
    await asyncio.to_thread(rt.load_classifier)  # in its worker process, where there is one
    say(f"classifier ready in {time.monotonic() - started:.1f}s")
    return rt


def subscription_notices(rt) -> list[str]:
    """Lines about subscriptions that cannot receive anything: an unconfigured channel, or none at all."""
    from monitor.references import channel_problem

    subs = rt.store.list_subscriptions()
    if not subs:
        return ["no subscriptions: alerts are stored but sent nowhere (`rights-monitor subscribe --help`)"]
    return [f"subscription {s.name}: {problem}; its alerts wait in the outbox (`rights-monitor deliveries`)"
            for s in subs if (problem := channel_problem(s.channel.kind, rt.notifiers))]


def sources_count(enabled: int, disabled: int) -> str:
    """`70 sources enabled, 1 disabled`: how many of the configured sources are polled, unambiguous."""
    from monitor.readable import counted

    return counted(enabled, "source") + (f" enabled, {disabled} disabled" if disabled else "")


def shown_db(url: str) -> str:
    """The store URL without its password."""
    from monitor.hygiene import mask_secrets

    return mask_secrets(url)


@cli.group("sources", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout: each source with its health.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """Show every source with its health record, next attempt and state (`sources test URL` tries one source)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.clock import SystemClock
    from monitor.tables import FREE, WORDS, Col, print_table
    from monitor.wiring import load_sources, open_store

    settings = _settings(ctx)
    store = open_store(settings, existing=True)
    try:
        health = {h.source: h for h in store.list_health()}
    finally:
        store.close()
    now = SystemClock().now()
    if as_json:
        click.echo(json_text([source_json(s, health.get(s.name), now) for s in load_sources(settings)]))
        return
    cols = (Col("source", WORDS), Col("kind"), Col("every"), Col("state"), Col("last success", WORDS), Col("failures"),
            Col("next attempt", WORDS), Col("last error or warning", FREE))
    rows = []
    for s in load_sources(settings):
        h = health.get(s.name)
        problem = (h.last_error or (f"warning: {h.last_warning}" if h.last_warning else "")) if h else ""
        rows.append((s.name, s.kind, f"{s.interval_s // 60}m", "enabled" if s.enabled else "disabled",
                     _when(h.last_success) if h else "never", str(h.consecutive_failures if h else 0),
                     next_attempt(s, h, now), problem))
    print_table(cols, rows)


def source_json(source, health, now) -> dict:
    """The JSON view of a source and its health (`sources --json`); times in ISO 8601 UTC, null when none."""
    from monitor.hygiene import mask_secrets

    failing = bool(health and health.consecutive_failures)
    due = None
    if source.enabled:
        due = health.next_due if health and health.next_due and health.next_due > now else now
    return {"name": source.name, "kind": source.kind, "url": mask_secrets(source.url), "category": source.category,
            "enabled": source.enabled, "interval_s": source.interval_s,
            "last_attempt": _iso(health.last_attempt if health else None),
            "last_success": _iso(health.last_success if health else None),
            "last_failure": _iso(health.last_attempt if failing and health else None),
            "consecutive_failures": health.consecutive_failures if health else 0,
            "last_error": health.last_error if health else None,
            "last_warning": health.last_warning if health else None,
            "next_poll": _iso(due), "backoff": bool(failing and due and due > now)}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def next_attempt(source, health, now) -> str:
    """When `run` polls the source next: due now, a time (after backoff when failing), or never (disabled)."""
    if not source.enabled:
        return "never (disabled)"
    if health is None or health.next_due is None or health.next_due <= now:
        return "due now"
    backoff = " (backoff)" if health.consecutive_failures else ""
    return _when(health.next_due) + backoff


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"
