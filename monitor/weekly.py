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
    incidents: int = 0


def previous_week(now: datetime) -> str:
    """The ISO week before the one `now` falls in (the week a Monday digest reports)."""
    year, week, _ = (now - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


def current_week(now: datetime) -> str:
    """The ISO week `now` falls in (plain `digest`: this week so far)."""
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def make_digest(store: Any, sources: Any, week: str, now: datetime):
    """Build the digest of one ISO week from the store, with the links a person should see."""
    import dataclasses

    from monitor.digest import build_digest, iso_week_bounds
    from monitor.readable import shown_incident

    start, end = iso_week_bounds(week)
    digest = build_digest(
        week,
        [shown_incident(i) for i in store.incidents_between(start, end)],
        store.incidents_between(start - timedelta(days=7), start),
        store.list_health(),
        sources,
        store.item_stats(start, end),
        now,
    )
    return dataclasses.replace(digest, to_date=start <= now < end)


def digest_recipients(store: Any, settings: Any) -> tuple[str, ...]:
    """Analysts named in settings plus every email subscription in digest mode."""
    return tuple(address for addresses, _ in digest_readers(store, settings) for address in addresses)


def digest_readers(store: Any, settings: Any) -> list[tuple[tuple[str, ...], Any]]:
    """Group digest recipients by what they follow: (addresses, subscription or None for the analysts)."""
    seen: set[str] = set()
    readers = []
    for sub in [None, *(s for s in store.list_subscriptions() if s.mode == "digest" and s.channel.kind == "email")]:
        addresses = settings.digest.recipients if sub is None else sub.channel.targets
        fresh = tuple(a for a in dict.fromkeys(addresses) if a not in seen)
        seen.update(fresh)
        if fresh:
            readers.append((fresh, sub))
    return readers


def write_and_send(store: Any, settings: Any, sources: Any, week: str, now: datetime, *,
                   out_dir: Path, send: bool) -> DigestRun:
    """Write the digest files and, when asked, email them."""
    from monitor.digest import write_digest

    digest = make_digest(store, sources, week, now)
    paths = tuple(write_digest(digest, out_dir))
    readers = digest_readers(store, settings) if send else []
    if readers:
        from monitor.wiring import load_watchlist

        watchlist = load_watchlist(settings)
        for addresses, sub in readers:
            email_digest(reader_digest(digest, sub, watchlist), settings, addresses)
    return DigestRun(week, paths, tuple(a for addresses, _ in readers for a in addresses), len(digest.incidents))


def reader_digest(digest: Any, sub: Any, watchlist: Any):
    """The digest as one subscriber reads it: the companies they follow first."""
    from monitor.alerts import company_family, wanted_companies
    from monitor.digest import for_reader

    wanted = wanted_companies(sub, watchlist) if sub is not None else None
    if not wanted:
        return digest
    followed = [s.company for s in digest.companies
                if any(m.casefold() in wanted for m in company_family(watchlist, s.company))]
    return for_reader(digest, followed)


def email_digest(digest: Any, settings: Any, recipients: tuple[str, ...]) -> None:
    from monitor.digest import render_chart, render_html, render_text
    from notifiers.mail import send_digest

    mine = f" ({', '.join(digest.reader_companies[:3])})" if digest.reader_companies else ""
    subject = f"rights-monitor weekly digest {digest.week}{' so far' if digest.to_date else ''}{mine}"
    send_digest(settings.smtp, recipients, subject, render_html(digest, chart_src="cid:chart"),
                render_text(digest), render_chart(digest))


def scheduled_digest(rt: Any) -> None:
    """The APScheduler job: last week's digest, written and sent."""
    now = rt.clock.now()
    run = write_and_send(rt.store, rt.settings, rt.sources, previous_week(now), now,
                         out_dir=Path(rt.settings.digest.out_dir), send=True)
    log.info("digest %s written to %s, sent to %d", run.week, run.paths[0].parent if run.paths else "-",
             len(run.recipients))
