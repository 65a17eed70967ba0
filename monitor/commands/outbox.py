"""`deliver` and `deliveries`: drain the outbox, requeue failures once their cause is fixed, see why."""

from __future__ import annotations

import click

from monitor.commands.incidents import _store
from monitor.commands.root import _settings, cli
from monitor.hygiene import json_text
from monitor.store.repo import DELIVERY_STATUSES


@cli.command()
@click.option("--all", "retry_all", is_flag=True, help="Also retry deliveries waiting on backoff.")
@click.option("--retry-failed", is_flag=True, help="Requeue permanently failed deliveries first (their cause fixed).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
              help="With --retry-failed: only deliveries created since this UTC date or time.")
@click.pass_context
def deliver(ctx: click.Context, retry_all: bool, retry_failed: bool, since) -> None:
    """Drain the outbox now."""
    from datetime import UTC

    from monitor.clock import SystemClock
    from monitor.delivery import drain_outbox
    from monitor.wiring import build_notifiers, load_watchlist

    if since is not None and not retry_failed:
        raise click.UsageError("--since goes with --retry-failed")
    settings = _settings(ctx)
    with _store(ctx) as store:
        if retry_failed:
            count = store.requeue_failed(since.replace(tzinfo=UTC) if since else None)
            click.echo(f"requeued {count} failed deliveries")
        report = drain_outbox(store, build_notifiers(settings), load_watchlist(settings), SystemClock().now(),
                              include_backoff=retry_all or retry_failed, sender=settings.smtp.sender,
                              public_url=settings.public_url)
    click.echo(f"delivered {report.delivered}, retrying {report.retried}, failed {report.failed}, "
               f"dropped {report.dropped}" + (f", postponed {report.postponed}" if report.postponed else ""))
    echo_problems(report.problems)


def echo_problems(problems) -> None:
    """Print why deliveries did not go out, one line per recipient and reason (stderr), and where to look."""
    from monitor.hygiene import clean_line, mask_secrets

    for line in problems:
        click.echo(f"not delivered: {mask_secrets(clean_line(line))}", err=True)
    if problems:
        click.echo("see `rights-monitor deliveries --status retrying` (or failed) for each delivery", err=True)


@cli.command()
@click.option("--status", type=click.Choice(DELIVERY_STATUSES), help="Only deliveries in this state.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
@click.pass_context
def deliveries(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List deliveries, newest first, each with the reason it is where it is."""
    from monitor.clock import SystemClock

    now = SystemClock().now()
    with _store(ctx) as store:
        rows = [delivery_json(d, now) for d in store.list_deliveries(status, limit=limit)]
    if as_json:
        click.echo(json_text(rows))
        return
    from monitor.tables import FREE, WORDS, Col, print_table

    cols = (Col("id"), Col("alert"), Col("channel"), Col("target", WORDS), Col("status"), Col("attempts"),
            Col("reason", FREE))
    print_table(cols, [tuple(str(row[key]) for key in ("id", "alert_id", "channel", "target", "status", "attempts", "reason"))
                       for row in rows])


def delivery_json(d, now) -> dict:
    """The JSON view of a delivery, target masked when it is a secret (a webhook URL)."""
    from monitor.delivery import delivery_reason, shown_status
    from monitor.hygiene import clean_line, mask_target

    return {"id": d.id, "alert_id": d.alert_id, "channel": d.channel_kind, "target": mask_target(d.target),
            "status": shown_status(d), "attempts": d.attempts, "reason": clean_line(mask_target_in(delivery_reason(d, now), d.target)),
            "created_at": d.created_at.isoformat() if d.created_at else None,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None}


def mask_target_in(text: str, target: str) -> str:
    from monitor.hygiene import mask_target

    return text.replace(target, mask_target(target)) if target else text
