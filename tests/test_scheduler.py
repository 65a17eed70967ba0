"""The scheduler: one job per enabled source at its interval with jitter, the outbox and the weekly digest;
a failing source waits out its backoff instead of being hammered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from monitor.clock import FrozenClock
from monitor.config import load_settings
from monitor.scheduler import build_scheduler, poll_job
from monitor.types import SourceConfig
from monitor.wiring import build_runtime
from tests.feedserver import FeedServer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def runtime(tmp_path, sources):
    settings = load_settings(env={"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}",
                                  "RIGHTS_MONITOR_CLASSIFIER": "rules"})
    return build_runtime(settings, clock=FrozenClock(NOW), sources=sources)


def test_jobs_for_enabled_sources_outbox_and_digest(tmp_path):
    sources = [SourceConfig("a", "rss", "http://127.0.0.1:9/a.xml", interval_s=900),
               SourceConfig("b", "rss", "http://127.0.0.1:9/b.xml", interval_s=3600, enabled=False)]

    async def scenario():
        rt = runtime(tmp_path, sources)
        scheduler = build_scheduler(rt, send_digest=lambda: None)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        await rt.aclose()
        return jobs

    jobs = asyncio.run(scenario())
    assert set(jobs) == {"poll:a", "outbox", "digest", "recover"}
    assert jobs["poll:a"].trigger.interval.total_seconds() == 900
    assert jobs["poll:a"].trigger.jitter == 60
    assert "mon" in str(jobs["digest"].trigger)


def test_failing_source_backs_off_then_is_polled_again(tmp_path):
    with FeedServer() as server:
        url = server.route("/down.xml", "boom", status=503)
        source = SourceConfig("down", "rss", url, interval_s=900)

        async def scenario():
            rt = runtime(tmp_path, [source])
            await poll_job(source, rt)
            health = rt.store.get_health("down")
            await poll_job(source, rt)  # not due yet: skipped, no request
            requests_while_backing_off = len(server.requests_to("/down.xml"))
            rt.clock.advance(seconds=(health.next_due - NOW).total_seconds() + 1)
            await poll_job(source, rt)
            await rt.aclose()
            return health, requests_while_backing_off

        health, during = asyncio.run(scenario())
        assert health.consecutive_failures == 1 and "HTTP 503" in health.last_error
        assert health.next_due > NOW
        assert during == 1
        assert len(server.requests_to("/down.xml")) == 2
