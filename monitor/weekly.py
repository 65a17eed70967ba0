"""The weekly digest, end to end: read the week from the store, write the files, email the subscribers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestRun:
    week: str
    paths: tuple[Path, ...]
    recipients: tuple[str, ...] = ()


def previous_week(now: datetime) -> str:
    """The ISO week before the one `now` falls in (the week a Monday digest reports)."""
    year, week, _ = (now - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def make_digest(store: Any, sources: Any, week: str, now: datetime):
    """Build the digest of one ISO week from the store."""
    from monitor.digest import build_digest, iso_week_bounds

    start, end = iso_week_bounds(week)
    return build_digest(
        week,
        store.incidents_between(start, end),
        store.incidents_between(start - timedelta(days=7), start),
        store.list_health(),
        sources,
        store.item_stats(start, end),
        now,
    )


def digest_recipients(store: Any, settings: Any) -> tuple[str, ...]:
    """Analysts named in settings plus every email subscription in digest mode."""
    addresses = list(settings.digest.recipients)
    for sub in store.list_subscriptions():
        if sub.mode == "digest" and sub.channel.kind == "email":
            addresses += sub.channel.targets
    return tuple(dict.fromkeys(addresses))


def write_and_send(store: Any, settings: Any, sources: Any, week: str, now: datetime, *,
                   out_dir: Path, send: bool) -> DigestRun:
    """Write the digest files and, when asked, email them."""
    from monitor.digest import write_digest

    digest = make_digest(store, sources, week, now)
    paths = tuple(write_digest(digest, out_dir))
    recipients = digest_recipients(store, settings) if send else ()
    if recipients:
        email_digest(digest, settings, recipients)
    return DigestRun(week, paths, recipients)


def email_digest(digest: Any, settings: Any, recipients: tuple[str, ...]) -> None:
    from monitor.digest import render_chart, render_html, render_markdown
    from notifiers.mail import send_digest

    subject = f"rights-monitor weekly digest {digest.week}"
    send_digest(settings.smtp, recipients, subject, render_html(digest, chart_src="cid:chart"),
                render_markdown(digest), render_chart(digest))


def scheduled_digest(rt: Any) -> None:
    """The APScheduler job: last week's digest, written and sent."""
    now = rt.clock.now()
    run = write_and_send(rt.store, rt.settings, rt.sources, previous_week(now), now,
                         out_dir=Path(rt.settings.digest.out_dir), send=True)
    log.info("digest %s written to %s, sent to %d", run.week, run.paths[0].parent if run.paths else "-",
             len(run.recipients))
