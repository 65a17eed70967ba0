"""The weekly digest, end to end: read the week from the store, write the files, email the subscribers."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.types import Channel, DeliveryPlan, DigestEdition, DigestLine

RECIPIENTS = "recipients"  # the reader key of the configured digest recipients (settings: digest.recipients)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestRun:
    week: str
    paths: tuple[Path, ...]
    recipients: tuple[str, ...] = ()  # "kind target" of each delivery queued
    incidents: int = 0
    drained: Any = None  # the DrainReport of the drain that followed, when sent


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


def digest_readers_all_channels(store: Any, settings: Any, every: str = "week") -> list[tuple[str, Any, Channel]]:
    """Every digest reader on any channel: (reader key, subscription or None, channel); analysts by email first.

    `every`: week (the configured recipients and weekly subscriptions) or day (daily subscriptions).
    """
    readers: list[tuple[str, Any, Channel]] = []
    if settings.digest.recipients and every == "week":
        readers.append((RECIPIENTS, None, Channel("email", tuple(dict.fromkeys(settings.digest.recipients)))))
    for sub in store.list_subscriptions():
        if sub.mode == "digest" and not sub.paused and sub.digest_every == every:
            readers.append((sub.name, sub, sub.channel))
    return readers


def day_digest(week_digest: Any, day: date) -> Any:
    """Narrow a week's digest to the incidents active on one UTC day (a daily digest, labelled by the day)."""
    from monitor.digest import active_between, count_changes, rank_incidents
    from monitor.types import LABELS

    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    current = rank_incidents(active_between(week_digest.incidents, start, start + timedelta(days=1)))
    return dataclasses.replace(
        week_digest, week=day.isoformat(), start=start, end=start + timedelta(days=1), incidents=tuple(current),
        top=tuple(current[:5]), previous_total=0, by_label=count_changes(current, [], lambda i: i.labels, order=LABELS),
    )


def queue_daily_digest(store: Any, settings: Any, sources: Any, day: date, now: datetime, watchlist: Any) -> list[str]:
    """Queue yesterday's (or `day`'s) digest for every daily digest subscription."""
    iso = day.isocalendar()
    week = make_digest(store, sources, f"{iso.year}-W{iso.week:02d}", now)
    return queue_digest(store, settings, day_digest(week, day), watchlist, now, every="day")


def scheduled_daily_digest(rt: Any) -> None:
    """The APScheduler job: yesterday's digest for the daily subscribers, queued and drained."""
    from monitor.delivery import drain_outbox

    now = rt.clock.now()
    queued = queue_daily_digest(rt.store, rt.settings, rt.sources, (now - timedelta(days=1)).date(), now, rt.watchlist)
    if queued:
        drain_outbox(rt.store, rt.notifiers, rt.watchlist, now, sender=rt.settings.smtp.sender,
                     public_url=rt.settings.public_url)
    log.info("daily digest queued for %d targets", len(queued))


def queue_digest(store: Any, settings: Any, digest: Any, watchlist: Any, now: datetime,
                 every: str = "week") -> list[str]:
    """Queue one digest edition per reader, with a delivery per target, through the outbox; return the targets.

    Each reader's edition and deliveries commit together; a week already queued for a reader is not queued
    again (so `digest --send` twice, or a restart, sends once).
    """
    from monitor.digest import render_chart, render_html, render_text

    chart = render_chart(digest) if digest.incidents else None
    queued: list[str] = []
    for key, sub, channel in digest_readers_all_channels(store, settings, every):
        mine = reader_digest(digest, sub, watchlist)
        edition = DigestEdition(
            week=digest.week, reader=key, created_at=now, subject=digest_subject(mine),
            html=render_html(mine, chart_src="cid:chart"), text=render_text(mine), chart=chart,
            total=len(mine.incidents), previous_total=mine.previous_total,
            by_label=tuple((c.key, c.count) for c in mine.by_label if c.count),
            top=tuple(DigestLine(i.title, i.url, str(i.severity), i.countries) for i in (mine.top or mine.incidents)[:5]),
            link=digest_link(settings.public_url, digest.start),
        )
        plans = [DeliveryPlan(channel.kind, target, now, "pending") for target in channel.targets]
        _, created = store.add_digest(edition, plans)
        if created:
            queued += [f"{channel.kind} {target}" for target in channel.targets]
    return queued


def digest_subject(digest: Any) -> str:
    """Return the digest's subject line, naming the reader's companies."""
    mine = f" ({', '.join(digest.reader_companies[:3])})" if digest.reader_companies else ""
    period = "daily" if "-W" not in digest.week else "weekly"
    so_far = " so far" if digest.to_date and period == "weekly" else ""
    return f"rights-monitor {period} digest {digest.week}{so_far}{mine}"


def digest_link(public_url: str | None, start: datetime) -> str | None:
    """Return the workspace's incident list from the week's start, when the workspace has a public URL."""
    return f"{public_url.rstrip('/')}/incidents?since={start.date().isoformat()}" if public_url else None






def write_and_send(store: Any, settings: Any, sources: Any, week: str, now: datetime, *,
                   out_dir: Path, send: bool, notifiers: Mapping[str, Any] | None = None,
                   watchlist: Any = None) -> DigestRun:
    """Write the digest files and, when asked, queue them for every digest reader and drain the outbox."""
    from monitor.digest import write_digest

    digest = make_digest(store, sources, week, now)
    paths = tuple(write_digest(digest, out_dir))
    if not send:
        return DigestRun(week, paths, (), len(digest.incidents))
    if watchlist is None:
        from monitor.wiring import load_watchlist

        watchlist = load_watchlist(settings)
    queued = queue_digest(store, settings, digest, watchlist, now)
    if notifiers is None:
        raise ValueError("write_and_send(send=True) needs the notifiers (the caller builds them once)")
    from monitor.delivery import drain_outbox

    drained = drain_outbox(store, notifiers, watchlist, now, sender=settings.smtp.sender, public_url=settings.public_url)
    return DigestRun(week, paths, tuple(queued), len(digest.incidents), drained)


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




def scheduled_digest(rt: Any) -> None:
    """The APScheduler job: last week's digest, written and sent."""
    now = rt.clock.now()
    run = write_and_send(rt.store, rt.settings, rt.sources, previous_week(now), now,
                         out_dir=Path(rt.settings.digest.out_dir), send=True, notifiers=rt.notifiers,
                         watchlist=rt.watchlist)
    log.info("digest %s written to %s, sent to %d", run.week, run.paths[0].parent if run.paths else "-",
             len(run.recipients))
