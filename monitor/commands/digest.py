"""`digest --week 2026-W47 [--out DIR] [--send]`."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.commands.root import _settings, cli


@cli.command()
@click.option("--week", help="ISO week, e.g. 2026-W47 (default: this week so far).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder (default ./digests).")
@click.option("--send", is_flag=True,
              help="Queue it through the outbox for every digest-mode subscription and digest recipient, then deliver.")
@click.pass_context
def digest(ctx: click.Context, week: str | None, out_dir: str | None, send: bool) -> None:
    """Write the weekly digest as HTML, Markdown and CSV with a trend chart."""
    from monitor.clock import SystemClock
    from monitor.digest import iso_week_bounds
    from monitor.weekly import current_week, write_and_send
    from monitor.wiring import build_notifiers, load_sources, make_deps, open_store

    settings = _settings(ctx)
    now = SystemClock().now()
    if week is None:
        week = current_week(now)
        click.echo(f"week {week} so far (the current week; --week {_last(now)} for last week)", err=True)
    try:
        iso_week_bounds(week)
    except ValueError as exc:
        raise click.BadParameter(f"{week!r}: {exc} (expected an ISO week like 2026-W47)", param_hint="--week")
    store = open_store(settings, existing=True)
    try:
        run = write_and_send(store, settings, load_sources(settings), week, now,
                             out_dir=Path(out_dir or settings.digest.out_dir), send=send,
                             notifiers=build_notifiers(settings, make_deps()) if send else None)
    finally:
        store.close()
    click.echo(f"{run.incidents} incident{'s' if run.incidents != 1 else ''} in {week}"
               + ("" if run.incidents else " (nothing stored for that week yet: has `run` or `poll --once` run?)"), err=True)
    for path in run.paths:
        click.echo(str(path))
    if send:
        drained = run.drained
        if not run.recipients:
            click.echo("no digest recipients queued (none in digest mode, or this week was queued already)")
        else:
            click.echo(f"queued {len(run.recipients)} digest deliveries; delivered {drained.delivered}"
                       + (f", {drained.retried} to retry (see `deliveries`)" if drained.retried else ""))
        for line in drained.problems if drained else ():
            click.echo(line, err=True)


def _last(now) -> str:
    from monitor.weekly import previous_week

    return previous_week(now)
