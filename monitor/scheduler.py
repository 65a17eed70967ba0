"""APScheduler jobs: each calls a function of the flow floor and holds no logic of its own."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from monitor.activity import heartbeat
from monitor.pipeline import Runtime, poll_source, process_stored_items
from monitor.types import SourceConfig

log = logging.getLogger(__name__)
heartbeat_log = logging.getLogger("monitor.activity")  # `-v` shows these lines, in the domain's words

OUTBOX_EVERY_S = 30
REPORT_EVERY_S = 60


def stoppable(job):
    """Let a job be cancelled at shutdown without APScheduler reporting it as a failure."""

    @functools.wraps(job)
    async def run(*args: Any) -> None:
        try:
            await job(*args)
        except asyncio.CancelledError:
            log.info("%s stopped at shutdown", job.__name__)

    return run


@stoppable
async def poll_job(source: SourceConfig, rt: Runtime) -> None:
    """Poll one source when it is due (a failing source waits out its backoff), then fold what is unprocessed.

    Folding runs even when this poll found nothing new: items a crash left unprocessed are finished here.
    """
    result = await poll_source(source, rt, force=False)  # a failure is logged and kept in the health record
    heartbeat_log.info(heartbeat(result))
    async with rt.lock:
        report = await process_stored_items(rt)
    if rt.activity is not None:
        rt.activity.add_poll(result)
        rt.activity.add_processing(report)
    if report.alerts:  # instant alerts go out now, not at the next outbox tick
        await outbox_job(rt)


@stoppable
async def recover_job(rt: Runtime) -> None:
    """At start: finish what a crash interrupted (unprocessed items), then drain the outbox."""
    async with rt.lock:
        report = await process_stored_items(rt)
    if rt.activity is not None:
        rt.activity.add_processing(report)
    await outbox_job(rt)


async def stop_gracefully(scheduler: Any, rt: Runtime) -> None:
    """Stop scheduling, let the step holding the lock (folding or the outbox) finish, cancel fetches, close.

    Fetches are safe to cancel: a source's items and health are stored in one transaction after its fetch.
    """
    scheduler.shutdown(wait=False)
    await rt.lock.acquire()  # waits for the step in flight; none starts after it
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
    await rt.aclose()


@stoppable
async def outbox_job(rt: Runtime) -> None:
    """Send the deliveries that are due."""
    from monitor.delivery import drain_outbox

    async with rt.lock:
        report = await asyncio.to_thread(
            drain_outbox, rt.store, rt.notifiers, rt.watchlist, rt.clock.now(), sender=rt.settings.smtp.sender,
            public_url=rt.settings.public_url
        )
    if rt.activity is not None:
        rt.activity.add_drain(report)
    if report.delivered or report.failed or report.retried:
        heartbeat_log.info("outbox: delivered %d, retrying %d, failed %d", report.delivered, report.retried,
                           report.failed)


@stoppable
async def report_activity(rt: Runtime, scheduler: Any, emit: Callable[[str], None]) -> None:
    """The reporting job: one line for what happened since the last one (nothing when idle), and notices."""
    from monitor.activity import cycle_line, offline_notice

    if rt.activity is None:
        return  # a one-off command keeps no activity to report
    done = rt.activity.take()
    if done.idle:
        return
    emit(cycle_line(done, rt.clock.now(), next_poll(scheduler)))
    notice = offline_notice(done)
    if notice:
        emit(notice)
    for problem in done.problems:
        emit(f"not delivered: {problem}")


def next_poll(scheduler: Any) -> tuple[Any, str] | None:
    """Return when the next source poll is due and which source, from the scheduler's jobs."""
    due = [(job.next_run_time, job.id.removeprefix("poll:")) for job in scheduler.get_jobs()
           if job.id.startswith("poll:") and job.next_run_time]
    return min(due) if due else None


@stoppable
async def prune_job(rt: Runtime) -> None:
    """Drop items without an incident older than `retention_days` (daily, when set)."""
    from monitor.retention import prune_store

    await asyncio.to_thread(prune_store, rt.store, rt.clock.now(), rt.settings.retention_days)


def add_digest_jobs(scheduler: Any, rt: Runtime, send_digest: Any, send_daily: Any) -> None:
    """The weekly digest (its weekday and hour) and the daily one (the same hour), where each is given."""
    from apscheduler.triggers.cron import CronTrigger

    if send_digest is not None:
        digest = rt.settings.digest
        trigger = CronTrigger(day_of_week=digest.weekday, hour=digest.hour, timezone="UTC")
        scheduler.add_job(send_digest, trigger, id="digest", max_instances=1, coalesce=True)
    if send_daily is not None:
        daily = CronTrigger(hour=rt.settings.digest.hour, timezone="UTC")
        scheduler.add_job(send_daily, daily, id="daily-digest", max_instances=1, coalesce=True)


def add_retention_job(scheduler: Any, rt: Runtime) -> None:
    """Prune daily when a retention period is set."""
    from apscheduler.triggers.interval import IntervalTrigger

    if rt.settings.retention_days > 0:
        scheduler.add_job(prune_job, IntervalTrigger(hours=24), args=[rt], id="retention",
                          next_run_time=rt.clock.now() + timedelta(minutes=5), max_instances=1, coalesce=True)


def build_scheduler(rt: Runtime, send_digest: Callable[[], Any] | None = None,
                    emit: Callable[[str], None] | None = None, report_every_s: float = REPORT_EVERY_S,
                    send_daily: Callable[[], Any] | None = None):
    """Schedule every enabled source at its interval with jitter, the outbox drain and the weekly digest.

    With `emit`, a reporting job says every minute what happened since it last spoke (when anything did).
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = AsyncIOScheduler(timezone="UTC")
    first_run = rt.clock.now() + timedelta(seconds=1)
    for source in rt.sources:
        if source.enabled:
            trigger = IntervalTrigger(seconds=source.interval_s, jitter=rt.settings.jitter_s, timezone="UTC")
            scheduler.add_job(poll_job, trigger, args=[source, rt], id=f"poll:{source.name}",
                              next_run_time=first_run, max_instances=1, coalesce=True)
    scheduler.add_job(outbox_job, IntervalTrigger(seconds=OUTBOX_EVERY_S), args=[rt], id="outbox",
                      max_instances=1, coalesce=True)
    scheduler.add_job(recover_job, args=[rt], id="recover", next_run_time=rt.clock.now())
    if emit is not None and rt.activity is not None:
        scheduler.add_job(report_activity, IntervalTrigger(seconds=report_every_s), args=[rt, scheduler, emit],
                          id="report", max_instances=1, coalesce=True)
    add_digest_jobs(scheduler, rt, send_digest, send_daily)
    add_retention_job(scheduler, rt)
    return scheduler
