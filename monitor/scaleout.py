"""Scale-out on Celery: `run --broker URL` only schedules and enqueues; `worker --broker URL` processes.

Three tasks, each a thin call into the flow floor, each safe to run twice or to die half way:

- `rm.poll(source)`: fetch, parse and store one source (unique indexes: an item is stored once), then
  enqueue `rm.process` with the ids it stored;
- `rm.process(item_ids | None)`: classify those items (or every unprocessed one), fold incidents and
  queue alerts in one transaction that claims the items first (SKIP LOCKED + processed_at): once;
- `rm.deliver()`: drain the outbox; each delivery is leased, its intent recorded before the send and
  looked up after a crash (Slack bot), so two workers never send one alert twice.

Messages are acknowledged after the task (`acks_late`); a killed worker's message goes back to the
queue, and the scheduler's sweeps (`rm.process()` and `rm.deliver()` every `sweep_s`, 30 s) finish whatever a
lost message left. Celery is imported only here, and only when a broker is named.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from datetime import timedelta
from typing import Any

from monitor.config import Settings

log = logging.getLogger(__name__)

_settings: Settings | None = None  # set by `worker` before Celery forks its processes
_runtime: dict[int, Any] = {}  # pid -> (Runtime, event loop): one per worker process


def make_app(broker_url: str, queue: str = "rights-monitor") -> Any:
    """Return the Celery app on `broker_url` (redis://... or amqp://...) with the monitor's tasks."""
    from celery import Celery

    app = Celery("rights_monitor", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a task a dead worker held is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a busy worker does not sit on messages another could take
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 600},  # Redis: unacked messages come back after 10 min
        worker_hijack_root_logger=False,
        task_default_queue=queue,
    )
    app.task(name="rm.poll", bind=True)(poll_task)
    app.task(name="rm.process", bind=True)(process_task)
    app.task(name="rm.deliver", bind=True)(deliver_task)
    return app


# --------------------------------------------------------------------------- the tasks (run on workers)


def poll_task(task: Any, source_name: str) -> int:
    """Poll one source when due; hand its new items on to classification; return how many."""
    from monitor.pipeline import poll_source

    rt, loop = worker_runtime()
    source = next((s for s in rt.sources if s.name == source_name and s.enabled), None)
    if source is None:
        log.warning("rm.poll: no enabled source %r here", source_name)
        return 0
    result = loop.run_until_complete(poll_source(source, rt, force=False))
    if result.new_item_ids:
        task.app.send_task("rm.process", args=[list(result.new_item_ids)])
    return result.new_items


def process_task(task: Any, item_ids: list[int] | None = None) -> int:
    """Classify, fold and queue alerts for `item_ids` (all unprocessed items when None); deliver at once."""
    from monitor.pipeline import process_new_items

    rt, _loop = worker_runtime()
    report = process_new_items(rt, item_ids=item_ids)
    if report.alerts:
        task.app.send_task("rm.deliver")
    return report.classified


def deliver_task(task: Any) -> int:
    """Send every delivery that is due; return how many were sent."""
    from monitor.delivery import drain_outbox

    rt, _loop = worker_runtime()
    report = drain_outbox(rt.store, rt.notifiers, rt.watchlist, rt.clock.now(), sender=rt.settings.smtp.sender)
    return report.delivered


def worker_runtime() -> tuple[Any, asyncio.AbstractEventLoop]:
    """Return this worker process's runtime and event loop, built on first use (after Celery forked)."""
    pid = os.getpid()
    if pid not in _runtime:
        from monitor.config import load_settings
        from monitor.wiring import build_runtime

        settings = _settings or load_settings()
        # Each worker process is one parser already: no parse pool of its own.
        settings = dataclasses.replace(settings, fetch=dataclasses.replace(settings.fetch, parse_workers=0))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        _runtime[pid] = (build_runtime(settings), loop)
    return _runtime[pid]


def run_worker(settings: Settings, broker_url: str, concurrency: int, pool: str = "prefork") -> None:
    """Run a Celery worker in this process until it is stopped (SIGTERM: warm shutdown)."""
    global _settings
    _settings = settings
    app = make_app(broker_url, settings.broker_queue)
    argv = ["worker", f"--concurrency={concurrency}", f"--pool={pool}", "--loglevel=WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", settings.broker_queue]
    app.worker_main(argv)


# --------------------------------------------------------------------------- the scheduler (`run --broker`)


class Enqueuer:
    """Send the monitor's tasks to the broker; the scheduler's jobs call it and do nothing else."""

    def __init__(self, app: Any, rt: Any) -> None:
        self.app, self.rt = app, rt
        self.started = rt.clock.now()

    async def poll(self, source_name: str) -> None:
        await asyncio.to_thread(self.app.send_task, "rm.poll", args=[source_name])

    async def sweep(self) -> None:
        """Finish what a lost message or a dead worker left: overdue polls, unprocessed items, due deliveries."""
        for name in await asyncio.to_thread(self.overdue_sources):
            await self.poll(name)
        await asyncio.to_thread(self.app.send_task, "rm.process", args=[None])
        await asyncio.to_thread(self.app.send_task, "rm.deliver")

    def overdue_sources(self) -> list[str]:
        """Names of the sources whose poll is more than one sweep late (its message was lost with a worker)."""
        now, grace = self.rt.clock.now(), timedelta(seconds=self.rt.settings.sweep_s)
        health = {h.source: h for h in self.rt.store.list_health()}
        late = []
        for source in (s for s in self.rt.sources if s.enabled):
            h = health.get(source.name)
            due = h.next_due if h and h.next_due else self.started
            if due < now - grace:
                late.append(source.name)
        return late


def build_broker_scheduler(rt: Any, enqueue: Enqueuer, send_digest: Any = None, send_daily: Any = None) -> Any:
    """Schedule each source's poll, the sweeps and the weekly digest as messages to the workers."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = AsyncIOScheduler(timezone="UTC")
    first_run = rt.clock.now() + timedelta(seconds=1)
    for source in rt.sources:
        if source.enabled:
            trigger = IntervalTrigger(seconds=source.interval_s, jitter=rt.settings.jitter_s, timezone="UTC")
            scheduler.add_job(enqueue.poll, trigger, args=[source.name], id=f"poll:{source.name}",
                              next_run_time=first_run, max_instances=1, coalesce=True)
    scheduler.add_job(enqueue.sweep, IntervalTrigger(seconds=rt.settings.sweep_s), id="sweep",
                      next_run_time=rt.clock.now(), max_instances=1, coalesce=True)
    from monitor.scheduler import add_digest_jobs, add_retention_job

    add_digest_jobs(scheduler, rt, send_digest, send_daily)
    add_retention_job(scheduler, rt)  # a few DELETEs: the scheduler does it itself  # a few DELETEs: the scheduler does it itself
    return scheduler
